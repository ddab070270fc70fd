// What `npm run restore` and `npm run takeover` share: the stack's settings read through
// the automation API (the same validation as `pulumi up`), kubectl with the stack's
// context, the rbd program run on this machine with the key on stdin, and one way to end:
// a refusal is one worded sentence and exit 1, anything else its first line.
import { runRbdStepNow, secretValue } from "../components/rbd/rbdRemoval";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { LocalWorkspace, Stack, StackNotFoundError } from "@pulumi/pulumi/automation";
import { rbdProgram, SnapshotParams } from "../components/rbd/rbdScript";
import { parseSettings, RawStackConfig, Settings } from "../settings/settings";
import { PROJECT_ROOT } from "./projectRoot";

/** A reason to stop that is already worded for the user. */
export class Refusal extends Error {
    constructor(
        message: string,
        readonly exitCode = 1,
    ) {
        super(message);
    }
}

/** The arguments restore and takeover share, and the named ones each adds. */
export interface CommandArgs {
    stack: string;
    yes: boolean;
    timeoutSeconds: number;
    /** Values of the command's own `--name value` options. */
    named: Record<string, string | undefined>;
}

/** `--stack NAME [--yes] [--timeout SECONDS]` plus the command's own `--name value` options. */
export function parseCommandArgs(argv: string[], usage: string, own: string[] = []): CommandArgs {
    const out: CommandArgs = { stack: "", yes: false, timeoutSeconds: 300, named: {} };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--stack") out.stack = argv[++i];
        else if (a === "--yes") out.yes = true;
        else if (a === "--timeout") out.timeoutSeconds = Number(argv[++i]);
        else if (a.startsWith("--") && own.includes(a.slice(2))) out.named[a.slice(2)] = argv[++i];
        else throw new Refusal(`unknown argument ${a}; ${usage}`);
    }
    if (!out.stack) throw new Refusal(usage);
    if (!Number.isInteger(out.timeoutSeconds) || out.timeoutSeconds < 1) {
        throw new Refusal(`--timeout must be a whole number of seconds, e.g. 300; ${usage}`);
    }
    return out;
}

export interface StackContext {
    workDir: string;
    stack: Stack;
    settings: Settings;
    /** kubernetes:context of the stack, when it names one. */
    kubeContext?: string;
}

export { secretValue };

/** The stack's settings, validated as `pulumi up` validates them. */
export async function openStack(name: string): Promise<StackContext> {
    // The project here (npm runs scripts from the package root), else this checkout's.
    const workDir = fs.existsSync(path.join(process.cwd(), "Pulumi.yaml"))
        ? process.cwd()
        : PROJECT_ROOT;
    const ws = await LocalWorkspace.create({ workDir }).catch((e: Error) => {
        throw new Refusal(
            `the Pulumi CLI did not run (${cliFailure(e)}): put a working \`pulumi\` on PATH (npm run puts this project's, which downloads itself on first use)`,
        );
    });
    const project = (await ws.projectSettings()).name;
    const stack = await LocalWorkspace.selectStack({ stackName: name, workDir }).catch(
        (e: Error) => {
            throw new Refusal(
                e instanceof StackNotFoundError
                    ? `there is no stack ${name} in this project's backend: pulumi stack init ${name}, then set its config`
                    : `pulumi could not select stack ${name}: ${cliFailure(e)}`,
            );
        },
    );
    const config = await ws.getAllConfig(name);
    const raw: RawStackConfig = {
        project,
        stack: name,
        values: Object.fromEntries(Object.entries(config).map(([k, v]) => [k, v.value])),
        secretKeys: new Set(
            Object.entries(config)
                .filter(([, v]) => v.secret)
                .map(([k]) => k),
        ),
    };
    return {
        workDir,
        stack,
        settings: parseSettings(raw),
        kubeContext: config["kubernetes:context"]?.value,
    };
}

/** The CLI's own complaint in an automation API error: its "error:" line, else its last word on stderr. */
function cliFailure(e: Error): string {
    const stderr = (/stderr: ([\s\S]*?)\n\s*err\?:/.exec(e.message)?.[1] ?? e.message)
        .split("\n")
        .map((l) => l.trim())
        .filter(Boolean);
    return (
        stderr.find((l) => l.startsWith("error: "))?.slice(7) ??
        stderr.at(-1) ??
        e.message.split("\n")[0]
    );
}

/** kubectl with the stack's context; `input` on stdin (never a secret in argv). */
export function kubectl(
    args: string[],
    context?: string,
    input?: string,
): { ok: boolean; out: string; stdout: string; stderr: string } {
    const r = spawnSync("kubectl", [...(context ? ["--context", context] : []), ...args], {
        encoding: "utf8",
        timeout: 300_000,
        input,
    });
    return {
        ok: r.status === 0,
        out: `${r.stdout ?? ""}${r.stderr ?? ""}`.trim(),
        stdout: r.stdout ?? "",
        stderr: (r.stderr ?? "").trim(),
    };
}

/** One step of the rbd program on this machine, the key on its standard input. */
export async function runRbdStep(
    step: "list" | "restore" | "inspect",
    s: Settings,
    params: Pick<SnapshotParams, "pool" | "image"> & Partial<SnapshotParams>,
): Promise<{ ok: boolean; stdout: string; error: string }> {
    if (s.ceph.provisioner === "existing") throw new Error("no Ceph connection in this stack");
    const ceph = s.ceph;
    const program = rbdProgram(
        {
            monitors: ceph.monitors,
            userId: ceph.user,
            timeoutSeconds: ceph.timeoutSeconds,
            fingerprints: { image: "", plugins: "", javaopts: "", casc: "" },
            keep: s.volume.snapshots.keep,
            purgeOnDelete: false,
            ...params,
        },
        await secretValue(ceph.userKey),
    );
    const r = runRbdStepNow(step, program, undefined, 600_000);
    return {
        ok: r.code === 0,
        stdout: r.stdout,
        error: r.stderr.trim().split("\n")[0] || `rbd ${step} failed (exit ${r.code})`,
    };
}

/** Runs a command's main: a refusal or config problem prints as worded, anything else its first line. */
export function runCli(name: string, main: () => Promise<void>): void {
    main().catch((e: unknown) => {
        const msg = e instanceof Error ? e.message : String(e);
        const worded = e instanceof Refusal || (e instanceof Error && e.name === "ConfigError");
        console.error(`${name}: ${worded ? msg : msg.split("\n")[0]}`);
        process.exit(e instanceof Refusal ? e.exitCode : 1);
    });
}
