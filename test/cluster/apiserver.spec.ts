// What the program asks for, applied to a real kube-apiserver (with the real PV
// controller and in-tree RBD provisioner in kube-controller-manager) next to a real
// Ceph, all on 127.0.0.1. The Pulumi engine is not in the loop here (test/e2e runs
// it): objects come from the program under the mock runtime and go in by kubectl, so
// this suite shows what the API and its controllers do with exactly those objects.
import { skipUnlessRequired } from "../e2e/engine";
import { kubectl as runKubectl, waitUntil } from "../../cli/shared";
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { ProgramRun } from "../../cli/mockRuntime";
import { CephCluster, missingCephBinaries } from "../ceph/cluster";
import { backupStack, baseStack, StackInput } from "../fixtures";
import { k8s, merge, one, runOk } from "../helpers";
import { CONTROLPLANE, controlPlaneMissing, TOOLCHAIN } from "../../tools/toolchain";

const K8S_BIN = TOOLCHAIN.kubernetes;

function missing(): string | undefined {
    const cp = controlPlaneMissing(false);
    if (cp) return cp;
    const ceph = missingCephBinaries();
    return ceph.length ? `Ceph binaries missing (${ceph.join(", ")})` : undefined;
}

describe("real kube-apiserver + controller-manager + Ceph on 127.0.0.1", function () {
    this.timeout(300_000);
    let ceph: CephCluster | undefined;
    let cpDir = "";
    let kubeconfig = "";
    let work = "";
    const timings: string[] = [];

    const kubectl = (args: string[], input?: string) =>
        runKubectl(args, { kubeconfig, bin: path.join(K8S_BIN, "kubectl") }, input);

    before(async function () {
        const why = missing();
        if (why) skipUnlessRequired(this, why);
        let t = Date.now();
        // Not Ceph's standard ports: the e2e runs beside this suite in CI, and its upgrade world needs them.
        ceph = await CephCluster.start(false);
        timings.push(`ceph ${((Date.now() - t) / 1000).toFixed(1)}s`);
        cpDir = fs.mkdtempSync(path.join(os.tmpdir(), "cp."));
        t = Date.now();
        const r = spawnSync(CONTROLPLANE, ["start", cpDir, K8S_BIN], {
            encoding: "utf8",
            timeout: 180_000,
        });
        if (r.status !== 0)
            throw new Error(`control plane failed to start:\n${r.stdout}\n${r.stderr}`);
        timings.push(`control plane ${((Date.now() - t) / 1000).toFixed(1)}s`);
        kubeconfig = path.join(cpDir, "kubeconfig");
        work = fs.mkdtempSync(path.join(os.tmpdir(), "cp-work."));
    });

    after(() => {
        if (cpDir) spawnSync(CONTROLPLANE, ["stop", cpDir], { timeout: 60_000 });
        if (ceph) ceph.stop();
        for (const d of [cpDir, work]) if (d) fs.rmSync(d, { recursive: true, force: true });
        if (timings.length) console.log(`    timings: ${timings.join(", ")}`);
    });

    function stack(
        mode: "static" | "dynamic",
        provisioner: "csi" | "in-tree",
        ns: string,
        extra: Record<string, unknown> = {},
    ): StackInput {
        let input = merge(baseStack(mode, provisioner), "ceph", {
            monitors: [ceph!.monitor],
            storageClassName: `ceph-${ns}`,
            timeoutSeconds: 10,
        });
        // Agents on: their ServiceAccount and Role are what the can-i checks question.
        input = merge(input, "jenkins", { namespace: ns, agents: { enabled: true } });
        input = merge(input, "volume", {
            size: "1Gi",
            pvName: `jenkins-${ns}`,
            ...(mode === "static" ? { image: `img-${ns}` } : {}),
            ...extra,
        });
        input.secrets = {
            cephUserKey: ceph!.userKey,
            ...(provisioner === "in-tree" ? { cephAdminKey: ceph!.adminKey } : {}),
        };
        return input;
    }

    /** kubectl apply of every object, Secrets with their real values (file 0600, removed after). */
    function apply(r: ProgramRun): void {
        const file = path.join(work, "apply.yaml");
        const docs = k8s(r)
            .map((x) => YAML.stringify(x.inputs))
            .join("---\n");
        fs.writeFileSync(file, docs, { mode: 0o600 });
        try {
            const out = kubectl(["apply", "-f", file]);
            assert.ok(out.ok, out.out);
        } finally {
            fs.rmSync(file, { force: true });
        }
    }

    function runRbd(r: ProgramRun, which: "create" | "update"): string {
        const cmd = r.resources.find((x) => x.type === "command:local:Command")!;
        const p = spawnSync("/bin/sh", ["-c", String(cmd.inputs[which])], {
            input: String(cmd.inputs.stdin),
            encoding: "utf8",
            env: { PATH: process.env.PATH ?? "" },
        });
        assert.equal(p.status, 0, p.stderr);
        return p.stdout;
    }

    async function waitFor(what: string, check: () => boolean, seconds = 90): Promise<void> {
        const t = Date.now();
        if (await waitUntil(seconds * 1000, check, 500)) {
            timings.push(`${what} ${((Date.now() - t) / 1000).toFixed(1)}s`);
            return;
        }
        assert.fail(`${what}: not within ${seconds}s`);
    }

    const pvcPhase = (ns: string) =>
        kubectl([
            "-n",
            ns,
            "get",
            "pvc",
            "jenkins",
            "-o",
            "jsonpath={.status.phase}/{.spec.volumeName}",
        ]).out;

    for (const provisioner of ["in-tree", "csi"] as const) {
        it(`static ${provisioner}: rbd image, then the API server takes every object and the PV controller binds the pre-bound pair`, async () => {
            const ns = `st-${provisioner === "csi" ? "csi" : "tree"}`;
            const r = await runOk(stack("static", provisioner, ns));
            assert.match(runRbd(r, "create"), /created with 1024 MiB/);
            apply(r);
            await waitFor(
                `static ${provisioner} bound`,
                () => pvcPhase(ns) === `Bound/jenkins-${ns}`,
            );
            // Pod Security admission (restricted) admitted the pod: the ReplicaSet created it.
            await waitFor(`static ${provisioner} pod admitted`, () =>
                kubectl(["-n", ns, "get", "pods", "-l", "app=jenkins", "-o", "name"]).out.includes(
                    "pod/",
                ),
            );
        });
    }

    it("static grow: image and PV capacity grow; the API refuses a static claim resize (why the program ignores it)", async () => {
        const ns = "st-tree";
        const r = await runOk(stack("static", "in-tree", ns, { size: "2Gi" }));
        assert.match(runRbd(r, "update"), /grown from 1024 MiB to 2048 MiB/);
        const pv = one(r, "PersistentVolume").inputs;
        const out = kubectl(["apply", "-f", "-"], YAML.stringify(pv));
        assert.ok(out.ok, out.out);
        assert.equal(
            kubectl(["get", "pv", `jenkins-${ns}`, "-o", "jsonpath={.spec.capacity.storage}"]).out,
            "2Gi",
        );
        const pvc = one(r, "PersistentVolumeClaim").inputs;
        const refused = kubectl(["apply", "-f", "-"], YAML.stringify(pvc));
        assert.ok(!refused.ok, "the API server accepted a static claim resize");
        assert.match(
            refused.out,
            /only dynamically provisioned pvc can be resized|storageclass that provisions the pvc must support resize|forbidden/i,
        );
        assert.equal(ceph!.imageSize("kubes", `img-${ns}`), 2 * 1024 ** 3);
    });

    it("dynamic in-tree: the real controller-manager provisions the rbd image in Ceph and binds the claim", async () => {
        const ns = "dyn-tree";
        const r = await runOk(stack("dynamic", "in-tree", ns));
        apply(r);
        await waitFor("in-tree provisioning", () => pvcPhase(ns).startsWith("Bound/"), 120);
        const pvName = pvcPhase(ns).split("/")[1];
        const image = kubectl(["get", "pv", pvName, "-o", "jsonpath={.spec.rbd.image}"]).out;
        assert.match(image, /^kubernetes-dynamic-pvc-/);
        assert.equal(ceph!.imageSize("kubes", image), 1024 ** 3);
        assert.equal(
            kubectl(["get", "pv", pvName, "-o", "jsonpath={.spec.persistentVolumeReclaimPolicy}"])
                .out,
            "Retain",
        );
        // Deleting the claim (what a mode switch or destroy does) keeps the image: Retain.
        assert.ok(kubectl(["-n", ns, "delete", "pvc", "jenkins", "--wait=true"]).ok);
        await waitFor(
            "PV released",
            () =>
                kubectl(["get", "pv", pvName, "-o", "jsonpath={.status.phase}"]).out === "Released",
        );
        assert.equal(ceph!.imageSize("kubes", image), 1024 ** 3);
    });

    it("no Jenkins or agent service account can read the Ceph key or start a pod beside it (kubectl auth can-i)", async () => {
        // The csi dynamic stack too: its claim cannot bind without a driver, but RBAC can be asked.
        apply(await runOk(stack("dynamic", "csi", "dyn-csi")));
        const asked: string[] = [];
        for (const ns of ["st-tree", "st-csi", "dyn-tree", "dyn-csi"]) {
            const secretNs = `${ns}-ceph`;
            const secret = kubectl([
                "-n",
                secretNs,
                "get",
                "secret",
                "ceph-secret-user",
                "-o",
                "name",
            ]);
            assert.ok(secret.ok, `the Secret is in ${secretNs}: ${secret.out}`);
            for (const sa of ["jenkins", "default"]) {
                const as = `--as=system:serviceaccount:${ns}:${sa}`;
                for (const q of [
                    ["get", "secret/ceph-secret-user", "-n", secretNs],
                    ["list", "secrets", "-n", secretNs],
                    ["create", "pods", "-n", secretNs],
                    ["get", "secrets", "-n", ns],
                ]) {
                    const r = kubectl(["auth", "can-i", ...q, as]);
                    assert.equal(r.out.trim(), "no", `${sa}@${ns} can ${q.join(" ")}`);
                    asked.push(q.join(" "));
                }
            }
            // The check can say yes: the agents' account may create pods in Jenkins' namespace.
            const yes = kubectl([
                "auth",
                "can-i",
                "create",
                "pods",
                "-n",
                ns,
                `--as=system:serviceaccount:${ns}:jenkins`,
            ]);
            assert.equal(yes.out.trim(), "yes", yes.out);
        }
        timings.push(`can-i ${asked.length} questions`);
    });

    it("each agent pod template (configured as code) is admitted in a restricted namespace", async () => {
        let input = merge(stack("dynamic", "csi", "agents-psa"), "jenkins", {
            agents: {
                enabled: true,
                namespace: "agents-psa-pods",
                templates: [
                    { name: "default", image: "jenkins/inbound-agent:3324.vea_eda_e98cd69-1" },
                    {
                        name: "maven",
                        label: "maven",
                        image: "maven:3.9.9-eclipse-temurin-21",
                        resources: {
                            requests: { cpu: "1", memory: "2Gi" },
                            limits: { memory: "2Gi" },
                        },
                        nodeSelector: { "kubernetes.io/arch": "amd64" },
                    },
                ],
            },
        });
        input = {
            ...input,
            secrets: { ...input.secrets, "jenkins.adminPassword": "cluster-suite-password" },
        };
        const r = await runOk(input);
        apply(r);
        const casc = one(r, "ConfigMap", "jenkins-casc").inputs as { data: Record<string, string> };
        const cloud = YAML.parse(casc.data["jenkins-ceph.yaml"]).jenkins.clouds[0].kubernetes;
        const ns = kubectl(["get", "ns", cloud.namespace, "-o", "jsonpath={.metadata.labels}"]);
        assert.match(ns.out, /"pod-security.kubernetes.io\/enforce":"restricted"/);
        assert.equal(cloud.templates.length, 2);
        for (const t of cloud.templates as { name: string; yaml: string }[]) {
            const template = YAML.parse(t.yaml);
            // What the Kubernetes plugin adds when it starts an agent: its labels, the
            // workspace volume and the connection settings of the jnlp container.
            const spec = structuredClone(template.spec);
            spec.volumes = [{ name: "workspace-volume", emptyDir: {} }];
            spec.containers[0].env = [{ name: "JENKINS_URL", value: cloud.jenkinsUrl }];
            spec.containers[0].volumeMounts = [
                { name: "workspace-volume", mountPath: "/home/jenkins/agent" },
            ];
            const agent = {
                apiVersion: "v1",
                kind: "Pod",
                metadata: {
                    name: `${t.name}-agent-1`,
                    namespace: cloud.namespace,
                    labels: { jenkins: "slave" },
                },
                spec,
            };
            const out = kubectl(["apply", "-f", "-"], YAML.stringify(agent));
            assert.ok(out.ok, `${t.name}: ${out.out}`);
            assert.doesNotMatch(out.out, /violates PodSecurity|Warning/);
            // The check can fail: the same pod without its security context is refused.
            const bare = structuredClone(agent);
            bare.metadata.name = `${t.name}-agent-2`;
            delete bare.spec.securityContext;
            delete bare.spec.containers[0].securityContext;
            const refused = kubectl(["apply", "-f", "-"], YAML.stringify(bare));
            assert.ok(!refused.ok);
            assert.match(refused.out, /violates PodSecurity "restricted/);
        }
        const maven = kubectl(["get", "pod", "-n", cloud.namespace, "maven-agent-1", "-o", "json"]);
        assert.deepEqual(JSON.parse(maven.out).spec.nodeSelector, {
            "kubernetes.io/arch": "amd64",
        });
    });

    it("jenkins.prometheus and configAutoReload: a ServiceMonitor where the cluster has its CRD, and the pod with the reload sidecar admitted under restricted", async () => {
        // The Prometheus operator's CRD, reduced to what the API server needs to serve the kind.
        const crd = {
            apiVersion: "apiextensions.k8s.io/v1",
            kind: "CustomResourceDefinition",
            metadata: { name: "servicemonitors.monitoring.coreos.com" },
            spec: {
                group: "monitoring.coreos.com",
                scope: "Namespaced",
                names: {
                    plural: "servicemonitors",
                    singular: "servicemonitor",
                    kind: "ServiceMonitor",
                    listKind: "ServiceMonitorList",
                },
                versions: [
                    {
                        name: "v1",
                        served: true,
                        storage: true,
                        schema: {
                            openAPIV3Schema: {
                                type: "object",
                                "x-kubernetes-preserve-unknown-fields": true,
                            },
                        },
                    },
                ],
            },
        };
        const made = kubectl(["apply", "-f", "-"], YAML.stringify(crd));
        assert.ok(made.ok, made.out);
        await waitFor(
            "the ServiceMonitor CRD established",
            () =>
                kubectl([
                    "get",
                    "crd",
                    crd.metadata.name,
                    "-o",
                    "jsonpath={.status.conditions[?(@.type=='Established')].status}",
                ]).out === "True",
        );
        let input = merge(stack("dynamic", "csi", "metrics"), "jenkins", {
            plugins: ["git:5.7.0"],
            prometheus: {
                enabled: true,
                serviceMonitorLabels: { release: "kube-prometheus-stack" },
            },
            configAutoReload: { enabled: true },
        });
        input = {
            ...input,
            values: { ...input.values, "kubernetes:kubeconfig": kubeconfig },
            secrets: { ...input.secrets, "jenkins.adminPassword": "cluster-suite-password" },
        };
        const r = await runOk(input);
        const sm = r.resources.find(
            (x) => x.type === "kubernetes:monitoring.coreos.com/v1:ServiceMonitor",
        );
        assert.ok(sm, "the program asked the cluster and found the CRD");
        apply(r);
        const got = kubectl(["-n", "metrics", "get", "servicemonitor", "jenkins", "-o", "json"]);
        assert.ok(got.ok, got.out);
        assert.deepEqual(JSON.parse(got.out).spec.endpoints, [
            { port: "http", path: "/prometheus/", interval: "60s" },
        ]);
        // The controller's pod, with the plugin installer, the JCasC lister and the reload
        // sidecar, is admitted under restricted: the ReplicaSet created it.
        await waitFor("the metrics stack's pod admitted", () =>
            kubectl([
                "-n",
                "metrics",
                "get",
                "pods",
                "-l",
                "app=jenkins",
                "-o",
                "name",
            ]).out.includes("pod/"),
        );
        const pods = kubectl(["-n", "metrics", "get", "pods", "-l", "app=jenkins", "-o", "json"]);
        const spec = JSON.parse(pods.out).items[0].spec;
        assert.deepEqual(
            [...spec.initContainers, ...spec.containers].map((c: { name: string }) => c.name),
            ["install-plugins", "casc-files", "jenkins", "casc-reload", "infra"],
        );
    });

    it("the backup CronJob is admitted in the key's namespace, and so is the pod its Job makes", async () => {
        const ns = "bk";
        let input = merge(backupStack(), "ceph", { monitors: [ceph!.monitor], timeoutSeconds: 10 });
        input = merge(input, "jenkins", { namespace: ns });
        input = merge(input, "volume", {
            size: "1Gi",
            pvName: `jenkins-${ns}`,
            image: `img-${ns}`,
        });
        input = merge(input, "backup", {
            s3: { endpoint: "https://s3.example.com", bucket: "jenkins-backups" },
            verifySchedule: "47 4 * * 0",
        });
        input.secrets = { ...input.secrets, cephUserKey: ceph!.userKey };
        apply(await runOk(input));
        const keyNs = `${ns}-ceph`;
        const labels = kubectl(["get", "ns", keyNs, "-o", "jsonpath={.metadata.labels}"]);
        assert.match(labels.out, /"pod-security.kubernetes.io\/enforce":"restricted"/);
        for (const cronJob of ["jenkins-backup", "jenkins-backup-verify"]) {
            const job = `${cronJob}-now`;
            const made = kubectl(["-n", keyNs, "create", "job", job, `--from=cronjob/${cronJob}`]);
            assert.ok(made.ok, made.out);
            assert.doesNotMatch(made.out, /violates PodSecurity|Warning/);
            // The Job controller makes its pod through Pod Security admission (no kubelet runs it).
            await waitFor(`${cronJob} pod admitted`, () =>
                kubectl([
                    "-n",
                    keyNs,
                    "get",
                    "pods",
                    "-l",
                    `job-name=${job}`,
                    "-o",
                    "name",
                ]).out.includes("pod/"),
            );
        }
        // Nothing Jenkins runs can read the backup's Secret or start a pod beside it.
        for (const q of [
            ["get", "secret/jenkins-backup"],
            ["create", "pods"],
        ]) {
            const r = kubectl([
                "auth",
                "can-i",
                ...q,
                "-n",
                keyNs,
                `--as=system:serviceaccount:${ns}:jenkins`,
            ]);
            assert.equal(r.out.trim(), "no", q.join(" "));
        }
    });

    it("the Ceph Secrets' namespace refuses any pod that is not restricted", () => {
        const bad = {
            apiVersion: "v1",
            kind: "Pod",
            metadata: { name: "bad", namespace: "st-tree-ceph" },
            spec: { containers: [{ name: "x", image: "busybox:1.36" }] },
        };
        const out = kubectl(["apply", "-f", "-"], YAML.stringify(bad));
        assert.ok(!out.ok);
        assert.match(out.out, /violates PodSecurity "restricted/);
    });

    it("the API server enforces restricted Pod Security: a privileged pod is refused in the namespace", () => {
        const bad = {
            apiVersion: "v1",
            kind: "Pod",
            metadata: { name: "bad", namespace: "st-tree" },
            spec: {
                containers: [
                    { name: "x", image: "busybox:1.36", securityContext: { privileged: true } },
                ],
            },
        };
        const out = kubectl(["apply", "-f", "-"], YAML.stringify(bad));
        assert.ok(!out.ok);
        assert.match(out.out, /violates PodSecurity "restricted/);
    });
});
