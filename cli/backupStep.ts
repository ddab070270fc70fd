// What the backup CLIs share (cli/backup.ts, and cli/restore.ts --from-backup): the stack's
// backup settings and image, and one step of the backup program with its failure as one
// sentence.
import type { Stack } from "@pulumi/pulumi/automation";
import { staticImage } from "../components/jenkinsOnCeph";
import type { BackupStack } from "../settings/rbdStep";
import { runStackBackupStep } from "../settings/rbdStep";
import type { Settings } from "../settings/settings";
import { Refusal } from "./shared";

/** A stack that backs up, with the pool/image of Jenkins' home. */
export interface BackupContext {
    s: BackupStack;
    image: string;
}

/**
 * The stack's backup settings and Jenkins' image, or the sentence that says why not: a
 * static stack names its image; a dynamic one's is the image its claim was bound to, as
 * the last `pulumi up` recorded it (the rbdImage output).
 */
export async function backupContext(stack: Stack, s: Settings): Promise<BackupContext> {
    if (s.backup === undefined) {
        throw new Refusal(
            "this stack has no backup settings: set backup.s3 (docs/backups.md) and run pulumi up",
        );
    }
    const bs = s as BackupStack;
    if (s.mode === "static") return { s: bs, image: staticImage(s) };
    const image = String((await stack.outputs()).rbdImage?.value ?? "");
    if (!image.includes("/")) {
        throw new Refusal(
            "the stack has no rbdImage output yet: run pulumi up once the claim is bound (the backup needs the image the provisioner made)",
        );
    }
    return { s: bs, image };
}

/** The step's output as it printed it; a failure is its one sentence. */
export async function backupStep(
    step: Parameters<typeof runStackBackupStep>[0],
    args: string[],
    c: BackupContext,
): Promise<string> {
    const r = await runStackBackupStep(step, args, c.s, c.image);
    if (r.code !== 0) {
        const sentence = r.stderr.trim().split("\n").at(-1) ?? "";
        throw new Refusal(sentence || `the backup program failed (exit ${r.code})`);
    }
    return r.stdout;
}
