// ceph.csi.install: the driver from the official chart, fed the stack's monitors.
import { strict as assert } from "assert";
import { ProgramRun } from "../cli/mockRuntime";
import { describeOther } from "../cli/render";
import { baseStack } from "./fixtures";
import { Any, byKind, merge, one, runOk } from "./helpers";

const release = (r: ProgramRun) =>
    r.resources.filter((x) => x.type === "kubernetes:helm.sh/v3:Release");

describe("ceph-csi driver from the same stack", () => {
    for (const mode of ["dynamic", "static"] as const) {
        it(`${mode}: install true installs the pinned chart with clusterID -> monitors`, async () => {
            const r = await runOk(
                merge(baseStack(mode, "csi"), "ceph", { csi: { install: true } }),
            );
            const [rel] = release(r);
            assert.ok(rel, "a Helm release");
            const i = rel.inputs as Any;
            assert.equal(i.chart, "ceph-csi-rbd");
            assert.equal(i.version, "3.13.1");
            assert.deepEqual(i.repositoryOpts, { repo: "https://ceph.github.io/csi-charts" });
            assert.equal(i.namespace, "ceph-csi-rbd");
            assert.deepEqual(i.values.csiConfig, [
                {
                    clusterID: "b9127830-b0cc-4e34-aa47-9d1a2e9949a8",
                    monitors: ["192.168.30.23:6789", "192.168.30.24:6789", "192.168.30.25:6789"],
                },
            ]);
            assert.equal(i.values.driverName, "rbd.csi.ceph.com");
            assert.deepEqual(i.values.storageClass, { create: false });
            assert.deepEqual(i.values.secret, { create: false });
            const ns = one(r, "Namespace", "ceph-csi-rbd").inputs as Any;
            assert.equal(ns.metadata.labels["pod-security.kubernetes.io/enforce"], "privileged");
            assert.match(
                describeOther(rel),
                /helm release ceph-csi-rbd: chart ceph-csi-rbd@3\.13\.1 .*"csiConfig":\[\{"clusterID"/,
            );

            if (mode === "dynamic") {
                const sc = one(r, "StorageClass");
                assert.ok(
                    sc.options.dependsOn.includes("ceph-csi-rbd"),
                    "the StorageClass waits for the driver",
                );
                assert.equal((sc.inputs as Any).provisioner, i.values.driverName);
                // The driver's secrets are the program's, where the class says they are.
                const p = (sc.inputs as Any).parameters;
                const secret = one(r, "Secret").inputs as Any;
                for (const use of ["provisioner", "controller-expand", "node-stage"]) {
                    assert.equal(p[`csi.storage.k8s.io/${use}-secret-name`], secret.metadata.name);
                    assert.equal(
                        p[`csi.storage.k8s.io/${use}-secret-namespace`],
                        secret.metadata.namespace,
                    );
                }
            } else {
                const pv = one(r, "PersistentVolume");
                assert.ok(
                    pv.options.dependsOn.includes("ceph-csi-rbd"),
                    "the PV waits for the driver",
                );
                assert.equal((pv.inputs as Any).spec.csi.driver, i.values.driverName);
            }
        });

        it(`${mode}: install false leaves the driver and its ConfigMap alone`, async () => {
            const r = await runOk(baseStack(mode, "csi"));
            assert.equal(release(r).length, 0);
            assert.equal(byKind(r, "ConfigMap").length, 0);
            // Jenkins' namespace and the one that holds the Ceph Secret.
            assert.equal(byKind(r, "Namespace").length, 2);
        });
    }

    it("registers the chart under the Rook-style driver name when csiDriver says so", async () => {
        const r = await runOk(
            merge(baseStack("dynamic", "csi"), "ceph", {
                csiDriver: "ceph.rbd.csi.ceph.com",
                csi: { install: true, namespace: "ceph-csi" },
            }),
        );
        const i = release(r)[0].inputs as Any;
        assert.equal(i.values.driverName, "ceph.rbd.csi.ceph.com");
        assert.equal(i.namespace, "ceph-csi");
        assert.equal((one(r, "StorageClass").inputs as Any).provisioner, "ceph.rbd.csi.ceph.com");
    });

    it("runs one provisioner by default (the chart's 3 need 3 nodes), more when asked", async () => {
        const one1 = await runOk(
            merge(baseStack("dynamic", "csi"), "ceph", { csi: { install: true } }),
        );
        assert.deepEqual((release(one1)[0].inputs as Any).values.provisioner, { replicaCount: 1 });
        const three = await runOk(
            merge(baseStack("dynamic", "csi"), "ceph", {
                csi: { install: true, provisionerReplicas: 3 },
            }),
        );
        assert.deepEqual((release(three)[0].inputs as Any).values.provisioner, { replicaCount: 3 });
    });

    it("protects the release and its namespace with the stack's protect, and a destroy leaves them (other stacks use the driver)", async () => {
        const prod = await runOk({
            ...merge(baseStack("dynamic", "csi"), "ceph", { csi: { install: true } }),
            stack: "prod",
        });
        const rel = release(prod)[0];
        assert.equal(rel.options.protect, true);
        assert.equal(one(prod, "Namespace", "ceph-csi-rbd").options.protect, true);
        const dev = await runOk({
            ...merge(baseStack("dynamic", "csi"), "ceph", { csi: { install: true } }),
            stack: "dev",
        });
        assert.notEqual(release(dev)[0].options.protect, true);
        // Whatever the stack: a destroy leaves the shared driver installed.
        for (const r of [prod, dev]) {
            assert.equal(release(r)[0].options.retainOnDelete, true);
            assert.equal(one(r, "Namespace", "ceph-csi-rbd").options.retainOnDelete, true);
        }
    });

    it("takes a local chart path instead of the repository (a mirror; the e2e suite's chart)", async () => {
        const r = await runOk(
            merge(baseStack("dynamic", "csi"), "ceph", {
                csi: { install: true, chartPath: "/opt/charts/ceph-csi-rbd" },
            }),
        );
        const i = release(r)[0].inputs as Any;
        assert.equal(i.chart, "/opt/charts/ceph-csi-rbd");
        assert.equal(i.version, undefined);
        assert.equal(i.repositoryOpts, undefined);
    });
});
