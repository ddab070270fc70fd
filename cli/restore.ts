// npm run restore -- --stack NAME --snapshot NAME [--yes]
// Rolls Jenkins' home back to one of this program's rbd snapshots. Without --yes it only
// prints every step. With it: Jenkins is scaled to 0 and its pod waited for, the image
// is checked to be closed, a safety snapshot of the current state is taken (so the
// restore can be undone), the image is rolled back, and Jenkins is scaled back to 1.
// Any refusal exits non-zero with one sentence; nothing is rolled back then.
import { SNAPSHOT_PATTERN, SNAPSHOT_PREFIX } from "../components/rbd/rbdScript";
import { parseSnapshots } from "../components/rbd/jenkinsSnapshot";
import { kubectl, openStack, parseCommandArgs, Refusal, runCli, runRbdStep } from "./shared";

const COMMAND = {
    summary:
        "Rolls Jenkins' home back to one of this program's rbd snapshots (a safety snapshot first).",
    usage: "usage: npm run restore -- --stack <name> --snapshot <name> [--yes] [--timeout <seconds>]",
    own: { snapshot: "the snapshot to roll back to (the stack's snapshots output)" },
};

/** The restore's arguments: the shared ones and the snapshot to roll back to. */
function parseArgs(argv: string[]) {
    const args = parseCommandArgs(argv, COMMAND);
    const snapshot = args.named.snapshot ?? "";
    if (!new RegExp(`^${SNAPSHOT_PATTERN}$`).test(snapshot)) {
        throw new Refusal(
            `--snapshot ${snapshot} is not one of this program's snapshots (they are named ${SNAPSHOT_PREFIX}<UTC time>-<reason>)`,
        );
    }
    return { ...args, snapshot };
}

async function main(): Promise<void> {
    const args = parseArgs(process.argv.slice(2));
    const { stack, settings: s, kubeContext: context } = await openStack(args.stack);
    if (s.ceph.provisioner === "existing") {
        throw new Refusal(
            "this stack uses ceph.existingStorageClass: it has no snapshots of its own to restore",
        );
    }
    if (s.mode === "static" && s.rbdHost) {
        throw new Refusal(
            `rbd runs on ${s.rbdHost.host} for this stack: run the restore there (it needs ceph-common and the monitors)`,
        );
    }
    const outputs = await stack.outputs();
    const rbdImage = String(outputs.rbdImage?.value ?? "");
    const [pool, image] = rbdImage.split("/");
    if (!pool || !image)
        throw new Refusal(
            "the stack has no rbdImage output: run `pulumi up` once with volume.snapshots on",
        );
    const rbd = (step: "list" | "restore") =>
        runRbdStep(step, s, { pool, image, restore: args.snapshot });
    // Ceph is the record (the stack output is as of the last up): a read-only listing.
    const listed = await rbd("list");
    if (!listed.ok) throw new Refusal(listed.error);
    const known = parseSnapshots(listed.stdout).map((x) => x.name);
    if (!known.includes(args.snapshot)) {
        throw new Refusal(
            `snapshot ${args.snapshot} is not among this stack's snapshots (${known.join(", ") || "none"}); nothing was changed`,
        );
    }
    const ns = s.jenkins.namespace;
    const deploy = s.jenkins.name;
    const steps = [
        `scale Jenkins to 0: kubectl -n ${ns} scale deploy/${deploy} --replicas=0, and wait up to ${args.timeoutSeconds}s until no pod app=jenkins is left`,
        `refuse if ${rbdImage} is still open by any client (the pod, or a node that has not unmapped it)`,
        `take snapshot ${SNAPSHOT_PREFIX}<now>-pre-restore of ${rbdImage} (to undo this restore)`,
        `rbd snap rollback ${rbdImage}@${args.snapshot}`,
        `scale Jenkins back to 1: kubectl -n ${ns} scale deploy/${deploy} --replicas=1`,
    ];
    if (!args.yes) {
        console.log(`restore of ${rbdImage} to ${args.snapshot} (dry run; add --yes to do it):`);
        steps.forEach((st, i) => console.log(`  ${i + 1}. ${st}`));
        return;
    }

    console.log(`1. ${steps[0]}`);
    const scaled = kubectl(["-n", ns, "scale", `deploy/${deploy}`, "--replicas=0"], context);
    if (!scaled.ok)
        throw new Refusal(`could not scale Jenkins to 0; nothing was changed: ${scaled.out}`);
    const deadline = Date.now() + args.timeoutSeconds * 1000;
    for (;;) {
        const pods = kubectl(["-n", ns, "get", "pods", "-l", "app=jenkins", "-o", "name"], context);
        if (pods.ok && pods.out === "") break;
        if (Date.now() > deadline) {
            throw new Refusal(
                `the Jenkins pod is still there after ${args.timeoutSeconds}s and holds the volume; nothing was rolled back (Jenkins stays scaled to 0: kubectl -n ${ns} scale deploy/${deploy} --replicas=1 to bring it back)`,
            );
        }
        await new Promise((res) => setTimeout(res, 1000));
    }
    console.log(`2-4. rbd on this machine`);
    const r = await rbd("restore");
    process.stdout.write(r.stdout);
    const rolledBack = r.ok;
    console.log(`5. ${steps[4]}`);
    const up = kubectl(["-n", ns, "scale", `deploy/${deploy}`, "--replicas=1"], context);
    if (!rolledBack) {
        throw new Refusal(`${r.error}${up.ok ? " (Jenkins is scaled back to 1)" : ""}`);
    }
    if (!up.ok)
        throw new Refusal(`rolled back, but Jenkins could not be scaled back to 1: ${up.out}`);
    console.log(`restored ${rbdImage} to ${args.snapshot}; Jenkins is starting`);
}

runCli("restore", main);
