// One step of the rbd program for a stack, run from this process (not through the command
// provider): with the stack's Ceph client, its config keys in the messages, and where every
// rbd step of the stack runs (here, or on rbdHost over the pinned SSH). The preview read
// (settings/cephAtPreview.ts) and the CLIs (cli/shared.ts runRbdStep) run their steps so,
// and the backup CLIs the backup program (cli/backup.ts).
import type { BackupSettings, Settings } from "./settings";
import { configKeyWords } from "./words";
import { rbdProgram, SnapshotParams } from "../components/rbd/rbdScript";
import { runProgramNow, runRbdStepNow, secretValue, StepResult } from "../components/rbd/rbdRun";
import { backupTarget, cephConnection } from "../components/jenkinsOnCeph";
import { stdinProgram } from "../components/backup/backupProgram";

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

/** A static stack with backups on: what the backup program can run for. */
export type BackupStack = Settings & { backup: BackupSettings };

/**
 * One step of the backup program (components/backup/jenkinsBackup.py) for the stack, here
 * or on rbdHost: `python3 -` with the program, its settings and its secrets on standard
 * input. No time bound: a backup or restore takes as long as its data.
 */
export async function runStackBackupStep(
    step: "backup" | "list" | "restore" | "verify",
    args: string[],
    s: BackupStack,
    /** pool/image of Jenkins' home (the stack's rbdImage output). */
    image: string,
): Promise<StepResult> {
    const b = s.backup;
    if (s.ceph.provisioner === "existing") throw new Error("unreachable: backup is refused");
    const encryptionKey = b.encryptionKey && (await secretValue(b.encryptionKey));
    const program = stdinProgram(backupTarget(s, b, image), {
        cephKey: await secretValue(s.ceph.userKey),
        accessKey: await secretValue(b.accessKey),
        secretKey: await secretValue(b.secretKey),
        encryptionKey: encryptionKey || undefined,
    });
    const host = s.rbdHost && {
        ...s.rbdHost,
        privateKey: await secretValue(s.rbdHost.privateKey),
    };
    return runProgramNow(["python3", "-", step, ...args], program, host);
}
