// What `npm run restore` and `npm run takeover` share: the stack's settings read through
// the automation API (the same validation as `pulumi up`), kubectl with the stack's
// context, the stack's rbd steps (settings/rbdStep.ts), and one way to end:
// a refusal is one worded sentence and exit 1, anything else its first line.
import { secretValue } from "../components/rbd/rbdRun";
import { runStackRbdStep } from "../settings/rbdStep";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";
import { LocalWorkspace, Stack, StackNotFoundError } from "@pulumi/pulumi/automation";
import type { SnapshotParams } from "../components/rbd/rbdScript";
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

/** What a command takes beside the shared options, for util.parseArgs and its --help. */
export interface CommandSpec {
    /** The one line `--help` starts with: what the command does. */
    summary: string;
    usage: string;
    /** The command's own `--name value` options, with what each is; all required. */
    own?: Record<string, string>;
    /** Options that may be left out, with what each is. */
    optional?: Record<string, string>;
    /** The command's own `--name` switches (no value), with what each does. */
    flags?: Record<string, string>;
    /** The shared options this command takes (render takes none of them but --stack). */
    shared?: readonly ("yes" | "timeout")[];
}

/** The arguments restore and takeover share, and the command's own. */
interface CommandArgs {
    stack: string;
    yes: boolean;
    timeoutSeconds: number;
    /** Values of the command's own options (the optional ones only when given). */
    named: Record<string, string | undefined>;
    /** The command's own switches that were given. */
    flags: ReadonlySet<string>;
}

/** The shared options a command takes when its spec does not say. */
const DEFAULT_SHARED: readonly ("yes" | "timeout")[] = ["yes", "timeout"];

const SHARED_HELP = {
    stack: "--stack <name>       the stack (as pulumi stack ls lists it)",
    yes: "--yes                do it; without it every step is printed and nothing changes",
    timeout: "--timeout <s>        how long to wait for Jenkins to stop or start (default 300)",
};

function helpText(spec: CommandSpec): string {
    const shared = spec.shared ?? DEFAULT_SHARED;
    return [
        spec.summary,
        spec.usage,
        "",
        `  ${SHARED_HELP.stack}`,
        ...Object.entries({ ...spec.own, ...spec.optional }).map(
            ([k, v]) => `  --${k} <value>`.padEnd(23) + v,
        ),
        ...Object.entries(spec.flags ?? {}).map(([k, v]) => `  --${k}`.padEnd(23) + v),
        ...shared.map((k) => `  ${SHARED_HELP[k]}`),
        "  --help               this text",
    ].join("\n");
}

/**
 * `--stack NAME` and the shared and own options (Node's util.parseArgs, strict). `--help`
 * is a Refusal with exit code 0 whose message is the help; a missing or unknown option a
 * Refusal that names it.
 */
export function parseCommandArgs(argv: string[], spec: CommandSpec): CommandArgs {
    const own = Object.keys(spec.own ?? {});
    const options: Record<string, { type: "string" | "boolean"; short?: string }> = {
        stack: { type: "string", short: "s" },
        help: { type: "boolean", short: "h" },
    };
    for (const k of spec.shared ?? DEFAULT_SHARED)
        options[k] = { type: k === "yes" ? "boolean" : "string" };
    for (const k of [...own, ...Object.keys(spec.optional ?? {})]) options[k] = { type: "string" };
    for (const k of Object.keys(spec.flags ?? {})) options[k] = { type: "boolean" };
    let values: Record<string, string | boolean | undefined>;
    try {
        values = parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
    } catch (e) {
        throw new Refusal(`${(e as Error).message.split("\n")[0]}; ${spec.usage}`);
    }
    if (values.help) throw new Refusal(helpText(spec), 0);
    const missing = ["stack", ...own].filter(
        (k) => typeof values[k] !== "string" || values[k] === "",
    );
    if (missing.length > 0) {
        const list = missing.map((k) => `--${k}`).join(" and ");
        throw new Refusal(`${list} ${missing.length > 1 ? "are" : "is"} missing; ${spec.usage}`);
    }
    const timeout = values.timeout === undefined ? 300 : Number(values.timeout);
    if (!Number.isInteger(timeout) || timeout < 1) {
        throw new Refusal(`--timeout must be a whole number of seconds, e.g. 300; ${spec.usage}`);
    }
    return {
        stack: String(values.stack),
        yes: values.yes === true,
        timeoutSeconds: timeout,
        named: Object.fromEntries(
            Object.entries(values).filter((e): e is [string, string] => typeof e[1] === "string"),
        ),
        flags: new Set(Object.keys(spec.flags ?? {}).filter((k) => values[k] === true)),
    };
}

/**
 * The `pulumi` the user runs `pulumi up` with: PULUMI_CLI when it names one, else the first
 * on PATH that is not an npm wrapper. `npm run` puts node_modules/.bin first, and the
 * wrapper there downloads a CLI of its own (offline, it fails).
 */
export function usersPulumiPath(env: NodeJS.ProcessEnv = process.env): string {
    const dirs = (env.PATH ?? "")
        .split(path.delimiter)
        .filter((d) => d !== "" && !/[\\/]node_modules[\\/]\.bin[\\/]?$/.test(d));
    return [...(env.PULUMI_CLI ? [path.dirname(path.resolve(env.PULUMI_CLI))] : []), ...dirs].join(
        path.delimiter,
    );
}

interface StackContext {
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
    // Every pulumi the automation API starts is found on this PATH.
    process.env.PATH = usersPulumiPath();
    const ws = await LocalWorkspace.create({ workDir }).catch((e: Error) => {
        throw new Refusal(
            `the Pulumi CLI did not run (${cliFailure(e)}): put the pulumi you run pulumi up with on PATH, or name it with PULUMI_CLI=/path/to/pulumi`,
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

/** Which cluster kubectl talks to: a context of the user's kubeconfig, or a file of its own. */
export type KubeTarget = string | { kubeconfig: string; bin?: string } | undefined;

/**
 * kubectl against `target` (a stack's context, or a kubeconfig file and a kubectl binary
 * for the tests' clusters); `input` on stdin, never a secret in argv. The one kubectl.
 */
export function kubectl(
    args: string[],
    target?: KubeTarget,
    input?: string,
): { ok: boolean; out: string; stdout: string; stderr: string } {
    const file = typeof target === "object" ? target : undefined;
    const where = file
        ? ["--kubeconfig", file.kubeconfig]
        : typeof target === "string"
          ? ["--context", target]
          : [];
    const r = spawnSync(file?.bin ?? "kubectl", [...where, ...args], {
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

/**
 * Polls `done` once a second until it holds or `timeoutMs` has passed; whether it held.
 * The one wait of the CLIs (and of the e2e harness, test/e2e/).
 */
export async function waitUntil(
    timeoutMs: number,
    done: () => boolean | Promise<boolean>,
    intervalMs = 1000,
): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        if (await done()) return true;
        if (Date.now() > deadline) return false;
        await new Promise((res) => setTimeout(res, intervalMs));
    }
}

/** One step of the rbd program, here or on the stack's rbdHost, the key on its standard input. */
export async function runRbdStep(
    step: "list" | "restore" | "inspect",
    s: Settings,
    params: Pick<SnapshotParams, "pool" | "image"> & Partial<SnapshotParams>,
): Promise<{ ok: boolean; stdout: string; error: string }> {
    const r = await runStackRbdStep(step, s, params, 600_000);
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
        if (e instanceof Refusal && e.exitCode === 0) {
            console.log(msg);
            process.exit(0);
        }
        console.error(`${name}: ${worded ? msg : msg.split("\n")[0]}`);
        process.exit(e instanceof Refusal ? e.exitCode : 1);
    });
}
