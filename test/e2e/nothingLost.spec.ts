// `npm run test:e2e`, nothing lost at the edges (nothingLost.ts) on the real engine, in a
// world of its own (lifecycle.spec.ts says what a world is).
import { describeWorld } from "./engine";
import { nothingLostSuite } from "./nothingLost";

describeWorld("e2e: nothing lost, on the real engine", (world) => {
    nothingLostSuite(world);
});
