// Where test/e2e/toolchain.sh puts the parts it builds, and what each suite needs of them.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_ROOT } from "../../scripts/mockRuntime";

const pkg = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as {
    dependencies: Record<string, string>;
};

export const CACHE =
    process.env.JENKINS_CEPH_TOOLCHAIN ?? path.join(os.homedir(), ".cache", "jenkins-ceph-e2e");
export const PULUMI_VERSION = pkg.dependencies["@pulumi/pulumi"];
export const KUBERNETES_PROVIDER_VERSION = pkg.dependencies["@pulumi/kubernetes"];
export const COMMAND_PROVIDER_VERSION = pkg.dependencies["@pulumi/command"];
const KUBERNETES_VERSION = process.env.KUBERNETES_VERSION ?? "v1.30.14";
const KWOK_VERSION = process.env.KWOK_VERSION ?? "v0.7.0";

const bin = (dir: string) => path.join(CACHE, dir, "bin");

export const TOOLCHAIN = {
    /** Directory holding kube-apiserver, kube-controller-manager, kube-scheduler, kubectl. */
    kubernetes: bin(`kubernetes-${KUBERNETES_VERSION}`),
    kwok: path.join(bin(`kwok-${KWOK_VERSION}`), "kwok"),
    /** PulumiCommand.get's root: the CLI is root/bin/pulumi. */
    pulumiRoot: path.join(CACHE, `pulumi-v${PULUMI_VERSION}`),
    languageHostDir: bin(`language-nodejs-v${PULUMI_VERSION}`),
    kubernetesProvider: path.join(
        bin(`kubernetes-provider-${KUBERNETES_PROVIDER_VERSION}`),
        "pulumi-resource-kubernetes",
    ),
    commandProvider: path.join(
        bin(`command-${COMMAND_PROVIDER_VERSION}`),
        "pulumi-resource-command",
    ),
};

export const CONTROLPLANE = path.join(__dirname, "controlplane.sh");

/** What is missing to run the control plane (and, with engine, the Pulumi engine). */
export function missingParts(engine: boolean): string[] {
    const want: [string, string][] = [
        ...["kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl"].map(
            (b): [string, string] => [path.join(TOOLCHAIN.kubernetes, b), "kubernetes"],
        ),
    ];
    if (engine) {
        want.push(
            [TOOLCHAIN.kwok, "kwok"],
            [path.join(TOOLCHAIN.pulumiRoot, "bin", "pulumi"), "pulumi"],
            [path.join(TOOLCHAIN.languageHostDir, "pulumi-language-nodejs"), "language"],
            [TOOLCHAIN.kubernetesProvider, "provider"],
            [TOOLCHAIN.commandProvider, "command"],
        );
    }
    return want
        .filter(([file]) => !fs.existsSync(file))
        .map(([file, part]) => `${file} (build it: test/e2e/toolchain.sh ${part})`);
}
