// What the program renders, pinned: every mode x provisioner (plain and with every
// optional part) and every shipped stack file, compared byte for byte with
// test/golden/*.yaml. A refactor must leave these files unchanged; a deliberate change
// regenerates them (UPDATE_GOLDEN=1 npm test) and shows up in review as their diff.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { PROJECT_ROOT, runProgram } from "../cli/mockRuntime";
import {
    describeOther,
    isKubernetesObject,
    listStacks,
    stackFileConfig,
    toManifest,
} from "../cli/render";
import {
    baseStack,
    COMBINATIONS,
    FAKE_HOST_KEY_LINE,
    FAKE_SSH_KEY,
    StackInput,
    toRunOptions,
} from "./fixtures";
import { merge } from "./helpers";

const DIR = path.join(__dirname, "golden");
const UPDATE = process.env.UPDATE_GOLDEN === "1";

function withEverything(input: StackInput, provisioner: string, mode: string): StackInput {
    let i = merge(input, "jenkins", {
        ingress: {
            host: "jenkins.example.com",
            className: "nginx",
            tlsSecretName: "jenkins-tls",
            annotations: { "nginx.ingress.kubernetes.io/proxy-body-size": "50m" },
        },
        agents: { enabled: true, namespace: "ci-agents" },
        plugins: ["git:5.7.0"],
        casc: { welcome: "jenkins:\n  systemMessage: Configured as code\n" },
        nodeAffinity: { "cicd-services": "enabled" },
        tolerations: [{ key: "dedicated", value: "ci", effect: "NoSchedule" }],
        priorityClassName: "jenkins-critical",
        pdb: true,
        networkPolicy: { ingressNamespace: "ingress-nginx" },
    });
    i.secrets = { ...i.secrets, "jenkins.adminPassword": "golden-admin-password" };
    if (provisioner === "csi") i = merge(i, "ceph", { csi: { install: true } });
    if (mode === "static") {
        i = {
            ...i,
            values: {
                ...i.values,
                rbdHost: {
                    host: "ceph-admin.example.com",
                    user: "ceph",
                    hostKey: FAKE_HOST_KEY_LINE,
                },
            },
        };
        i.secrets = { ...i.secrets, rbdHostKey: FAKE_SSH_KEY };
    }
    return i;
}

/** The render as text: the objects, the other resources, the outputs. */
async function snapshot(opts: Parameters<typeof runProgram>[0]): Promise<string> {
    const r = await runProgram(opts);
    if (r.error) throw r.error;
    // Sorted: registration order varies with the order outputs resolve in.
    const key = (m: Record<string, unknown>) => {
        const meta = m.metadata as { name?: string; namespace?: string };
        return `${String(m.kind)}/${meta.namespace ?? ""}/${meta.name ?? ""}`;
    };
    const objects = r.resources
        .filter(isKubernetesObject)
        .map(toManifest)
        .sort((a, b) => key(a).localeCompare(key(b)));
    const others = r.resources
        .filter((x) => x.custom && !isKubernetesObject(x))
        .map((x) => describeOther(x));
    const doc = { objects, others, outputs: r.outputs };
    return YAML.stringify(doc, { lineWidth: 0, sortMapEntries: true });
}

const CASES: [string, () => Parameters<typeof runProgram>[0]][] = [];
for (const [mode, prov] of COMBINATIONS) {
    CASES.push([`${mode}-${prov}`, () => toRunOptions(baseStack(mode, prov))]);
    CASES.push([
        `${mode}-${prov}-everything`,
        () => toRunOptions(withEverything(baseStack(mode, prov), prov, mode)),
    ]);
}
for (const stack of listStacks()) {
    CASES.push([
        `stack-${stack}`,
        () => {
            const { config, secretKeys, project } = stackFileConfig(stack, PROJECT_ROOT);
            return { stack, config, secretKeys, project };
        },
    ]);
}

describe("golden renders: byte-identical unless deliberately regenerated", function () {
    this.timeout(60_000);
    for (const [name, opts] of CASES) {
        it(name, async () => {
            const text = await snapshot(opts());
            const file = path.join(DIR, `${name}.yaml`);
            if (UPDATE) {
                fs.mkdirSync(DIR, { recursive: true });
                fs.writeFileSync(file, text);
                return;
            }
            assert.ok(fs.existsSync(file), `no ${file}; run UPDATE_GOLDEN=1 npm test to create it`);
            assert.equal(text, fs.readFileSync(file, "utf8"), `${name} differs from ${file}`);
        });
    }
});
