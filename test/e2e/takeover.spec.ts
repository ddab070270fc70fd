// `npm run test:e2e`, the takeover of a hand-made 2018 installation (takeover.ts) on the
// real engine, in a world of its own (lifecycle.spec.ts says what a world is).
import { takeoverCombos } from "./combos";
import { describeWorld } from "./engine";
import { takeoverSuite } from "./takeover";

describeWorld("e2e: takeover of the 2018 installation, on the real engine", (world) => {
    takeoverSuite(world, takeoverCombos());
});
