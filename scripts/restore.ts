// npm run restore -- --stack NAME --snapshot NAME [--yes]
// Rolls Jenkins' home back to one of this program's rbd snapshots. Without --yes it only
// prints every step. With it: Jenkins is scaled to 0 and its pod waited for, the image
// is checked to be closed, a safety snapshot of the current state is taken (so the
// restore can be undone), the image is rolled back, and Jenkins is scaled back to 1.
// Any refusal exits non-zero with one sentence; nothing is rolled back then.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { rbdProgram, SNAPSHOT_PREFIX } from "../components/rbdScript";
import { parseSnapshots } from "../components/jenkinsSnapshot";
import { parseSettings, RawStackConfig, Settings } from "../stacks/settings";
import { PROJECT_ROOT } from "./projectRoot";

const USAGE =
    "usage: npm run restore -- --stack <name> --snapshot <name> [--yes] [--timeout <seconds>]";

class Refusal extends Error {}

interface Args {
    stack: string;
    snapshot: string;
    yes: boolean;
    timeoutSeconds: number;
}

function parseArgs(argv: string[]): Args {
    const out: Partial<Args> = { yes: false, timeoutSeconds: 300 };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--stack") out.stack = argv[++i];
        else if (a === "--snapshot") out.snapshot = argv[++i];
        else if (a === "--yes") out.yes = true;
        else if (a === "--timeout") out.timeoutSeconds = Number(argv[++i]);
        else throw new Refusal(`unknown argument ${a}; ${USAGE}`);
    }
    if (!out.stack || !out.snapshot) throw new Refusal(USAGE);
    if (!new RegExp(`^${SNAPSHOT_PREFIX}[0-9A-Za-z-]+$`).test(out.snapshot)) {
        throw new Refusal(
            `--snapshot ${out.snapshot} is not one of this program's snapshots (they are named ${SNAPSHOT_PREFIX}<UTC time>-<reason>)`,
        );
    }
    return out as Args;
}

const secretValue = (o: { apply: (f: (v: string) => void) => unknown }) =>
    new Promise<string>((res) => o.apply(res));

function kubectl(args: string[], context?: string): { ok: boolean; out: string } {
    const r = spawnSync("kubectl", [...(context ? ["--context", context] : []), ...args], {
        encoding: "utf8",
        timeout: 120_000,
    });
    return { ok: r.status === 0, out: `${r.stdout ?? ""}${r.stderr ?? ""}`.trim() };
}

async function main(): Promise<void> {
    const args = parseArgs(process.argv.slice(2));
    // The project here (npm runs scripts from the package root), else this checkout's.
    const workDir = fs.existsSync(path.join(process.cwd(), "Pulumi.yaml"))
        ? process.cwd()
        : PROJECT_ROOT;
    const ws = await LocalWorkspace.create({ workDir });
    const project = (await ws.projectSettings()).name;
    const config = await ws.getAllConfig(args.stack);
    const raw: RawStackConfig = {
        project,
        stack: args.stack,
        values: Object.fromEntries(Object.entries(config).map(([k, v]) => [k, v.value])),
        secretKeys: new Set(
            Object.entries(config)
                .filter(([, v]) => v.secret)
                .map(([k]) => k),
        ),
    };
    const s: Settings = parseSettings(raw);
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
    const outputs = await (
        await LocalWorkspace.selectStack({ stackName: args.stack, workDir })
    ).outputs();
    const rbdImage = String(outputs.rbdImage?.value ?? "");
    const [pool, image] = rbdImage.split("/");
    if (!pool || !image)
        throw new Refusal(
            "the stack has no rbdImage output: run `pulumi up` once with volume.snapshots on",
        );
    const ceph = s.ceph;
    const key = await secretValue(ceph.userKey);
    const rbd = (step: "list" | "restore") => {
        const program = rbdProgram(
            {
                pool,
                image,
                monitors: ceph.monitors,
                userId: ceph.user,
                timeoutSeconds: ceph.timeoutSeconds,
                fingerprints: { image: "", plugins: "", javaopts: "", casc: "" },
                keep: s.volume.snapshots.keep,
                purgeOnDelete: false,
                restore: args.snapshot,
            },
            key,
        );
        return spawnSync("sh", ["-s", step], {
            input: program,
            encoding: "utf8",
            timeout: 600_000,
        });
    };
    // Ceph is the record (the stack output is as of the last up): a read-only listing.
    const listed = rbd("list");
    if (listed.status !== 0) throw new Refusal((listed.stderr ?? "").trim().split("\n")[0]);
    const known = parseSnapshots(listed.stdout ?? "").map((x) => x.name);
    if (!known.includes(args.snapshot)) {
        throw new Refusal(
            `snapshot ${args.snapshot} is not among this stack's snapshots (${known.join(", ") || "none"}); nothing was changed`,
        );
    }
    const ns = s.jenkins.namespace;
    const deploy = s.jenkins.name;
    const context = config["kubernetes:context"]?.value;
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
    const r = rbd("restore");
    process.stdout.write(r.stdout ?? "");
    const rolledBack = r.status === 0;
    console.log(`5. ${steps[4]}`);
    const up = kubectl(["-n", ns, "scale", `deploy/${deploy}`, "--replicas=1"], context);
    if (!rolledBack) {
        throw new Refusal(
            `${(r.stderr ?? "").trim().split("\n")[0]}${up.ok ? " (Jenkins is scaled back to 1)" : ""}`,
        );
    }
    if (!up.ok)
        throw new Refusal(`rolled back, but Jenkins could not be scaled back to 1: ${up.out}`);
    console.log(`restored ${rbdImage} to ${args.snapshot}; Jenkins is starting`);
}

main().catch((e: unknown) => {
    const msg = e instanceof Error ? e.message : String(e);
    // A refusal or a config problem is already worded for the user; anything else: its first line.
    const worded = e instanceof Refusal || (e instanceof Error && e.name === "ConfigError");
    console.error(`restore: ${worded ? msg : msg.split("\n")[0]}`);
    process.exit(1);
});
