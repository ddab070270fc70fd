// Runs the real program (index.ts) under the Pulumi SDK's mock runtime, the way the
// language host does, and returns every registered resource with its inputs and
// options. Used by the tests, `npm run render` and `npm run bench`.
import "./underMocks";
import * as path from "path";
import { PROGRAM_SOURCES, PROJECT_ROOT } from "./projectRoot";
import * as pulumi from "@pulumi/pulumi";

export { PROJECT_ROOT };
const PROGRAM = path.join(PROJECT_ROOT, "index.ts");

export interface RegisteredResource {
    type: string;
    name: string;
    custom: boolean;
    /** Inputs with secrets unwrapped to their values. */
    inputs: Record<string, unknown>;
    /** Dotted paths of inputs that arrived as Pulumi secrets ("" = the whole input). */
    secretPaths: string[];
    /** Resource options the program set (protect, dependsOn, ignoreChanges, ...). */
    options: {
        protect?: boolean;
        retainOnDelete?: boolean;
        deleteBeforeReplace?: boolean;
        ignoreChanges?: string[];
        replaceOnChanges?: string[];
        additionalSecretOutputs?: string[];
        customTimeouts?: pulumi.CustomTimeouts;
        dependsOn: string[];
        parent?: string;
        /** Names of the resource hooks bound as beforeDelete (the removal guards). */
        beforeDelete?: string[];
        /** Names of the resource hooks bound as beforeCreate (the ownership guard). */
        beforeCreate?: string[];
    };
}

export interface ProgramRun {
    resources: RegisteredResource[];
    outputs: Record<string, unknown>;
    error?: Error;
    /** Messages the program logged through pulumi.log. */
    logs: string[];
}

export interface RunOptions {
    stack: string;
    /** Config with full keys ("jenkins-ceph:mode") and string values, as the CLI passes it. */
    config: Record<string, string>;
    secretKeys?: string[];
    preview?: boolean;
    program?: string;
    project?: string;
    /** The outputs of the stack's last run, as its StackReference to itself reads them. */
    lastOutputs?: Record<string, unknown>;
}

const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

function unwrapSecrets(value: unknown, at: string, paths: string[]): unknown {
    if (Array.isArray(value)) return value.map((v, i) => unwrapSecrets(v, `${at}[${i}]`, paths));
    if (value && typeof value === "object") {
        const obj = value as Record<string, unknown>;
        if (obj[pulumi.runtime.specialSigKey] === SECRET_SIG) {
            paths.push(at);
            return unwrapSecrets(obj.value, at, []);
        }
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(obj)) {
            out[k] = unwrapSecrets(v, at ? `${at}.${k}` : k, paths);
        }
        return out;
    }
    return value;
}

/** The program's own modules (tsconfig.build.json's list), reloaded for every run. */
const PROGRAM_PATHS = PROGRAM_SOURCES.map((s) => path.join(PROJECT_ROOT, s));

function clearProgramModules(program: string): void {
    for (const id of Object.keys(require.cache)) {
        const own = PROGRAM_PATHS.some((p) => id === p || id.startsWith(p + path.sep));
        if (id === program || own) delete require.cache[id];
    }
}

function resourceName(r: pulumi.Resource | pulumi.Input<pulumi.Resource> | undefined): string {
    const res = r as { __name?: string } | undefined;
    return res?.__name ?? "<unknown>";
}

// The recorder needs to see each resource's options as the program sets them, which
// only the SDK-side (deprecated) stack transformation offers under mocks.
const registerStack = pulumi.runtime.registerStackTransformation;
const registerTransform = pulumi.runtime.registerResourceTransform;

/** Sets what the language host passes the program in its environment; returns the undo. */
function languageHostEnv(secretKeys: string[]): () => void {
    const before = process.env.PULUMI_CONFIG_SECRET_KEYS;
    process.env.PULUMI_CONFIG_SECRET_KEYS = JSON.stringify(secretKeys);
    return () => {
        if (before === undefined) delete process.env.PULUMI_CONFIG_SECRET_KEYS;
        else process.env.PULUMI_CONFIG_SECRET_KEYS = before;
    };
}

/** The mocks: records every registered resource (with the options the recorder saw). */
function recordingMocks(
    opts: RunOptions,
    order: RegisteredResource[],
    pendingOptions: Map<string, RegisteredResource["options"]>,
): pulumi.runtime.Mocks {
    return {
        newResource(args: pulumi.runtime.MockResourceArgs) {
            // The stack reading its own last outputs (settings/index.ts): nothing is registered.
            if (args.type === "pulumi:pulumi:StackReference") {
                const name = String((args.inputs as { name?: unknown }).name);
                return { id: name, state: { name, outputs: opts.lastOutputs ?? {} } };
            }
            // A read (Resource.get) of an existing object: nothing is registered.
            if (args.id) return { id: args.id, state: { spec: {} } };
            const secretPaths: string[] = [];
            const inputs = unwrapSecrets(args.inputs, "", secretPaths) as Record<string, unknown>;
            order.push({
                type: args.type,
                name: args.name,
                custom: args.custom ?? true,
                inputs,
                secretPaths,
                options: pendingOptions.get(`${args.type}::${args.name}`) ?? { dependsOn: [] },
            });
            let state = args.inputs as Record<string, unknown>;
            if (args.type === "kubernetes:core/v1:PersistentVolumeClaim") {
                // As the API reports a bound claim: the PV's name in spec.volumeName.
                const spec = (state.spec ?? {}) as Record<string, unknown>;
                state = { ...state, spec: { volumeName: `pvc-${args.name}`, ...spec } };
            }
            return { id: args.custom === false ? undefined : `${args.name}-id`, state };
        },
        call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
            return args.inputs as Record<string, unknown>;
        },
    };
}

/** The options the recorder keeps of one resource. */
function recordedOptions(o: pulumi.CustomResourceOptions): RegisteredResource["options"] {
    const deps = o.dependsOn;
    const depList = (Array.isArray(deps) ? deps : deps ? [deps] : []) as pulumi.Resource[];
    return {
        protect: o.protect,
        retainOnDelete: o.retainOnDelete,
        deleteBeforeReplace: o.deleteBeforeReplace,
        ignoreChanges: o.ignoreChanges,
        replaceOnChanges: o.replaceOnChanges,
        additionalSecretOutputs: o.additionalSecretOutputs,
        customTimeouts: o.customTimeouts,
        dependsOn: depList.map(resourceName),
        parent: o.parent ? resourceName(o.parent) : undefined,
        beforeDelete: o.hooks?.beforeDelete?.map((h) => h.name),
        beforeCreate: o.hooks?.beforeCreate?.map((h) =>
            typeof h === "function" ? "<anonymous>" : h.name,
        ),
    };
}

/**
 * Records each resource's options as the program sets them. The SDK's mocks have no
 * engine, so no engine-side transforms: the program's own (components/cluster/ownership.ts)
 * are collected and run here, SDK-side, before the recorder records the options they leave.
 */
function recordOptions(pendingOptions: Map<string, RegisteredResource["options"]>): void {
    const programTransforms: pulumi.ResourceTransform[] = [];
    pulumi.runtime.registerResourceTransform = (t) => void programTransforms.push(t);
    registerStack((first) => {
        let t = first;
        const custom = pulumi.CustomResource.isInstance(first.resource);
        for (const f of programTransforms) {
            const r = f({ ...t, custom });
            if (r instanceof Promise)
                throw new Error("the mock runtime runs only synchronous transforms");
            if (r) t = { ...t, props: r.props, opts: r.opts };
        }
        pendingOptions.set(`${t.type}::${t.name}`, recordedOptions(t.opts));
        return t === first ? undefined : { props: t.props, opts: t.opts };
    });
}

/** pulumi.log into `logs` while the program runs; returns the undo. */
function captureLogs(logs: string[]): () => void {
    const orig = { info: pulumi.log.info, warn: pulumi.log.warn, error: pulumi.log.error };
    for (const level of ["info", "warn", "error"] as const) {
        pulumi.log[level] = (msg: string) => {
            logs.push(`${level}: ${msg}`);
            return Promise.resolve();
        };
    }
    return () => Object.assign(pulumi.log, orig);
}

/**
 * The SDK re-rejects a failed program's stack promises after runInPulumiStack has
 * rejected; the language host swallows those, so do the same for that one error. Returns
 * the undo, which hands back any other rejection seen.
 */
function swallowRepeatedRejection(error: () => Error | undefined): () => unknown {
    const otherListeners = process.listeners("unhandledRejection");
    process.removeAllListeners("unhandledRejection");
    const seen: unknown[] = [];
    const swallow = (reason: unknown) => {
        const e = error();
        if (reason === e || (e && reason instanceof Error && reason.message === e.message)) return;
        seen.push(reason);
    };
    process.on("unhandledRejection", swallow);
    return () => {
        process.removeListener("unhandledRejection", swallow);
        for (const l of otherListeners) process.on("unhandledRejection", l);
        return seen[0];
    };
}

export async function runProgram(opts: RunOptions): Promise<ProgramRun> {
    const order: RegisteredResource[] = [];
    const logs: string[] = [];
    const pendingOptions = new Map<string, RegisteredResource["options"]>();
    await pulumi.runtime.setMocks(
        recordingMocks(opts, order, pendingOptions),
        opts.project ?? "jenkins-ceph",
        opts.stack,
        opts.preview ?? false,
        // The file backend's organization, which the stack's reference to itself names.
        "organization",
    );
    pulumi.runtime.setAllConfig(opts.config, opts.secretKeys ?? []);
    const restoreEnv = languageHostEnv(opts.secretKeys ?? []);
    clearProgramModules(require.resolve(opts.program ?? PROGRAM));
    const restoreLogs = captureLogs(logs);
    let outputs: Record<string, unknown> = {};
    let error: Error | undefined;
    const restoreRejections = swallowRepeatedRejection(() => error);
    try {
        outputs =
            (await pulumi.runtime.runInPulumiStack((): Promise<unknown> => {
                recordOptions(pendingOptions);
                // eslint-disable-next-line @typescript-eslint/no-require-imports
                return Promise.resolve(require(opts.program ?? PROGRAM) as unknown);
            })) ?? {};
        outputs = (await resolveOutputs(outputs)) as Record<string, unknown>;
    } catch (e) {
        error = e instanceof Error ? e : new Error(String(e));
    }
    pulumi.runtime.registerResourceTransform = registerTransform;
    restoreEnv();
    await pulumi.runtime.disconnect();
    await new Promise((resolve) => setTimeout(resolve, 0));
    const other = restoreRejections();
    if (other !== undefined && !error)
        error = other instanceof Error ? other : new Error(JSON.stringify(other));
    restoreLogs();
    return { resources: order, outputs, error, logs };
}

async function resolveOutputs(v: unknown): Promise<unknown> {
    if (pulumi.Output.isInstance(v)) {
        // promise() resolves unknowns (preview) to undefined instead of never running.
        return (v as unknown as { promise(): Promise<unknown> }).promise();
    }
    if (v && typeof v === "object" && !Array.isArray(v)) {
        const out: Record<string, unknown> = {};
        for (const [k, x] of Object.entries(v)) out[k] = await resolveOutputs(x);
        return out;
    }
    return v;
}

/** Whether a stack-file value holds a `secure:` value anywhere (set with --secret --path). */
function holdsSecure(v: unknown): boolean {
    if (Array.isArray(v)) return v.some(holdsSecure);
    if (v && typeof v === "object") {
        return "secure" in v || Object.values(v).some(holdsSecure);
    }
    return false;
}

/** The value with every nested `secure:` replaced by a stand-in, as the CLI would decrypt it. */
function withStandIns(v: unknown, standIn: string): unknown {
    if (Array.isArray(v)) return v.map((x) => withStandIns(x, standIn));
    if (v && typeof v === "object") {
        if ("secure" in v) return standIn;
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, withStandIns(x, standIn)]));
    }
    return v;
}

/**
 * Config for runProgram from a stack file's `config:` map (values as the CLI passes them):
 * a key with a `secure:` value anywhere in it is a secret key, as the CLI marks it.
 */
export function configFromStackFile(
    project: string,
    config: Record<string, unknown>,
    secretStandIn: (key: string) => string,
): { config: Record<string, string>; secretKeys: string[] } {
    const out: Record<string, string> = {};
    const secretKeys: string[] = [];
    for (const [k, v] of Object.entries(config ?? {})) {
        const full = k.includes(":") ? k : `${project}:${k}`;
        if (v && typeof v === "object" && "secure" in v) {
            out[full] = secretStandIn(full);
            secretKeys.push(full);
        } else if (holdsSecure(v)) {
            out[full] = JSON.stringify(withStandIns(v, secretStandIn(full)));
            secretKeys.push(full);
        } else {
            out[full] = typeof v === "string" ? v : JSON.stringify(v);
        }
    }
    return { config: out, secretKeys };
}
