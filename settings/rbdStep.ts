// One step of the rbd program for a stack, run from this process (not through the command
// provider): with the stack's Ceph client, its config keys in the messages, and where every
// rbd step of the stack runs (here, or on rbdHost over the pinned SSH). The preview read
// (settings/cephAtPreview.ts) and the CLIs (cli/shared.ts runRbdStep) run their steps so.
import type { Settings } from "./settings";
import { configKeyWords } from "./words";
import { rbdProgram, SnapshotParams } from "../components/rbd/rbdScript";
import { runRbdStepNow, secretValue, StepResult } from "../components/rbd/rbdRun";
import { cephConnection } from "../components/jenkinsOnCeph";

/** `step` on `params`' image; the key only on standard input. Killed after `timeoutMs`. */
export async function runStackRbdStep(
    step: "list" | "restore" | "inspect",
    s: Settings,
    params: Pick<SnapshotParams, "pool" | "image"> & Partial<SnapshotParams>,
    timeoutMs: number,
): Promise<StepResult> {
    if (s.ceph.provisioner === "existing") throw new Error("no Ceph connection in this stack");
    const program = rbdProgram(
        {
            ...cephConnection(s.ceph).rbdClient,
            words: configKeyWords(s.project),
            fingerprints: { image: "", plugins: "", javaopts: "", casc: "" },
            keep: s.volume.snapshots.keep,
            purgeOnDelete: false,
            ...params,
        },
        await secretValue(s.ceph.userKey),
    );
    const host = s.rbdHost && {
        ...s.rbdHost,
        privateKey: await secretValue(s.rbdHost.privateKey),
    };
    return runRbdStepNow(step, program, host, timeoutMs);
}
