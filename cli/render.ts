// Offline render: runs the real program under the SDK's mock runtime with a stack
// file's config and writes every Kubernetes object it would create to
// <out>/<stack>/manifests.yaml. No cluster, no Pulumi CLI, secrets redacted.
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { configFromStackFile, PROJECT_ROOT, RegisteredResource, runProgram } from "./mockRuntime";
import { STAND_IN_CEPH_KEY, STAND_IN_PASSWORD, STAND_IN_SSH_KEY } from "./standIns";
import { neededSecrets } from "../settings/crossRules";
import { stackInput } from "../settings/settings";
import { ConfigError, Problems } from "../settings/problems";
import { ambiguousNumbers } from "../settings/stackFile";
import { rbdParameter, SNAPSHOT_COMMANDS } from "../components/rbd/rbdScript";
import { stackSvg } from "./diagram";
import { configuredAsCode } from "../components/jenkins/cascMerge";
import { CommandSpec, parseCommandArgs, Refusal } from "./shared";

const REDACTED = "<redacted>";

const STAND_INS: Record<string, string> = {
    cephUserKey: STAND_IN_CEPH_KEY,
    cephAdminKey: STAND_IN_CEPH_KEY,
    rbdHostKey: STAND_IN_SSH_KEY,
    "jenkins.adminPassword": STAND_IN_PASSWORD,
};

/** kubectl-apply order: what others refer to comes first. */
export const KIND_ORDER = [
    "Namespace",
    "Secret",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "ServiceAccount",
    "Role",
    "RoleBinding",
    "Service",
    "Deployment",
    "Ingress",
];

interface RenderResult {
    manifests: Record<string, unknown>[];
    others: RegisteredResource[];
    notes: string[];
    outputs: Record<string, unknown>;
}

function readYaml(file: string): Record<string, unknown> {
    return (YAML.parse(fs.readFileSync(file, "utf8")) ?? {}) as Record<string, unknown>;
}

function setPath(obj: Record<string, unknown>, dotted: string, value: unknown): void {
    const parts = dotted.split(".").filter((p) => p.length > 0);
    let cur: Record<string, unknown> = obj;
    for (const p of parts.slice(0, -1)) {
        if (!cur[p] || typeof cur[p] !== "object") return;
        cur = cur[p] as Record<string, unknown>;
    }
    if (parts.length) cur[parts[parts.length - 1]] = value;
}

/** A plain Kubernetes object (a Helm release is a Pulumi resource, not a manifest). */
export function isKubernetesObject(r: RegisteredResource): boolean {
    return (
        r.custom && r.type.startsWith("kubernetes:") && !r.type.startsWith("kubernetes:helm.sh/")
    );
}

export function toManifest(r: RegisteredResource): Record<string, unknown> {
    const m = structuredClone(r.inputs);
    for (const p of r.secretPaths) setPath(m, p, REDACTED);
    if (m.kind === "Secret") {
        // Every value of a Secret is redacted, keys kept so references can be checked.
        for (const field of ["stringData", "data"]) {
            const keys = Object.keys(
                (r.inputs[field] as Record<string, unknown> | undefined) ?? {},
            );
            if (keys.length) m[field] = Object.fromEntries(keys.map((k) => [k, REDACTED]));
        }
    }
    return m;
}

interface StackFileConfig {
    project: string;
    /** Config as the language host hands it to the program (full keys, string values). */
    config: Record<string, string>;
    secretKeys: string[];
    /** Which keys were replaced by stand-ins, and why. */
    notes: string[];
}

/** A stack file's config, with stand-ins for the keys a user sets outside the file. */
export function stackFileConfig(
    stack: string,
    root = PROJECT_ROOT,
    stackFile = path.join(root, `Pulumi.${stack}.yaml`),
): StackFileConfig {
    const project = readYaml(path.join(root, "Pulumi.yaml")).name as string;
    if (!fs.existsSync(stackFile)) {
        throw new Error(
            `no stack file ${path.basename(stackFile)} (stacks: ${listStacks(root).join(", ")})`,
        );
    }
    // What pulumi up's reader would read otherwise is refused here too (settings/stackFile.ts).
    const ambiguous = ambiguousNumbers(fs.readFileSync(stackFile, "utf8"), project);
    if (ambiguous.length > 0) {
        const problems = new Problems(project);
        for (const [key, reason, example] of ambiguous) problems.add(key, reason, example);
        throw new ConfigError(problems.list);
    }
    const stackConfig = (readYaml(stackFile).config ?? {}) as Record<string, unknown>;
    const { config, secretKeys } = configFromStackFile(project, stackConfig, (full) => {
        return STAND_INS[full.slice(project.length + 1)] ?? "stand-in";
    });
    const notes: string[] = [];
    for (const full of secretKeys)
        notes.push(`${full} is encrypted in the stack file: rendered with a stand-in`);

    // Secrets a user sets with `pulumi config set --secret` are not in the file; render anyway.
    const input = stackInput({ project, values: config, secretKeys: new Set(secretKeys) });
    for (const key of neededSecrets(input)) {
        const full = `${project}:${key}`;
        if (config[full] === undefined) {
            config[full] = STAND_INS[key];
            secretKeys.push(full);
            notes.push(
                `${full} is not set in the stack file: rendered with a stand-in; set it with ` +
                    `\`pulumi config set --secret ${key} ...\` before pulumi up`,
            );
        }
    }
    // stackInput parsed it; a jenkins that is not an object is refused by the program itself.
    const jenkins = (
        typeof input.jenkins === "object" && input.jenkins !== null ? input.jenkins : {}
    ) as {
        adminExistingSecret?: string;
        casc?: Record<string, string>;
    };
    const asCode = configuredAsCode({
        hasAdminPassword: config[`${project}:jenkins.adminPassword`] !== undefined,
        adminExistingSecret: jenkins.adminExistingSecret,
        casc: typeof jenkins.casc === "object" && jenkins.casc !== null ? jenkins.casc : {},
    });
    if (!asCode) {
        notes.push(
            `${project}:jenkins.adminPassword is not set: Jenkins starts with its setup wizard ` +
                "(read the first password with the initialAdminPasswordCommand output); set it " +
                "with `pulumi config set --secret jenkins.adminPassword` to configure Jenkins as code",
        );
    }
    return { project, config, secretKeys, notes };
}

export async function render(
    stack: string,
    root = PROJECT_ROOT,
    stackFile = path.join(root, `Pulumi.${stack}.yaml`),
): Promise<RenderResult> {
    const { project, config, secretKeys, notes } = stackFileConfig(stack, root, stackFile);
    const run = await runProgram({ stack, config, secretKeys, project });
    if (run.error) throw run.error;
    const kube = run.resources.filter(isKubernetesObject);
    const rank = (r: RegisteredResource) => {
        const i = KIND_ORDER.indexOf(String(r.inputs.kind));
        return i < 0 ? KIND_ORDER.length : i;
    };
    const ordered = kube
        .map((r, i) => ({ r, i }))
        .sort((a, b) => rank(a.r) - rank(b.r) || a.i - b.i);
    return {
        manifests: ordered.map(({ r }) => toManifest(r)),
        others: run.resources.filter((r) => r.custom && !isKubernetesObject(r)),
        notes,
        outputs: run.outputs,
    };
}

/** The stacks that have a Pulumi.<stack>.yaml in `root`. */
export function listStacks(root = PROJECT_ROOT): string[] {
    return fs
        .readdirSync(root)
        .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
        .filter((s): s is string => s !== undefined);
}

export function describeOther(r: RegisteredResource): string {
    if (r.type === "command:local:Command" || r.type === "command:remote:Command") {
        if (r.inputs.stdin === undefined) {
            const env = (r.inputs.environment ?? {}) as { KEPT_NAMESPACE?: string };
            return env.KEPT_NAMESPACE !== undefined
                ? `${r.name}: namespace ${env.KEPT_NAMESPACE} is never deleted (it may hold objects of others); a destroy or rename says so`
                : `${r.name}: on destroy, names the PV and rbd image the Retain policy keeps`;
        }
        // The rbd program (parameters only are read; it also holds the key).
        const program = typeof r.inputs.stdin === "string" ? r.inputs.stdin : "";
        const v = (name: string) => rbdParameter(program, name) ?? "?";
        const where =
            r.type === "command:remote:Command"
                ? `over SSH on ${String((r.inputs.connection as { host?: string } | undefined)?.host)}`
                : "on this machine";
        // Data goes only through the removal hook (components/rbdRemoval.ts).
        const removed = (r.options.beforeDelete ?? []).length > 0;
        if (r.inputs.create === SNAPSHOT_COMMANDS.create) {
            const img = rbdParameter(program, "RBD_POOL")
                ? `rbd image ${v("RBD_POOL")}/${v("RBD_IMAGE")}`
                : "the bound PV's rbd image";
            return `snapshot of ${img} by rbd ${where} before Jenkins restarts on a new image, plugins, JVM options or JCasC; keeps the newest ${v("SNAP_KEEP")} of its own; on destroy its snapshots are ${removed ? "REMOVED (pulumi destroy --run-program)" : "kept with the image"}`;
        }
        return `rbd image ${v("RBD_POOL")}/${v("RBD_IMAGE")}, ${v("RBD_SIZE_MIB")} MiB, features ${v("RBD_FEATURES")}: created, adopted or grown (never shrunk) by rbd ${where}; on destroy ${removed ? "DELETED with this program's snapshots (pulumi destroy --run-program)" : "kept"}`;
    }
    if (r.type === "kubernetes:helm.sh/v3:Release") {
        const i = r.inputs as {
            chart?: string;
            version?: string;
            namespace?: string;
            repositoryOpts?: { repo?: string };
        };
        return (
            `helm release ${r.name}: chart ${i.chart}@${i.version} from ${i.repositoryOpts?.repo} ` +
            `in namespace ${i.namespace}; values ${JSON.stringify(r.inputs.values)}`
        );
    }
    return `${r.type} ${r.name}`;
}

const COMMAND: CommandSpec = {
    summary:
        "Renders every object a stack would create, offline (no cluster, no Pulumi CLI, secrets redacted), and a diagram of them.",
    usage: "usage: npm run render -- --stack <name> [--out <dir>] [--stack-file <Pulumi.<name>.yaml>]",
    optional: {
        out: "where <stack>/manifests.yaml and <stack>/diagram.svg go (default out)",
        "stack-file": "the stack file (default Pulumi.<stack>.yaml here)",
    },
    shared: [],
};

function renderArgs(argv: string[]): { stack: string; out: string; stackFile?: string } {
    const { stack, named } = parseCommandArgs(argv, COMMAND);
    const stackFile = named["stack-file"];
    return { stack, out: named.out ?? "out", stackFile: stackFile && path.resolve(stackFile) };
}

async function main(): Promise<number> {
    let target: string | undefined;
    try {
        const { stack, out, stackFile } = renderArgs(process.argv.slice(2));
        target = path.resolve(out, stack, "manifests.yaml");
        const result = await render(stack, PROJECT_ROOT, stackFile);
        const body = result.manifests.map((m) => YAML.stringify(m, { lineWidth: 0 })).join("---\n");
        fs.mkdirSync(path.dirname(target), { recursive: true });
        const tmp = `${target}.tmp-${process.pid}`;
        fs.writeFileSync(
            tmp,
            `# Rendered by jenkins-ceph for stack ${stack}; secrets redacted.\n${body}`,
        );
        fs.renameSync(tmp, target);
        const diagram = path.join(path.dirname(target), "diagram.svg");
        fs.writeFileSync(diagram, await stackSvg(stack, result));

        const lines = [`jenkins-ceph: stack ${stack}, mode ${String(result.outputs.mode)}`];
        for (const m of result.manifests) {
            const meta = m.metadata as { name?: string; namespace?: string };
            lines.push(
                `  ${String(m.kind).padEnd(22)} ${meta.namespace ? `${meta.namespace}/` : ""}${meta.name}`,
            );
        }
        for (const o of result.others)
            lines.push(`  ${"(pulumi resource)".padEnd(22)} ${describeOther(o)}`);
        for (const n of result.notes) lines.push(`  note: ${n}`);
        lines.push(
            `wrote ${result.manifests.length} objects to ${path.relative(process.cwd(), target)}`,
            `wrote the picture of them to ${path.relative(process.cwd(), diagram)}`,
        );
        console.log(lines.join("\n"));
        return 0;
    } catch (e) {
        if (e instanceof Refusal && e.exitCode === 0) {
            console.log(e.message);
            return 0;
        }
        if (target && fs.existsSync(target)) {
            fs.rmSync(target);
            console.error(`removed the stale ${target}: it no longer matches the config`);
        }
        console.error(`render: ${e instanceof Error ? e.message : String(e)}`);
        return 1;
    }
}

if (require.main === module) {
    void main().then((code) => process.exit(code));
}
