// `npm run test:e2e`: the real Pulumi engine (CLI, nodejs language host, Kubernetes and
// command providers) runs this program through the automation API, and every step is
// checked against the real objects: the Kubernetes API through kubectl, Ceph through rbd.
//
// Where: by default a throwaway world on 127.0.0.1 (test/e2e/engine.ts): Ceph (mon +
// memstore OSD), etcd + kube-apiserver + controller-manager + scheduler built from Go
// modules, kwok for a node whose pods become Ready, and a throwaway sshd so one stack
// runs rbd through remote.Command. With JENKINS_CEPH_E2E_CONFIG set, a real cluster
// instead (docs/testing.md, "End-to-end tests on your cluster").
//
// REQUIRE_E2E=1 turns every skip into a failure.
import { strict as assert } from "assert";
import { EngineEvent, OpType, Stack } from "@pulumi/pulumi/automation";
import { Combo, E2eWorld, startWorld, stopAfterFirstFailure, worldMissing } from "./engine";
import { cephCsiChartDir } from "../../tools/toolchain";
import { BAD_CONFIGS } from "../badConfigs";
import { takeoverSuite } from "./takeover";
import { nothingLostSuite } from "./nothingLost";

const REQUIRED = process.env.REQUIRE_E2E === "1";

/** URN tail "type::name" of every step the engine took that was not "same". */
function changes(events: EngineEvent[]): Map<string, OpType> {
    const out = new Map<string, OpType>();
    for (const e of events) {
        const m = e.resourcePreEvent?.metadata;
        if (!m || m.op === "same" || m.op === "read") continue;
        if (m.type === "pulumi:pulumi:Stack") continue;
        const key = `${m.type}::${m.urn.split("::").pop()}`;
        // A replacement shows as several steps; keep the most telling one.
        if (!out.has(key) || /replace/.test(m.op)) out.set(key, m.op);
    }
    return out;
}

/**
 * A stack of its own for a test that changes the cluster beyond it (E2eWorld.localCombo),
 * or a skip that says why on a user's cluster.
 */
function localOnly(
    test: Mocha.Context,
    why: string,
    ...args: Parameters<typeof E2eWorld.localCombo>
): Combo {
    const combo = E2eWorld.localCombo(...args);
    if (!combo) {
        console.log(`    SKIP: a user cluster: ${why}`);
        test.skip();
    }
    return combo;
}

const REPLACING: OpType[] = ["replace", "create-replacement", "delete-replaced"];

function describeChanges(c: Map<string, OpType>): string {
    return [...c].map(([k, op]) => `${op} ${k}`).join(", ") || "(none)";
}

describe("e2e: the real Pulumi engine against Kubernetes and Ceph", function () {
    this.timeout(60 * 60_000);
    let world: E2eWorld | undefined;

    before(async function () {
        const why = worldMissing();
        if (why) {
            if (REQUIRED) throw new Error(`REQUIRE_E2E=1 but ${why}`);
            console.log(`    SKIP: ${why}`);
            this.skip();
        }
        world = await startWorld();
        console.log(`    world: ${world.describe()}`);
    });

    after(() => {
        world?.stop();
    });

    // Registered at load time: the combinations a world offers are known from the
    // environment alone (local fixture: all four; a user's cluster: its stack file).
    for (const combo of E2eWorld.plannedCombos()) {
        const label = `${combo.mode} + ${combo.provisioner}${combo.remote ? " (rbd over SSH)" : ""}`;
        if (!combo.canRun) {
            describe(label, () => {
                it(`preview only: ${combo.whyPreviewOnly}`, async () => {
                    const s = await world!.stack(combo);
                    const events: EngineEvent[] = [];
                    const p = await s.preview({ onEvent: (e) => events.push(e) });
                    const ops = changes(events);
                    assert.ok(ops.size >= 6, describeChanges(ops));
                    for (const [k, op] of ops) assert.equal(op, "create", k);
                    assert.ok((p.changeSummary.create ?? 0) >= 6);
                    await world!.remove(s);
                });
            });
            continue;
        }
        describe(label, function () {
            let s: Stack;
            let first: { pvcUid: string; pvName: string; pvUid: string; image: string };

            before(async () => {
                s = await world!.stack(combo);
            });

            stopAfterFirstFailure();

            async function up(): Promise<{ ops: Map<string, OpType>; output: string }> {
                const events: EngineEvent[] = [];
                let output = "";
                await s.up({ onEvent: (e) => events.push(e), onOutput: (o) => (output += o) });
                return { ops: changes(events), output };
            }

            async function failingUp(): Promise<string> {
                let output = "";
                const err = await s
                    .up({ onOutput: (o) => (output += o) })
                    .then(() => undefined)
                    .catch((e: Error) => e);
                assert.ok(err, "the up must fail");
                return `${output}\n${err.message}`;
            }

            it("preview lists only creates", async () => {
                const events: EngineEvent[] = [];
                await s.preview({ onEvent: (e) => events.push(e) });
                const ops = changes(events);
                for (const [k, op] of ops) assert.equal(op, "create", k);
                for (const t of ["Namespace", "Secret", "PersistentVolumeClaim", "Deployment"]) {
                    assert.ok(
                        [...ops.keys()].some((k) => k.includes(`:${t}::`)),
                        `no ${t} in ${describeChanges(ops)}`,
                    );
                }
                if (combo.mode === "static") {
                    assert.ok(ops.has(`${combo.commandType}::jenkins-home-image`));
                }
            });

            it("up: the claim is Bound, the Deployment available, the image 1Gi", async () => {
                const { output } = await up();
                // Not on this stack: warnings for undefined outputs, or a language host
                // found on PATH (the provider's await progress warnings are transient).
                assert.doesNotMatch(output, /Undefined value|from \$PATH/);
                const pvc = world!.kube.get("pvc", combo.namespace, combo.claimName);
                assert.equal(pvc.status.phase, "Bound");
                const dep = world!.kube.get("deployment", combo.namespace, "jenkins");
                assert.equal(dep.status.availableReplicas, 1, JSON.stringify(dep.status));
                const pv = world!.kube.get("pv", undefined, pvc.spec.volumeName);
                const image = world!.kube.imageOf(pv);
                assert.equal(world!.rbd.imageSize(image), 1024 ** 3, `image ${image}`);
                first = {
                    pvcUid: pvc.metadata.uid,
                    pvName: pv.metadata.name,
                    pvUid: pv.metadata.uid,
                    image,
                };
                if (combo.mode === "static") assert.equal(image, combo.image);
            });

            it("a second up changes nothing", async () => {
                const { ops } = await up();
                assert.equal(ops.size, 0, describeChanges(ops));
            });

            it("growing volume.size grows the image and replaces nothing", async () => {
                world!.editConfig(s, { volume: { size: "2Gi" } });
                const { ops } = await up();
                for (const [k, op] of ops) assert.ok(!REPLACING.includes(op), `${op} ${k}`);
                if (combo.mode === "static") {
                    // The claim is untouched; the PV's capacity and the image grow.
                    assert.ok(
                        ![...ops.keys()].some((k) => k.includes("PersistentVolumeClaim")),
                        describeChanges(ops),
                    );
                    const pv = world!.kube.get("pv", undefined, first.pvName);
                    assert.equal(pv.spec.capacity.storage, "2Gi");
                }
                await world!.kube.waitFor(
                    `image ${first.image} at 2Gi`,
                    () => world!.rbd.imageSize(first.image) === 2 * 1024 ** 3,
                );
                const pvc = world!.kube.get("pvc", combo.namespace, combo.claimName);
                assert.equal(pvc.metadata.uid, first.pvcUid, "the claim was not recreated");
            });

            it("a shrink is refused with one clear sentence and the stack stays consistent", async () => {
                world!.editConfig(s, { volume: { size: "1Gi" } });
                const text = await failingUp();
                if (combo.mode === "static") {
                    assert.match(
                        text,
                        /exists with 2048 MiB, more than the requested 1024 MiB; refusing to shrink/,
                    );
                    // None of the rbd program's text reaches the user.
                    assert.doesNotMatch(text, /RBD_SIZE_MIB|rbd_ensure|rbdc |RBD_KEY_END/);
                    const lines = text.split("\n").filter((l) => /refusing to shrink/.test(l));
                    for (const l of lines) assert.ok(l.length < 400, `a long line: ${l}`);
                    console.log(`      the user reads: ${lines[0].trim()}`);
                } else {
                    assert.match(text, /can not be less than|forbidden|Forbidden/);
                    const line = text
                        .split("\n")
                        .find((l) => /can not be less than|orbidden/.test(l));
                    console.log(`      the user reads: ${line?.trim()}`);
                }
                assert.equal(world!.rbd.imageSize(first.image), 2 * 1024 ** 3, "nothing shrank");
                world!.editConfig(s, { volume: { size: "2Gi" } });
                const { ops } = await up();
                for (const [k, op] of ops) assert.ok(!REPLACING.includes(op), `${op} ${k}`);
                const again = await up();
                assert.equal(again.ops.size, 0, `not converged: ${describeChanges(again.ops)}`);
            });

            it("a new Jenkins image tag snapshots the home, then updates only the Deployment", async () => {
                world!.editConfig(s, {
                    jenkins: { image: "jenkins/jenkins:2.568.2-jdk17" },
                });
                const { ops } = await up();
                assert.deepEqual(
                    [...ops].sort(),
                    [
                        // rbd runs where the image's step runs (dynamic: on this machine).
                        [
                            `${combo.mode === "static" ? combo.commandType : "command:local:Command"}::jenkins-home-snapshot`,
                            "update",
                        ],
                        ["kubernetes:apps/v1:Deployment::jenkins", "update"],
                    ].sort(),
                );
                const snaps = (await s.outputs()).snapshots.value as { reason: string }[];
                assert.deepEqual(
                    snaps.map((x) => x.reason),
                    ["initial", "image"],
                );
                const dep = world!.kube.get("deployment", combo.namespace, "jenkins");
                assert.equal(
                    dep.spec.template.spec.containers[0].image,
                    "jenkins/jenkins:2.568.2-jdk17",
                );
                assert.equal(dep.status.availableReplicas, 1);
            });

            it("rotating cephUserKey on a protected stack updates the Secret in place", async function () {
                const rotated = world!.rotateUserKey(s);
                if (!rotated) {
                    console.log(
                        "    SKIP: this world cannot rotate the Ceph key (a user's cluster)",
                    );
                    this.skip();
                }
                const { ops } = await up();
                for (const [k, op] of ops) assert.ok(!REPLACING.includes(op), `${op} ${k}`);
                assert.equal(ops.get("kubernetes:core/v1:Secret::ceph-secret-user"), "update");
                // The Ceph Secrets live in their own namespace (ceph.secretNamespace).
                const secret = world!.kube.get(
                    "secret",
                    `${combo.namespace}-ceph`,
                    "ceph-secret-user",
                );
                const field = combo.provisioner === "csi" ? "userKey" : "key";
                assert.equal(Buffer.from(secret.data[field], "base64").toString(), rotated);
                const pvc = world!.kube.get("pvc", combo.namespace, combo.claimName);
                const pv = world!.kube.get("pv", undefined, first.pvName);
                assert.equal(pvc.metadata.uid, first.pvcUid);
                assert.equal(pv.metadata.uid, first.pvUid);
            });

            it("state and backend never hold a Ceph or SSH key in plaintext", () => {
                const exported = world!.exportStack(s);
                assert.match(exported, /"secure"|ciphertext/, "the export holds encrypted values");
                world!.assertNoKeys(exported, "pulumi stack export");
                world!.assertNoKeysInBackend();
            });

            it("destroy stops at protect: true and removes nothing", async () => {
                const err = await s
                    .destroy()
                    .then(() => undefined)
                    .catch((e: Error) => e);
                assert.ok(err, "destroy of a protected stack must fail");
                assert.match(err.message, /protect/);
                assert.equal(
                    world!.kube.get("pvc", combo.namespace, combo.claimName).metadata.uid,
                    first.pvcUid,
                );
            });

            it(`with protect false, destroy removes the Kubernetes objects and ${combo.deleteImageOnDestroy ? "deletes" : "keeps"} the image`, async () => {
                world!.editConfig(s, {
                    volume: {
                        protect: false,
                        deleteImageOnDestroy: combo.deleteImageOnDestroy || undefined,
                    },
                });
                await up();
                let output = "";
                // Delete hooks (volume.deleteImageOnDestroy) need the program to run.
                await s.destroy({ onOutput: (o) => (output += o), runProgram: true });
                // The namespace is kept, as Helm keeps one (it may hold others' objects), and
                // holds nothing of the stack's any more.
                assert.ok(world!.kube.exists("namespace", undefined, combo.namespace));
                assert.match(
                    output,
                    new RegExp(
                        `kept namespace ${combo.namespace}: a stack never deletes a namespace`,
                    ),
                );
                for (const kind of ["deployment", "pvc", "service", "secret", "configmap"]) {
                    const left = world!.kube
                        .list(kind, combo.namespace)
                        .filter((x) => x.metadata.name !== "kube-root-ca.crt");
                    assert.deepEqual(
                        left.map((x) => `${kind}/${x.metadata.name}`),
                        [],
                    );
                }
                if (combo.mode === "static") {
                    assert.equal(world!.kube.exists("pv", undefined, first.pvName), false);
                } else {
                    // Retain: Kubernetes keeps the PV (Released) and the image; say so.
                    const pv = world!.kube.get("pv", undefined, first.pvName);
                    assert.equal(pv.status.phase, "Released");
                    assert.match(output, new RegExp(`kept.*${first.pvName}`));
                    assert.match(output, new RegExp(first.image));
                }
                if (combo.deleteImageOnDestroy) {
                    assert.equal(
                        world!.rbd.imageSize(first.image),
                        undefined,
                        "the image was deleted",
                    );
                    assert.match(output, /removed \(volume\.deleteImageOnDestroy is true\)/);
                } else {
                    assert.equal(
                        world!.rbd.imageSize(first.image),
                        2 * 1024 ** 3,
                        "the image is kept",
                    );
                    if (combo.mode === "static")
                        assert.match(output, /left in place with its data/);
                }
                world!.assertNoKeysInBackend();
                await world!.remove(s);
            });
        });
    }

    it("ceph.csi.install: the real engine installs the ceph-csi-rbd chart (a local copy) with this stack's values", async function () {
        const chart = cephCsiChartDir();
        const combo = E2eWorld.localCombo("static", "csi", "csi-inst");
        if (!chart || !combo) {
            const why = !chart
                ? "the ceph-csi-rbd chart source (shared/third_party) is not here"
                : "a user cluster: this test installs a cluster-wide driver";
            if (REQUIRED && !chart) throw new Error(`REQUIRE_E2E=1 but ${why}`);
            console.log(`    SKIP: ${why}`);
            this.skip();
        }
        const driverNs = "e2e-csi-driver";
        const s = await world!.stack(combo);
        world!.editConfig(s, {
            ceph: { csi: { install: true, chartPath: chart, namespace: driverNs } },
            volume: { protect: false },
        });
        await s.up();

        // The stack's clusterID and monitors reached the driver's config.
        const cm = world!.kube.get("configmap", driverNs, "ceph-csi-config");
        assert.deepEqual(JSON.parse(cm.data["config.json"]), [
            { clusterID: world!.ceph.clusterId, monitors: world!.ceph.monitors },
        ]);
        // The driver registered under the name the PV uses.
        const pv = world!.kube.get("pv", undefined, `pv-${combo.short}`);
        assert.equal(
            world!.kube.get("csidriver", undefined, pv.spec.csi.driver).metadata.name,
            "rbd.csi.ceph.com",
        );
        // One provisioner (the chart's default is 3 with required anti-affinity), available.
        const provisioner = world!.kube.get("deployment", driverNs, "ceph-csi-rbd-provisioner");
        assert.equal(provisioner.spec.replicas, 1);
        assert.equal(provisioner.status.availableReplicas, 1);
        // The chart made no Secret (only Helm's own release record) and no StorageClass.
        const secrets = world!.kube
            .list("secrets", driverNs)
            .filter((x) => x.type !== "helm.sh/release.v1")
            .map((x) => x.metadata.name);
        assert.deepEqual(secrets, ["ceph-secret-user"], "the only Secret there is this stack's");
        assert.deepEqual(
            world!.kube.list("storageclasses").filter((x) => x.provisioner === "rbd.csi.ceph.com"),
            [],
        );
        assert.equal(world!.kube.get("pvc", combo.namespace, "jenkins").status.phase, "Bound");

        // A destroy leaves the driver to the other stacks that may use it (retainOnDelete).
        await s.destroy();
        assert.ok(world!.kube.exists("configmap", driverNs, "ceph-csi-config"), "the driver stays");
        assert.ok(!world!.kube.exists("deployment", combo.namespace, "jenkins"), "Jenkins is gone");
        world!.kube.deleteNamespace(driverNs);
        await world!.remove(s);
    });

    it("ceph.existingStorageClass: a class the cluster has serves the claim; a setting it makes pointless is refused before anything is registered", async function () {
        const combo = localOnly(
            this,
            "this test creates its own cluster-wide class",
            "dynamic",
            "in-tree",
            "rook",
            { namespace: "e2e-rook-jenkins" },
        );
        world!.createClusterClass("e2e-rook-block", "e2e-rook-ceph");
        const s = await world!.stack(combo);
        // The stack file a Rook user writes: the class, and nothing of Ceph's.
        const gone = Object.fromEntries(
            ["provisioner", "monitors", "user", "storageClassName", "timeoutSeconds"].map((k) => [
                k,
                undefined,
            ]),
        );
        world!.editConfig(s, {
            ceph: { ...gone, existingStorageClass: "e2e-rook-block", pool: "kubes" },
            volume: { protect: false, snapshots: { enabled: false } },
        });
        const refused = await s.preview().then(
            () => "",
            (e: Error) => e.message,
        );
        assert.match(
            refused,
            /jenkins-ceph:ceph\.pool: has no effect with ceph\.existingStorageClass/,
        );
        assert.ok(
            !world!.kube.exists("namespace", undefined, combo.namespace),
            "nothing was created",
        );

        world!.editConfig(s, { ceph: { pool: undefined } });
        await s.up();
        const pvc = world!.kube.get("pvc", combo.namespace, "jenkins");
        assert.equal(pvc.status.phase, "Bound");
        assert.equal(pvc.spec.storageClassName, "e2e-rook-block");
        const resources = (await s.exportStack()).deployment.resources ?? [];
        const types = resources.map((r: { type: string }) => r.type);
        assert.ok(!types.includes("kubernetes:core/v1:Secret"), types.join());
        assert.ok(!types.includes("kubernetes:storage.k8s.io/v1:StorageClass"), types.join());
        const again: EngineEvent[] = [];
        await s.up({ onEvent: (e) => again.push(e) });
        assert.equal(changes(again).size, 0, describeChanges(changes(again)));
        await s.destroy();
        await world!.remove(s);
        world!.kube.deleteNamespace("e2e-rook-ceph");
    });

    it("configured as code: up, a plugin change touches only its ConfigMap and the Deployment, removing the password brings the wizard back", async function () {
        const combo = localOnly(
            this,
            "this test sets an admin password of its own",
            "static",
            "csi",
            "casc",
        );
        const s = await world!.stack(combo);
        world!.editConfig(s, {
            jenkins: { plugins: ["git:5.7.0"], agents: { enabled: true } },
            volume: { protect: false },
        });
        world!.setSecretSetting(s, "jenkins.adminPassword", "e2e-admin-password-not-for-use");
        await s.up();
        const ns = combo.namespace;
        const admin = world!.kube.get("secret", ns, "jenkins-admin");
        assert.equal(Buffer.from(admin.data["jenkins-admin-user"], "base64").toString(), "admin");
        const deployment = world!.kube.get("deployment", ns, "jenkins");
        const template = deployment.spec.template;
        assert.equal(template.spec.initContainers[0].name, "install-plugins");
        assert.match(
            template.metadata.annotations["jenkins-ceph/config-checksum"],
            /^[0-9a-f]{64}$/,
        );
        assert.equal(deployment.status.availableReplicas, 1);
        const plugins = world!.kube.get("configmap", ns, "jenkins-plugins").data["plugins.txt"];
        assert.equal(
            plugins,
            "configuration-as-code:1985.vdda_32d0c4ea_b_\ngit:5.7.0\nkubernetes:4371.vb_33b_086d54a_1\n",
        );
        assert.ok(world!.kube.exists("configmap", ns, "jenkins-casc"));

        world!.editConfig(s, { jenkins: { plugins: ["git:5.7.1"] } });
        const events: EngineEvent[] = [];
        await s.up({ onEvent: (e) => events.push(e) });
        const ops = changes(events);
        assert.deepEqual(
            [...ops].map(([k, op]) => `${op} ${k}`).sort(),
            [
                // The home is snapshotted first: Jenkins restarts on another plugin set.
                "update command:local:Command::jenkins-home-snapshot",
                "update kubernetes:apps/v1:Deployment::jenkins",
                "update kubernetes:core/v1:ConfigMap::jenkins-plugins",
            ],
            describeChanges(ops),
        );
        const rolled = world!.kube.get("deployment", ns, "jenkins").spec.template;
        assert.notEqual(
            rolled.metadata.annotations["jenkins-ceph/config-checksum"],
            template.metadata.annotations["jenkins-ceph/config-checksum"],
        );

        await world!.removeSetting(s, "jenkins.adminPassword");
        await s.up();
        assert.ok(!world!.kube.exists("secret", ns, "jenkins-admin"), "the admin Secret is gone");
        assert.ok(!world!.kube.exists("configmap", ns, "jenkins-casc"), "the JCasC files are gone");
        const wizard = world!.kube.get("deployment", ns, "jenkins").spec.template.spec
            .containers[0];
        const javaOpts = wizard.env.find((e: { name: string }) => e.name === "JAVA_OPTS").value;
        assert.doesNotMatch(javaOpts, /runSetupWizard/);
        assert.match(
            String((await s.outputs()).initialAdminPasswordCommand?.value),
            /initialAdminPassword$/,
        );
        world!.assertNoKeysInBackend();
        await s.destroy();
        await world!.remove(s);
    });

    it("snapshots and restore: a new image tag snapshots the home first; npm run restore brings the old content back and can be undone", async function () {
        const combo = localOnly(
            this,
            "this test writes into its own rbd image",
            "static",
            "csi",
            "restore",
        );
        const s = await world!.stack(combo);
        world!.editConfig(s, { volume: { protect: false, snapshots: { keep: 3 } } });
        await s.up();
        const image = combo.image;
        world!.rbd.writeMarker(image, "before-upgrade");

        world!.editConfig(s, { jenkins: { image: "jenkins/jenkins:2.568.3-jdk21" } });
        const events: EngineEvent[] = [];
        await s.up({ onEvent: (e) => events.push(e) });
        const ops = changes(events);
        assert.equal(
            ops.get("command:local:Command::jenkins-home-snapshot"),
            "update",
            describeChanges(ops),
        );
        const outputs = await s.outputs();
        const snaps = outputs.snapshots.value as { name: string; reason: string }[];
        assert.deepEqual(
            snaps.map((x) => x.reason),
            ["initial", "image"],
        );
        const taken = snaps[1].name;
        // The Deployment records the snapshot taken before its pods first ran.
        const deployment = world!.kube.get("deployment", combo.namespace, "jenkins");
        assert.equal(deployment.metadata.annotations["jenkins-ceph/snapshot"], taken);

        world!.rbd.writeMarker(image, "after-upgrade");
        const dry = world!.scripts.runScript("restore", ["--stack", s.name, "--snapshot", taken]);
        assert.equal(dry.code, 0, dry.out);
        assert.match(dry.out, /dry run; add --yes/);
        assert.match(dry.out, /rbd snap rollback kubes\/img-restore@jenkins-ceph-/);
        assert.equal(world!.rbd.readMarker(image), "after-upgrade", "a dry run changes nothing");

        const missing = world!.scripts.runScript("restore", [
            "--stack",
            s.name,
            "--snapshot",
            "jenkins-ceph-20200101T000000Z-image",
            "--yes",
        ]);
        assert.notEqual(missing.code, 0);
        assert.match(missing.out, /is not among this stack's snapshots .*; nothing was changed/);
        assert.equal(world!.kube.get("deployment", combo.namespace, "jenkins").spec.replicas, 1);
        assert.equal(world!.rbd.readMarker(image), "after-upgrade");

        // A pod that scaling the Deployment does not remove (as one stuck terminating on a
        // node would be): the restore waits --timeout, refuses, and rolls nothing back.
        const stuck = {
            apiVersion: "v1",
            kind: "Pod",
            metadata: {
                name: "jenkins-stuck",
                namespace: combo.namespace,
                labels: { app: "jenkins" },
            },
            spec: {
                nodeName: "kwok-node-0",
                securityContext: {
                    runAsNonRoot: true,
                    runAsUser: 1000,
                    seccompProfile: { type: "RuntimeDefault" },
                },
                containers: [
                    {
                        name: "c",
                        image: "registry.k8s.io/pause:3.10.1",
                        securityContext: {
                            allowPrivilegeEscalation: false,
                            capabilities: { drop: ["ALL"] },
                        },
                    },
                ],
            },
        };
        const created = world!.kube.kubectl(["apply", "-f", "-"], JSON.stringify(stuck));
        assert.ok(created.ok, created.out);
        const held = world!.scripts.runScript("restore", [
            "--stack",
            s.name,
            "--snapshot",
            taken,
            "--yes",
            "--timeout",
            "5",
        ]);
        assert.notEqual(held.code, 0);
        assert.match(
            held.out,
            /the Jenkins pod is still there after 5s and holds the volume; nothing was rolled back/,
        );
        assert.equal(world!.rbd.readMarker(image), "after-upgrade");
        assert.ok(
            world!.kube.kubectl([
                "-n",
                combo.namespace,
                "delete",
                "pod",
                "jenkins-stuck",
                "--wait=true",
            ]).ok,
        );

        const done = world!.scripts.runScript("restore", [
            "--stack",
            s.name,
            "--snapshot",
            taken,
            "--yes",
        ]);
        assert.equal(done.code, 0, done.out);
        assert.equal(world!.rbd.readMarker(image), "before-upgrade");
        assert.match(done.out, /snapshot (jenkins-ceph-\d{8}T\d{6}Z-pre-restore) taken/);
        assert.equal(world!.kube.get("deployment", combo.namespace, "jenkins").spec.replicas, 1);

        // The restore's own safety snapshot undoes it.
        const safety = /snapshot (jenkins-ceph-\d{8}T\d{6}Z-pre-restore) taken/.exec(done.out)![1];
        const undo = world!.scripts.runScript("restore", [
            "--stack",
            s.name,
            "--snapshot",
            safety,
            "--yes",
        ]);
        assert.equal(undo.code, 0, undo.out);
        assert.equal(world!.rbd.readMarker(image), "after-upgrade");
        world!.assertNoKeysInBackend();
        await s.destroy();
        await world!.remove(s);
    });

    // The refusals of the settings added for least privilege, configuration as code and
    // snapshots, through the real engine: the same sentence as under the mocks, and nothing
    // registered (the rest of the table runs under the mocks in npm test).
    const ENGINE_REFUSALS = [
        "journaling, which the kernel client cannot map",
        "existingStorageClass in static mode",
        "existingStorageClass with monitors that would be ignored",
        "provisionerReplicas zero",
        "toleration with a value and Exists",
        "networkPolicy without the ingress namespace",
        "plugin at latest",
        "plugin listed twice",
        "JCasC that is not YAML",
        "adminPassword in plaintext",
        "agents namespace not a DNS label",
        "snapshots on with a class the cluster has",
        "ConfigMaps made immutable again",
    ];
    it(`refuses ${ENGINE_REFUSALS.length} bad settings on the real engine before anything is registered`, async function () {
        const combo = localOnly(
            this,
            "this test rewrites a stack's whole config",
            "static",
            "csi",
            "casc",
        );
        const s = await world!.stack({ ...combo, short: "refusals" }, undefined, "e2e-refusals");
        const t0 = Date.now();
        for (const title of ENGINE_REFUSALS) {
            const found = BAD_CONFIGS.find(([t]) => t === title);
            assert.ok(found, `no bad config titled ${title}`);
            const [, input, key, reason] = found;
            const i = input();
            world!.setWholeConfig(s, i.values, i.secrets ?? {});
            const message = await s.preview().then(
                () => "",
                (e: Error) => e.message,
            );
            const line = message.split("\n").find((l) => l.includes(`${key}`) && reason.test(l));
            assert.ok(
                line,
                `${title}: no line for ${key} matching ${String(reason)} in:\n${message}`,
            );
            const resources = (await s.exportStack()).deployment.resources ?? [];
            assert.deepEqual(
                resources.filter((r: { type: string }) => !r.type.startsWith("pulumi:")),
                [],
                `${title}: registered something`,
            );
        }
        console.log(
            `      ${ENGINE_REFUSALS.length} previews refused in ${((Date.now() - t0) / 1000).toFixed(1)}s`,
        );
        await world!.remove(s);
    });

    // Stacks deployed by the last landed release keep every object when this program
    // takes them over: renamed resources come with aliases, and nothing is replaced.
    const LANDED = "a89766351bee49366c0f8fb3888172691e0e6fb0";
    for (const combo of E2eWorld.upgradeCombos()) {
        it(`upgrade ${combo.mode} + ${combo.provisioner}: a stack made by ${LANDED.slice(0, 7)} takes this program with nothing replaced`, async function () {
            const legacy = await world!.legacyWorkspace(LANDED);
            if (typeof legacy === "string") {
                console.log(`    SKIP: ${legacy}`);
                this.skip();
            }
            const old = await world!.stack(combo, legacy, `e2e-${combo.short}`);
            world!.editConfig(old, { volume: { protect: false } });
            await old.up();
            const pvc = world!.kube.get("pvc", combo.namespace, combo.claimName);
            const pv = world!.kube.get("pv", undefined, pvc.spec.volumeName);
            const deployment = world!.kube.get("deployment", combo.namespace, "jenkins");

            const s = await world!.adopt(old);
            // Without the README's settings the Secrets would move, and the objects that
            // point at them cannot follow (a PV's source, a class's parameters are
            // immutable): the home check refuses it at preview and nothing changes.
            const bare = await s.preview().then(
                () => "",
                (e: Error) => e.message,
            );
            // The program's sentence, before the API server's (issue #21).
            assert.match(
                bare,
                /jenkins-ceph:ceph\.secretNamespace: changes/,
                "an upgrade without ceph.secretNamespace must stop at the preview",
            );
            assert.doesNotMatch(bare, /is immutable|are forbidden/);

            // The README's upgrade: keep the Secrets where the existing PVs point, and the
            // old defaults (node label, time zone) this stack relied on.
            world!.editConfig(s, {
                ceph: { secretNamespace: combo.namespace },
                jenkins: { nodeAffinity: { "cicd-services": "enabled" }, timezone: "Asia/Seoul" },
            });
            const events: EngineEvent[] = [];
            await s.up({ onEvent: (e) => events.push(e) });
            const ops = changes(events);
            for (const [k, op] of ops) {
                assert.ok(!REPLACING.includes(op), `${op} ${k}`);
                // New in this release: the note a dynamic destroy prints, its pieces, and
                // the component every resource now sits under (its children come with an
                // alias to their old URN, so they are the same resources).
                if (op === "create")
                    assert.match(
                        k,
                        /RetainedVolumeNote|-kept|JenkinsSnapshot|-snapshot|^pulumi:providers:(command|pulumi)|^jenkins-ceph:index:JenkinsOnCeph::jenkins$/,
                        k,
                    );
                // Gone in this release: the agent Service of a stack without agents.
                if (op === "delete") assert.match(k, /Service::jenkins-agent$/, k);
            }
            // New in this release: every object names its stack in an annotation; nothing
            // else of an object with data or state changes.
            for (const e of events) {
                const m = e.resourcePreEvent?.metadata;
                if (!m || !/PersistentVolume|StorageClass|Namespace/.test(m.type)) continue;
                if (m.op === "same" || m.op === "read") continue;
                assert.equal(m.op, "update", `${m.op} ${m.urn}`);
                const diffs = m.diffs ?? [];
                assert.ok(
                    diffs.every((d) => d === "metadata" || d.startsWith("metadata.")),
                    `${m.urn} changes ${diffs.join(", ")}: an object with data or state changed`,
                );
            }
            // New in this release: the Deployment records the first snapshot in its own
            // metadata; its pod template (and so Jenkins) is untouched.
            const after = world!.kube.get("deployment", combo.namespace, "jenkins");
            // (An annotation bumps the generation, since the controller copies annotations
            // to the ReplicaSet; the template, and so the running pod, stays.)
            assert.deepEqual(after.spec.template, deployment.spec.template, "no rollout");
            assert.match(after.metadata.annotations["jenkins-ceph/snapshot"], /-initial$/);
            assert.equal(
                world!.kube.get("pvc", combo.namespace, combo.claimName).metadata.uid,
                pvc.metadata.uid,
            );
            assert.equal(
                world!.kube.get("pv", undefined, pv.metadata.name).metadata.uid,
                pv.metadata.uid,
            );
            const again: EngineEvent[] = [];
            await s.up({ onEvent: (e) => again.push(e) });
            assert.equal(changes(again).size, 0, describeChanges(changes(again)));
            await s.destroy();
            await world!.remove(s);
        });
    }

    takeoverSuite(() => world, E2eWorld.takeoverCombos());
    nothingLostSuite(() => world);
});
