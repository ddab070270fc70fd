// planTakeover on the 2018 installation's objects (docs/history-2018.md): the steps it plans, and each refusal
// (which must come with no step at all, so nothing can be touched).
import { strict as assert } from "assert";
import { KubeObject, Observed, planTakeover, pvImage, Target } from "../cli/takeoverPlan";
import { recreatable, upFailure } from "../cli/takeoverSteps";

const GiB = 1024 ** 3;
const target: Target = {
    namespace: "ci-infra",
    deployment: "jenkins",
    claimName: "jenkins",
    pvName: "jenkins",
    pool: "kubes",
    image: "jenkins",
    sizeBytes: 100 * GiB,
    accessMode: "ReadWriteOnce",
    secretNamespace: "ci-infra-ceph",
};

const obj = (
    kind: string,
    name: string,
    namespace: string | undefined,
    rest: Partial<KubeObject> = {},
): KubeObject => ({
    apiVersion: kind === "Deployment" || kind === "ReplicaSet" ? "apps/v1" : "v1",
    kind,
    metadata: { name, namespace, uid: `uid-${kind}-${name}` },
    ...rest,
});

/** The seed's static installation, bound and running. */
function seed(): Observed {
    const pv = obj("PersistentVolume", "jenkins", undefined, {
        spec: {
            accessModes: ["ReadWriteMany"],
            persistentVolumeReclaimPolicy: "Retain",
            rbd: { image: "jenkins", pool: "kubes", secretRef: { name: "ceph-secret-user" } },
            claimRef: {
                namespace: "ci-infra",
                name: "jenkins",
                uid: "uid-PersistentVolumeClaim-jenkins",
            },
        },
        status: { phase: "Bound" },
    });
    const deployment = obj("Deployment", "jenkins", "ci-infra", { spec: { replicas: 1 } });
    const rs = obj("ReplicaSet", "jenkins-6d4", "ci-infra");
    rs.metadata.ownerReferences = [
        { kind: "Deployment", name: "jenkins", uid: deployment.metadata.uid },
    ];
    const pod = obj("Pod", "jenkins-6d4-x", "ci-infra", {
        spec: { volumes: [{ persistentVolumeClaim: { claimName: "jenkins" } }] },
    });
    pod.metadata.ownerReferences = [
        { kind: "ReplicaSet", name: rs.metadata.name, uid: rs.metadata.uid },
    ];
    return {
        sameNamed: [
            obj("Namespace", "ci-infra", undefined),
            pv,
            obj("PersistentVolumeClaim", "jenkins", "ci-infra", {
                spec: { volumeName: "jenkins" },
            }),
            deployment,
        ],
        pvs: [pv],
        pods: [pod],
        replicaSets: [rs],
        cephSecrets: [obj("Secret", "ceph-secret-user", "ci-infra")],
        managedUids: new Set(),
        image: {
            exists: true,
            id: "10a2b3c4d5",
            sizeBytes: 100 * GiB,
            features: ["layering"],
            watchers: ["127.0.0.1:0/123"],
            snapshots: [],
            meta: {},
        },
    };
}

const steps = (o: Observed, t = target) => planTakeover(t, o).steps.map((s) => `${s.do}: ${s.say}`);

describe("takeover plan: the 2018 installation", () => {
    it("stops Jenkins, checks the image is closed, replaces Deployment, claim and PV, runs up, verifies, drops the old Secret", () => {
        const plan = planTakeover(target, seed());
        assert.deepEqual(plan.refusals, []);
        assert.deepEqual(
            plan.steps.map((s) => (s.do === "delete" ? `delete ${s.object.kind}` : s.do)),
            [
                "backup",
                "scale-down",
                "check-closed",
                "delete Deployment",
                "delete PersistentVolumeClaim",
                "delete PersistentVolume",
                "up",
                "verify",
                "delete Secret",
            ],
        );
        assert.deepEqual(
            plan.adopted.map((o) => o.metadata.name),
            ["ci-infra"],
        );
        const backup = plan.steps[0];
        assert.ok(backup.do === "backup");
        assert.deepEqual(backup.objects.map((o) => o.kind).sort(), [
            "Deployment",
            "PersistentVolume",
            "PersistentVolumeClaim",
        ]);
        const verify = plan.steps.find((s) => s.do === "verify");
        assert.ok(verify?.do === "verify" && verify.imageId === "10a2b3c4d5");
        assert.match(steps(seed()).join("\n"), /its ReadWriteMany becomes ReadWriteOnce/);
    });

    it("with the stack's Secrets in Jenkins' namespace, the old Secret is replaced before the up", () => {
        const o = seed();
        o.sameNamed.push(o.cephSecrets[0]);
        const plan = planTakeover({ ...target, secretNamespace: "ci-infra" }, o);
        const kinds = plan.steps.map((s) => (s.do === "delete" ? s.object.kind : s.do));
        assert.ok(kinds.indexOf("Secret") < kinds.indexOf("up"), kinds.join(","));
        assert.equal(kinds.filter((k) => k === "Secret").length, 1);
    });

    it("after an interruption (claim and PV gone, the stack's own objects in its state) only up and verify are left", () => {
        const o = seed();
        const ns = o.sameNamed[0];
        const mine = obj("PersistentVolume", "jenkins", undefined, {
            spec: {
                persistentVolumeReclaimPolicy: "Retain",
                rbd: { image: "jenkins", pool: "kubes" },
            },
        });
        mine.metadata.uid = "new";
        o.sameNamed = [ns, mine];
        o.pvs = [mine];
        o.pods = [];
        o.cephSecrets = [];
        o.managedUids = new Set(["new", ns.metadata.uid]);
        assert.deepEqual(
            planTakeover(target, o).steps.map((s) => s.do),
            ["up", "verify"],
        );
    });

    it("a Secret another PV still mounts with stays, and says why", () => {
        const o = seed();
        o.pvs.push(
            obj("PersistentVolume", "other", undefined, {
                spec: {
                    rbd: {
                        image: "x",
                        pool: "kubes",
                        secretRef: { name: "ceph-secret-user", namespace: "ci-infra" },
                    },
                },
            }),
        );
        const plan = planTakeover(target, o);
        assert.ok(!plan.steps.some((s) => s.do === "delete" && s.object.kind === "Secret"));
        assert.match(
            plan.notes.join("\n"),
            /Secret ci-infra\/ceph-secret-user stays: PersistentVolume other/,
        );
    });

    it("reads the image of in-tree and ceph-csi PVs (static and provisioned)", () => {
        assert.deepEqual(pvImage(seed().pvs[0]), { pool: "kubes", image: "jenkins" });
        const csi = (attrs: Record<string, string>, handle: string) =>
            pvImage(
                obj("PersistentVolume", "p", undefined, {
                    spec: {
                        csi: {
                            driver: "rbd.csi.ceph.com",
                            volumeHandle: handle,
                            volumeAttributes: attrs,
                        },
                    },
                }),
            );
        assert.deepEqual(csi({ pool: "kubes", staticVolume: "true" }, "jenkins"), {
            pool: "kubes",
            image: "jenkins",
        });
        assert.deepEqual(csi({ pool: "kubes", imageName: "csi-vol-1" }, "0001-0024-x"), {
            pool: "kubes",
            image: "csi-vol-1",
        });
        assert.equal(csi({ pool: "kubes" }, "0001-0024-x"), undefined);
        assert.equal(pvImage(obj("PersistentVolume", "p", undefined, { spec: {} })), undefined);
    });
});

describe("takeover plan: every refusal plans no step", () => {
    const refusal = (o: Observed, t: Target = target) => {
        const plan = planTakeover(t, o);
        assert.deepEqual(plan.steps, [], "a refusal must plan nothing");
        assert.ok(plan.refusals.length > 0, "expected a refusal");
        for (const r of plan.refusals) assert.match(r, /nothing was changed/);
        return plan.refusals.join("\n");
    };

    it("the old PV is Delete: say how to patch it to Retain", () => {
        const o = seed();
        o.pvs[0].spec!.persistentVolumeReclaimPolicy = "Delete";
        assert.match(
            refusal(o),
            /PersistentVolume jenkins has reclaim policy Delete: removing its claim would delete rbd image kubes\/jenkins.*kubectl patch pv jenkins -p '\{"spec":\{"persistentVolumeReclaimPolicy":"Retain"\}\}'/,
        );
    });

    it("the claim's PV is on another image, or not rbd at all", () => {
        assert.match(
            refusal(seed(), { ...target, image: "jenkins2", pvName: "jenkins2" }),
            /bound to PersistentVolume jenkins, which is rbd image kubes\/jenkins, not the stack's kubes\/jenkins2.*set jenkins-ceph:volume.image to jenkins/,
        );
        const o = seed();
        o.pvs[0].spec = { persistentVolumeReclaimPolicy: "Retain" };
        assert.match(refusal(o), /which is not an rbd image/);
    });

    it("the stack's PV name is taken by a PV on another image", () => {
        const o = seed();
        o.pvs.push(
            obj("PersistentVolume", "jenkins-home", undefined, { spec: { rbd: { image: "x" } } }),
        );
        assert.match(
            refusal(o, { ...target, pvName: "jenkins-home" }),
            /PersistentVolume jenkins-home already exists and is not on rbd image/,
        );
    });

    it("a pod that is not Jenkins' holds the claim", () => {
        const o = seed();
        o.pods.push(
            obj("Pod", "backup", "ci-infra", {
                spec: { volumes: [{ persistentVolumeClaim: { claimName: "jenkins" } }] },
            }),
        );
        assert.match(
            refusal(o),
            /pod ci-infra\/backup mounts the claim jenkins and is not part of Deployment jenkins.*kubectl -n ci-infra delete pod backup/,
        );
        // With no Deployment of the stack's name at all, even Jenkins' own pod is "another".
        const bare = seed();
        bare.sameNamed = bare.sameNamed.filter((x) => x.kind !== "Deployment");
        assert.match(refusal(bare), /pod ci-infra\/jenkins-6d4-x mounts the claim jenkins/);
    });

    it("the image is missing, or bigger than volume.size", () => {
        const o = seed();
        o.image = { exists: false };
        assert.match(refusal(o), /rbd image kubes\/jenkins does not exist/);
        assert.match(
            refusal(seed(), { ...target, sizeBytes: 50 * GiB }),
            /holds 100Gi, more than jenkins-ceph:volume.size \(50Gi\).*Set volume.size to 100Gi/,
        );
    });

    it("a second claim is bound to a PV on the same image", () => {
        const o = seed();
        o.pvs.push(
            obj("PersistentVolume", "copy", undefined, {
                spec: {
                    persistentVolumeReclaimPolicy: "Retain",
                    rbd: { image: "jenkins", pool: "kubes" },
                    claimRef: { namespace: "x", name: "y" },
                },
                status: { phase: "Bound" },
            }),
        );
        assert.match(
            refusal(o),
            /PersistentVolume copy is also on rbd image kubes\/jenkins and is bound to the claim x\/y/,
        );
    });

    it("an object with the stack's name that the takeover does not replace", () => {
        const o = seed();
        o.sameNamed.push(obj("ConfigMap", "jenkins-casc", "ci-infra"));
        assert.match(
            refusal(o),
            /ConfigMap ci-infra\/jenkins-casc already exists and is not this stack's.*kubectl delete -n ci-infra configmap jenkins-casc/,
        );
    });
});

describe("takeover backup: manifests kubectl create accepts again", () => {
    it("drop server fields and the binding to old uids, keep what the objects are", () => {
        const pv = seed().pvs[0];
        Object.assign(pv.metadata, {
            resourceVersion: "12",
            creationTimestamp: "2018-03-26T10:00:00Z",
            finalizers: ["kubernetes.io/pv-protection"],
            annotations: { "pv.kubernetes.io/bound-by-controller": "yes", team: "ci" },
            labels: { app: "jenkins" },
        });
        const m = recreatable(pv) as unknown as KubeObject & {
            metadata: Record<string, unknown>;
        };
        assert.deepEqual(Object.keys(m.metadata).sort(), [
            "annotations",
            "labels",
            "name",
            "namespace",
        ]);
        assert.deepEqual(m.metadata.annotations, { team: "ci" });
        assert.deepEqual(m.spec!.claimRef, { namespace: "ci-infra", name: "jenkins" });
        assert.equal(m.status, undefined);
        assert.equal(m.spec!.persistentVolumeReclaimPolicy, "Retain");
        assert.equal(pv.metadata.uid, "uid-PersistentVolume-jenkins", "the original is untouched");
    });
});

describe("takeover: why a pulumi up failed, in one line", () => {
    it("the first error detail, past the engine's summaries", () => {
        // As the engine printed it when a Ctrl-C cancelled a Service's await (seen in CI).
        const cancelled = [
            " +  kubernetes:core/v1:Service jenkins-http **creating failed** error: 2 errors occurred:",
            " +  pulumi:pulumi:Stack jenkins-ceph-e2e-take-csi creating (2s) error: update failed",
            "Diagnostics:",
            "  kubernetes:core/v1:Service (jenkins-http):",
            "    error: 2 errors occurred:",
            '    \t* resource "urn:x" was successfully created, but the Kubernetes API server reported that it failed to fully initialize or become live: Resource operation was cancelled for "jenkins"',
        ].join("\n");
        assert.match(
            upFailure(cancelled),
            /^resource "urn:x" was successfully created.*cancelled for "jenkins"$/,
        );
        assert.equal(
            upFailure("Updating (s):\n  pulumi:pulumi:Stack (s):\n    error: update canceled\n"),
            "update canceled",
        );
        assert.equal(upFailure("exit status 255"), "exit status 255");
    });
});
