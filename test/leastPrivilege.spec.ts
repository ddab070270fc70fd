// The Ceph key out of Jenkins' reach, and the defaults and knobs that fit any cluster
// (including one whose Ceph is Rook's). What the API server itself says about these
// objects is in test/cluster (can-i, Pod Security); this suite checks the render.
import { strict as assert } from "assert";
import { ProgramRun } from "../cli/mockRuntime";
import { baseStack, COMBINATIONS } from "./fixtures";
import { Any, byKind, k8s, merge, one, run, runOk, commandSteps } from "./helpers";

/** Every place an object names the namespace of a Ceph Secret. */
function secretNamespaceRefs(r: ProgramRun): string[] {
    const refs: string[] = [];
    for (const x of k8s(r)) {
        const i = x.inputs as Any;
        if (i.kind === "PersistentVolume") {
            const src = i.spec.csi?.nodeStageSecretRef ?? i.spec.rbd?.secretRef;
            refs.push(src.namespace);
        }
        if (i.kind === "StorageClass") {
            for (const [k, v] of Object.entries(i.parameters as Record<string, string>)) {
                if (/[Ss]ecret-?[Nn]amespace$/.test(k)) refs.push(v);
            }
        }
    }
    return refs;
}

describe("least privilege: the Ceph key", () => {
    for (const [mode, prov] of COMBINATIONS) {
        it(`${mode} x ${prov}: the Secrets live in <jenkins namespace>-ceph, and every reference points there`, async () => {
            const r = await runOk(baseStack(mode, prov));
            const secrets = byKind(r, "Secret").map((x) => (x.inputs as Any).metadata.namespace);
            assert.ok(secrets.length > 0);
            assert.deepEqual([...new Set(secrets)], ["ci-infra-ceph"]);
            const refs = secretNamespaceRefs(r);
            assert.ok(refs.length > 0, "no reference found");
            assert.deepEqual([...new Set(refs)], ["ci-infra-ceph"]);
            const ns = one(r, "Namespace", "ci-infra-ceph");
            assert.equal(
                (ns.inputs as Any).metadata.labels["pod-security.kubernetes.io/enforce"],
                "restricted",
            );
            for (const s of byKind(r, "Secret")) {
                assert.ok(
                    s.options.dependsOn.includes("ceph-secrets"),
                    "Secret waits for its namespace",
                );
            }
            assert.equal(r.outputs.cephSecretNamespace, "ci-infra-ceph");
        });
    }

    it("ceph.secretNamespace names another namespace; with ceph.csi.install the driver's is the default", async () => {
        const named = await runOk(
            merge(baseStack("static", "csi"), "ceph", { secretNamespace: "ceph-keys" }),
        );
        assert.deepEqual(secretNamespaceRefs(named), ["ceph-keys"]);
        assert.ok(one(named, "Namespace", "ceph-keys"));

        const installed = await runOk(
            merge(baseStack("dynamic", "csi"), "ceph", { csi: { install: true } }),
        );
        assert.deepEqual([...new Set(secretNamespaceRefs(installed))], ["ceph-csi-rbd"]);
        assert.equal((one(installed, "Secret").inputs as Any).metadata.namespace, "ceph-csi-rbd");
        // The driver's component makes that namespace; no second Namespace of that name.
        assert.equal(
            byKind(installed, "Namespace").filter(
                (x) => (x.inputs as Any).metadata.name === "ceph-csi-rbd",
            ).length,
            1,
        );
    });

    it("Jenkins' own namespace is allowed (existing stacks' PVs point there) but warned about", async () => {
        const r = await runOk(
            merge(baseStack("static", "in-tree"), "ceph", { secretNamespace: "ci-infra" }),
        );
        assert.deepEqual(secretNamespaceRefs(r), ["ci-infra"]);
        assert.equal(byKind(r, "Namespace").length, 1, "no extra namespace");
        assert.ok(
            r.logs.some((l) => /^warn: ceph\.secretNamespace is Jenkins' own namespace/.test(l)),
            r.logs.join("\n"),
        );
        const secret = byKind(r, "Secret")[0];
        assert.ok(secret.options.dependsOn.includes("ci-infra"), "waits for the namespace");
    });

    it("the agent Role has no rule on secrets", async () => {
        const r = await runOk(
            merge(baseStack("dynamic", "csi"), "jenkins", { agents: { enabled: true } }),
        );
        const rules = (one(r, "Role").inputs as Any).rules as Any[];
        assert.ok(rules.length > 0);
        for (const rule of rules)
            assert.ok(!rule.resources.includes("secrets"), JSON.stringify(rule));
    });
});

describe("ceph.existingStorageClass (Rook)", () => {
    const rook = () => ({
        stack: "test",
        values: {
            mode: "dynamic",
            ceph: { existingStorageClass: "rook-ceph-block" },
            volume: { snapshots: { enabled: false } },
        },
        secrets: {},
    });

    it("claims from the cluster's class: no StorageClass, no Ceph Secret, no key", async () => {
        const r = await runOk(rook());
        assert.deepEqual(byKind(r, "StorageClass"), []);
        assert.deepEqual(byKind(r, "Secret"), []);
        assert.deepEqual(
            byKind(r, "Namespace").map((x) => (x.inputs as Any).metadata.name),
            ["ci-infra"],
        );
        const pvc = one(r, "PersistentVolumeClaim").inputs as Any;
        assert.equal(pvc.spec.storageClassName, "rook-ceph-block");
        assert.equal(r.outputs.storageClassName, "rook-ceph-block");
        assert.equal(r.outputs.cephSecretNamespace, undefined);
        // The class's reclaim policy is the cluster's: no note claims the volume is kept.
        assert.deepEqual(commandSteps(r), []);
    });

    for (const [title, patch, key] of [
        ["static mode", { mode: "static" }, "ceph.existingStorageClass"],
        [
            "the csi install",
            { ceph: { existingStorageClass: "rook-ceph-block", csi: { install: true } } },
            "ceph.csi.install",
        ],
        [
            "a pool that would be ignored",
            { ceph: { existingStorageClass: "rook-ceph-block", pool: "kubes" } },
            "ceph.pool",
        ],
    ] as const) {
        it(`refuses ${title}`, async () => {
            const i = rook();
            const r = await run({ ...i, values: { ...i.values, ...patch } });
            assert.ok(r.error, "must fail");
            assert.match(r.error.message, new RegExp(`jenkins-ceph:${key.replace(".", "\\.")}: `));
            assert.deepEqual(k8s(r), []);
        });
    }
});

describe("scheduling, network and ingress knobs", () => {
    const podSpec = (r: ProgramRun) => (one(r, "Deployment").inputs as Any).spec.template.spec;

    it("none of them by default: no tolerations, priority, PDB or NetworkPolicy", async () => {
        const r = await runOk(baseStack("dynamic", "csi"));
        assert.equal(podSpec(r).tolerations, undefined);
        assert.equal(podSpec(r).priorityClassName, undefined);
        assert.deepEqual(byKind(r, "PodDisruptionBudget"), []);
        assert.deepEqual(byKind(r, "NetworkPolicy"), []);
        assert.equal(r.outputs.externalUrl, undefined);
    });

    it("tolerations, priorityClassName and a PDB of minAvailable 1", async () => {
        const r = await runOk(
            merge(baseStack("dynamic", "csi"), "jenkins", {
                tolerations: [
                    { key: "dedicated", value: "ci", effect: "NoSchedule" },
                    { operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 },
                ],
                priorityClassName: "jenkins-critical",
                pdb: true,
            }),
        );
        assert.deepEqual(podSpec(r).tolerations, [
            { key: "dedicated", operator: "Equal", value: "ci", effect: "NoSchedule" },
            { operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 },
        ]);
        assert.equal(podSpec(r).priorityClassName, "jenkins-critical");
        const pdb = one(r, "PodDisruptionBudget").inputs as Any;
        assert.equal(pdb.spec.minAvailable, 1);
        assert.deepEqual(pdb.spec.selector.matchLabels, { app: "jenkins" });
    });

    it("a NetworkPolicy: 8080 from the ingress namespace and agents, 50000 from agents only", async () => {
        const r = await runOk(
            merge(baseStack("dynamic", "csi"), "jenkins", {
                networkPolicy: { ingressNamespace: "ingress-nginx" },
            }),
        );
        const np = (one(r, "NetworkPolicy").inputs as Any).spec;
        assert.deepEqual(np.podSelector.matchLabels, { app: "jenkins" });
        assert.deepEqual(np.policyTypes, ["Ingress"]);
        const byPort = (port: number) => np.ingress.find((x: Any) => x.ports[0].port === port);
        assert.deepEqual(byPort(8080).from, [
            {
                namespaceSelector: {
                    matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" },
                },
            },
            { podSelector: { matchLabels: { jenkins: "slave" } } },
        ]);
        assert.deepEqual(byPort(50000).from, [
            { podSelector: { matchLabels: { jenkins: "slave" } } },
        ]);
    });

    it("ingress annotations, and externalUrl (https with TLS, http without)", async () => {
        const tls = await runOk(
            merge(baseStack("dynamic", "csi"), "jenkins", {
                ingress: {
                    host: "jenkins.example.com",
                    tlsSecretName: "jenkins-tls",
                    annotations: { "nginx.ingress.kubernetes.io/proxy-body-size": "50m" },
                },
            }),
        );
        assert.deepEqual((one(tls, "Ingress").inputs as Any).metadata.annotations, {
            "nginx.ingress.kubernetes.io/proxy-body-size": "50m",
            // Every object names the stack that made it (components/ownership.ts).
            "jenkins-ceph.io/stack": "organization/jenkins-ceph/test",
        });
        assert.equal(tls.outputs.externalUrl, "https://jenkins.example.com/");
        const plain = await runOk(
            merge(baseStack("dynamic", "csi"), "jenkins", { ingress: { host: "ci.example.com" } }),
        );
        assert.equal(plain.outputs.externalUrl, "http://ci.example.com/");
        // No annotations of its own: only the one naming the stack.
        assert.deepEqual((one(plain, "Ingress").inputs as Any).metadata.annotations, {
            "jenkins-ceph.io/stack": "organization/jenkins-ceph/test",
        });
    });
});
