// What the backup CLIs share (cli/backup.ts, and cli/restore.ts --from-backup): the stack's
// backup settings, and one step of the backup program with its failure as one sentence.
import type { BackupStack } from "../settings/rbdStep";
import { runStackBackupStep } from "../settings/rbdStep";
import type { Settings } from "../settings/settings";
import { Refusal } from "./shared";

/** The stack's settings when it backs up, or the sentence that says why not. */
export function backupStack(s: Settings): BackupStack {
    if (s.mode !== "static" || s.backup === undefined) {
        throw new Refusal(
            "this stack has no backup settings: set backup.s3 (docs/backups.md) and run pulumi up",
        );
    }
    return s as BackupStack;
}

/** The step's output as it printed it; a failure is its one sentence. */
export async function backupStep(
    step: Parameters<typeof runStackBackupStep>[0],
    args: string[],
    s: BackupStack,
): Promise<string> {
    const r = await runStackBackupStep(step, args, s);
    if (r.code !== 0) {
        const sentence = r.stderr.trim().split("\n").at(-1) ?? "";
        throw new Refusal(sentence || `the backup program failed (exit ${r.code})`);
    }
    return r.stdout;
}
