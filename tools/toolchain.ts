// Where tools/toolchain.sh puts the parts it builds, and what each suite needs of them.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROGRAM_SOURCES, PROJECT_ROOT } from "../cli/projectRoot";

export { PROJECT_ROOT };

const pkg = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as {
    dependencies: Record<string, string>;
};

const CACHE =
    process.env.JENKINS_CEPH_TOOLCHAIN ?? path.join(os.homedir(), ".cache", "jenkins-ceph-e2e");
const PULUMI_VERSION = pkg.dependencies["@pulumi/pulumi"];
const KUBERNETES_PROVIDER_VERSION = pkg.dependencies["@pulumi/kubernetes"];
const COMMAND_PROVIDER_VERSION = pkg.dependencies["@pulumi/command"];
const KUBERNETES_VERSION = process.env.KUBERNETES_VERSION ?? "v1.30.14";
const KWOK_VERSION = process.env.KWOK_VERSION ?? "v0.7.0";

const bin = (dir: string) => path.join(CACHE, dir, "bin");

export const TOOLCHAIN = {
    /** Directory holding kube-apiserver, kube-controller-manager, kube-scheduler, kubectl. */
    kubernetes: bin(`kubernetes-${KUBERNETES_VERSION}`),
    kwok: path.join(bin(`kwok-${KWOK_VERSION}`), "kwok"),
    /** PulumiCommand.get's root: the CLI is root/bin/pulumi. */
    pulumiRoot: path.join(CACHE, `pulumi-v${PULUMI_VERSION}`),
    kubernetesProvider: path.join(
        bin(`kubernetes-provider-${KUBERNETES_PROVIDER_VERSION}`),
        "pulumi-resource-kubernetes",
    ),
    commandProvider: path.join(
        bin(`command-${COMMAND_PROVIDER_VERSION}`),
        "pulumi-resource-command",
    ),
};

export const PULUMI_CLI = path.join(TOOLCHAIN.pulumiRoot, "bin", "pulumi");

/**
 * shared/third_party (upstream sources this machine cannot fetch), where toolchain.sh
 * looks for it: JENKINS_CEPH_THIRD_PARTY, or beside the checkout.
 */
function thirdPartyDir(): string | undefined {
    const candidates = [
        process.env.JENKINS_CEPH_THIRD_PARTY,
        path.join(path.dirname(PROJECT_ROOT), "shared", "third_party"),
    ];
    return candidates.find((d): d is string => !!d && fs.existsSync(d));
}

/** The ceph-csi-rbd chart's source (v3.12.2) for a real install, or undefined. */
export function cephCsiChartDir(): string | undefined {
    const dir = thirdPartyDir();
    const chart = dir && path.join(dir, "ceph-csi-rbd-chart-v3.12.2");
    return chart && fs.existsSync(path.join(chart, "Chart.yaml")) ? chart : undefined;
}

/** Starts and stops the throwaway control plane (see the script). */
export const CONTROLPLANE = path.join(PROJECT_ROOT, "test", "e2e", "controlplane.sh");

/** What is missing to run the control plane (and, with engine, the Pulumi engine). */
function missingParts(engine: boolean): string[] {
    const want: [string, string][] = [
        ...["kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl"].map(
            (b): [string, string] => [path.join(TOOLCHAIN.kubernetes, b), "kubernetes"],
        ),
    ];
    if (engine) {
        want.push(
            [TOOLCHAIN.kwok, "kwok"],
            [PULUMI_CLI, "pulumi"],
            // toolchain.sh puts the language host next to the CLI, where the CLI looks first.
            [path.join(TOOLCHAIN.pulumiRoot, "bin", "pulumi-language-nodejs"), "engine"],
            [TOOLCHAIN.kubernetesProvider, "provider"],
            [TOOLCHAIN.commandProvider, "command"],
        );
    }
    return want
        .filter(([file]) => !fs.existsSync(file))
        .map(([file, part]) => `${file} (build it: tools/toolchain.sh ${part})`);
}

/**
 * Why controlplane.sh cannot start here (with engine: nor the Pulumi engine run), or
 * undefined: a part not built, or a host tool the script uses not installed.
 */
export function controlPlaneMissing(engine: boolean): string | undefined {
    const parts = missingParts(engine);
    if (parts.length) return `not built: ${parts.join("; ")}`;
    for (const b of ["etcd", "openssl", "python3"]) {
        if (spawnSync("sh", ["-c", `command -v ${b}`]).status !== 0) return `${b} is not installed`;
    }
    return undefined;
}

/**
 * The environment the engine runs in here: a private Pulumi home, a file backend, a
 * throwaway passphrase, and no plugin downloads.
 */
export function engineEnv(root: string, kubeconfig: string): Record<string, string> {
    const home = path.join(root, "pulumi-home");
    const backend = path.join(root, "backend");
    fs.mkdirSync(home, { recursive: true });
    fs.mkdirSync(backend, { recursive: true });
    return {
        PULUMI_HOME: home,
        PULUMI_BACKEND_URL: `file://${backend}`,
        PULUMI_CONFIG_PASSPHRASE: "e2e-throwaway",
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        KUBECONFIG: kubeconfig,
    };
}

/** Registers the providers built from source, by file (through PATH the CLI warns on every run). */
export function installPlugins(env: Record<string, string>): void {
    for (const [name, version, file] of [
        ["kubernetes", KUBERNETES_PROVIDER_VERSION, TOOLCHAIN.kubernetesProvider],
        ["command", COMMAND_PROVIDER_VERSION, TOOLCHAIN.commandProvider],
    ]) {
        const r = spawnSync(
            PULUMI_CLI,
            ["plugin", "install", "resource", name, version, "--file", file],
            { encoding: "utf8", env: { ...process.env, ...env } },
        );
        if (r.status !== 0) {
            throw new Error(`pulumi plugin install ${name} ${version} failed: ${r.stderr}`);
        }
    }
}

/** What a stack needs beside Pulumi.yaml: the program and what it loads, linked. */
const PROGRAM_FILES = [
    "package.json",
    "launch.js",
    "node_modules",
    "tsconfig.json",
    "tsconfig.build.json",
    ...PROGRAM_SOURCES,
    "bin",
];

/**
 * A project directory outside the repository for throwaway stacks, so their stack files
 * never land in the repo: Pulumi.yaml as shipped, the program linked.
 */
export function projectDir(root: string): string {
    const dir = path.join(root, "project");
    fs.mkdirSync(dir);
    fs.copyFileSync(path.join(PROJECT_ROOT, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
    for (const f of PROGRAM_FILES) fs.symlinkSync(path.join(PROJECT_ROOT, f), path.join(dir, f));
    return dir;
}

/** Starts the control plane (with kwok's node) in dir; returns the kubeconfig path. */
export function startControlPlane(dir: string): string {
    const r = spawnSync(CONTROLPLANE, ["start", dir, TOOLCHAIN.kubernetes, TOOLCHAIN.kwok], {
        encoding: "utf8",
        timeout: 300_000,
    });
    if (r.status !== 0) {
        spawnSync(CONTROLPLANE, ["stop", dir], { timeout: 60_000 });
        throw new Error(`the control plane did not start:\n${r.stdout}\n${r.stderr}`);
    }
    return path.join(dir, "kubeconfig");
}

export function stopControlPlane(dir: string): void {
    spawnSync(CONTROLPLANE, ["stop", dir], { timeout: 60_000 });
}
