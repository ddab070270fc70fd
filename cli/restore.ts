// npm run restore -- --stack NAME --snapshot NAME [--yes]
// npm run restore -- --stack NAME --from-backup ID [--to IMAGE] [--yes]
// Rolls Jenkins' home back to one of this program's rbd snapshots. Without --yes it only
// prints every step. With it: Jenkins is scaled to 0 and its pod waited for, the image
// is checked to be closed, a safety snapshot of the current state is taken (so the
// restore can be undone), the image is rolled back, and Jenkins is scaled back to 1.
// Any refusal exits non-zero with one sentence; nothing is rolled back then.
// --from-backup restores one of the stack's backups from S3 (cli/backup.ts lists them)
// instead: into a scratch image first, every object checked, then in place of Jenkins'
// home (which is kept whole under another name), or into a new image (--to).
import { SNAPSHOT_PATTERN, SNAPSHOT_PREFIX } from "../components/rbd/rbdScript";
import { parseSnapshots } from "../components/rbd/jenkinsSnapshot";
import type { Stack } from "@pulumi/pulumi/automation";
import type { Settings } from "../settings/settings";
import { APP_SELECTOR } from "../components/jenkins/names";
import type { BackupStack } from "../settings/rbdStep";
import { cephName } from "../settings/rules";
import { BACKUP_ID } from "../components/backup/backupProgram";
import { BackupContext, backupContext, backupStep } from "./backupStep";
import {
    kubectl,
    openStack,
    parseCommandArgs,
    Refusal,
    runCli,
    runRbdStep,
    waitUntil,
} from "./shared";

const COMMAND = {
    summary:
        "Rolls Jenkins' home back to one of this program's rbd snapshots (a safety snapshot first).",
    usage: "usage: npm run restore -- --stack <name> (--snapshot <name> | --from-backup <id> [--to <image>]) [--yes] [--timeout <seconds>]",
    optional: {
        snapshot: "the snapshot to roll back to (the stack's snapshots output)",
        "from-backup": "a backup's ID (npm run backups lists them), restored from S3",
        to: "with --from-backup: a new image to restore into; Jenkins is left alone",
    },
};

/** The restore's arguments: the shared ones and the snapshot to roll back to. */
export function parseRestoreArgs(argv: string[]) {
    const args = parseCommandArgs(argv, COMMAND);
    const fromBackup = args.named["from-backup"];
    const to = args.named.to;
    if ((fromBackup === undefined) === (args.named.snapshot === undefined))
        throw new Refusal(`give either --snapshot or --from-backup; ${COMMAND.usage}`);
    if (to !== undefined && fromBackup === undefined)
        throw new Refusal(`--to goes with --from-backup; ${COMMAND.usage}`);
    if (fromBackup !== undefined) {
        if (!BACKUP_ID.test(fromBackup))
            throw new Refusal(
                `--from-backup ${fromBackup} is not a backup ID (they look like 20261201T031700Z-3; npm run backups lists them)`,
            );
        if (to !== undefined && cephName(to))
            throw new Refusal(
                `--to ${to}: ${cephName(to)}; name a new image, e.g. jenkins-restored`,
            );
        return { ...args, snapshot: undefined, backup: { id: fromBackup, to } };
    }
    const snapshot = args.named.snapshot ?? "";
    if (!new RegExp(`^${SNAPSHOT_PATTERN}$`).test(snapshot)) {
        throw new Refusal(
            `--snapshot ${snapshot} is not one of this program's snapshots (they are named ${SNAPSHOT_PREFIX}<UTC time>-<reason>)`,
        );
    }
    return { ...args, snapshot, backup: undefined };
}

/** The stack's image, after the refusals that come before anything is asked of Ceph. */
async function restoreTarget(stack: Stack, s: Settings): Promise<{ pool: string; image: string }> {
    if (s.ceph.provisioner === "existing") {
        throw new Refusal(
            "this stack uses ceph.existingStorageClass: it has no snapshots of its own to restore",
        );
    }
    const outputs = await stack.outputs();
    const [pool, image] = String(outputs.rbdImage?.value ?? "").split("/");
    if (!pool || !image)
        throw new Refusal(
            "the stack has no rbdImage output: run `pulumi up` once with volume.snapshots on",
        );
    return { pool, image };
}

async function main(): Promise<void> {
    const args = parseRestoreArgs(process.argv.slice(2));
    const { stack, settings: s, kubeContext: context } = await openStack(args.stack);
    if (args.backup) return fromBackup(args, args.backup, await backupContext(stack, s), context);
    const snapshot = args.snapshot;
    const { pool, image } = await restoreTarget(stack, s);
    const rbdImage = `${pool}/${image}`;
    const rbd = (step: "list" | "restore") =>
        runRbdStep(step, s, { pool, image, restore: snapshot });
    // Ceph is the record (the stack output is as of the last up): a read-only listing.
    const listed = await rbd("list");
    if (!listed.ok) throw new Refusal(listed.error);
    const known = parseSnapshots(listed.stdout).map((x) => x.name);
    if (!known.includes(snapshot)) {
        throw new Refusal(
            `snapshot ${snapshot} is not among this stack's snapshots (${known.join(", ") || "none"}); nothing was changed`,
        );
    }
    const ns = s.jenkins.namespace;
    const deploy = s.jenkins.name;
    const steps = [
        `scale Jenkins to 0: kubectl -n ${ns} scale deploy/${deploy} --replicas=0, and wait up to ${args.timeoutSeconds}s until no pod ${APP_SELECTOR} is left`,
        `refuse if ${rbdImage} is still open by any client (the pod, or a node that has not unmapped it)`,
        `take snapshot ${SNAPSHOT_PREFIX}<now>-pre-restore of ${rbdImage} (to undo this restore)`,
        `rbd snap rollback ${rbdImage}@${snapshot}`,
        `scale Jenkins back to 1: kubectl -n ${ns} scale deploy/${deploy} --replicas=1`,
    ];
    if (!args.yes) {
        console.log(`restore of ${rbdImage} to ${snapshot} (dry run; add --yes to do it):`);
        steps.forEach((st, i) => console.log(`  ${i + 1}. ${st}`));
        return;
    }
    console.log(`1. ${steps[0]}`);
    await stopJenkins(ns, deploy, args.timeoutSeconds, context);
    console.log(`2-4. rbd ${s.rbdHost ? `on ${s.rbdHost.host} over SSH` : "on this machine"}`);
    const r = await rbd("restore");
    process.stdout.write(r.stdout);
    console.log(`5. ${steps[4]}`);
    const up = kubectl(["-n", ns, "scale", `deploy/${deploy}`, "--replicas=1"], context);
    if (!r.ok) throw new Refusal(`${r.error}${up.ok ? " (Jenkins is scaled back to 1)" : ""}`);
    if (!up.ok)
        throw new Refusal(`rolled back, but Jenkins could not be scaled back to 1: ${up.out}`);
    console.log(`restored ${rbdImage} to ${snapshot}; Jenkins is starting`);
}

/**
 * A backup from S3: checked (the chain's objects, the encryption key) in a dry run; with
 * --yes imported into a scratch image, each object against its checksum, and only then
 * renamed into place: a new image (--to), or Jenkins' home with Jenkins stopped, the old
 * home kept whole under another name.
 */
async function fromBackup(
    args: { yes: boolean; timeoutSeconds: number },
    backup: { id: string; to?: string },
    c: BackupContext,
    context?: string,
): Promise<void> {
    const s = c.s;
    const target = backup.to ? ["--to", backup.to] : ["--into-stack"];
    const step = (yes: boolean) =>
        backupStep(
            "restore",
            ["--from-backup", backup.id, ...target, ...(yes ? ["--yes"] : [])],
            c,
        );
    if (!args.yes || backup.to) {
        process.stdout.write(await step(args.yes));
        if (!args.yes && !backup.to) console.log(restoreSteps(s, c.image, backup.id).join("\n"));
        return;
    }
    const ns = s.jenkins.namespace;
    const deploy = s.jenkins.name;
    console.log(`1. scale Jenkins to 0 and wait until its pod is gone`);
    await stopJenkins(ns, deploy, args.timeoutSeconds, context);
    console.log(
        `2. restore backup ${backup.id} ${s.rbdHost ? `on ${s.rbdHost.host} over SSH` : "on this machine"}`,
    );
    let out = "";
    try {
        out = await step(true);
    } finally {
        const up = kubectl(["-n", ns, "scale", `deploy/${deploy}`, "--replicas=1"], context);
        process.stdout.write(out);
        console.log(
            up.ok
                ? "3. Jenkins is scaled back to 1"
                : `3. Jenkins could not be scaled back to 1: ${up.out}`,
        );
    }
}

function restoreSteps(s: BackupStack, image: string, id: string): string[] {
    return [
        `with --yes:`,
        `  1. scale Jenkins to 0: kubectl -n ${s.jenkins.namespace} scale deploy/${s.jenkins.name} --replicas=0, and wait until its pod is gone`,
        `  2. import backup ${id} into a scratch image, each object checked against its checksum (a damaged or missing one stops here, the scratch image is removed)`,
        `  3. refuse if ${image} is still open by any client; take snapshot jenkins-ceph-<UTC time>-pre-restore of it, rename it to ${image}-pre-restore-<UTC time> (kept whole), and the scratch image to ${image}`,
        `  4. scale Jenkins back to 1`,
    ];
}

/** Jenkins scaled to 0 and its pod gone, or a refusal before anything is rolled back. */
async function stopJenkins(ns: string, deploy: string, timeoutSeconds: number, context?: string) {
    const scaled = kubectl(["-n", ns, "scale", `deploy/${deploy}`, "--replicas=0"], context);
    if (!scaled.ok)
        throw new Refusal(`could not scale Jenkins to 0; nothing was changed: ${scaled.out}`);
    const gone = await waitUntil(timeoutSeconds * 1000, () => {
        const pods = kubectl(["-n", ns, "get", "pods", "-l", APP_SELECTOR, "-o", "name"], context);
        return pods.ok && pods.out === "";
    });
    if (!gone) {
        throw new Refusal(
            `the Jenkins pod is still there after ${timeoutSeconds}s and holds the volume; nothing was rolled back (Jenkins stays scaled to 0: kubectl -n ${ns} scale deploy/${deploy} --replicas=1 to bring it back)`,
        );
    }
}

// test/cli.spec.ts imports parseRestoreArgs without running the command.
if (require.main === module) runCli("restore", main);
