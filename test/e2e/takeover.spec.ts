// `npm run test:e2e`, the takeover of a hand-made 2018 installation (takeover.ts) and
// nothing lost at the edges (nothingLost.ts), on the real engine, in a world of its own
// (lifecycle.spec.ts says what a world is).
import { takeoverCombos } from "./combos";
import { describeWorld } from "./engine";
import { takeoverSuite } from "./takeover";
import { nothingLostSuite } from "./nothingLost";

describeWorld("e2e: takeover and nothing lost, on the real engine", (world) => {
    takeoverSuite(world, takeoverCombos());
    nothingLostSuite(world);
});
