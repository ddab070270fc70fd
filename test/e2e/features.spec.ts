// `npm run test:e2e`, the features on the real engine, each in a stack of its own: the
// ceph-csi chart, a class the cluster has, configuration as code, snapshots and restore,
// and the upgrade of stacks the last release made. A world of its own (lifecycle.spec.ts
// says what a world is).
import { localCombo, upgradeCombos } from "./combos";
import { strict as assert } from "assert";
import * as YAML from "yaml";
import { EngineEvent } from "@pulumi/pulumi/automation";
import { describeWorld, REQUIRED } from "./engine";
import { changeLines, changes, describeChanges, localOnly, REPLACING } from "./events";
import { cephCsiChartDir } from "../../tools/toolchain";
import { LDAP_REALM_CASC } from "../fixtures";

// The upgrade runs the last release's program, which takes monitors only as host:port:
// this world has Ceph's standard ports (the others never take them).
describeWorld(
    "e2e: features on the real engine",
    (world) => {
        it("ceph.csi.install: the real engine installs the ceph-csi-rbd chart (a local copy) with this stack's values", async function () {
            const chart = cephCsiChartDir();
            const combo = localCombo("static", "csi", "csi-inst");
            if (!chart || !combo) {
                const why = !chart
                    ? "the ceph-csi-rbd chart source (shared/third_party) is not here"
                    : "a user cluster: this test installs a cluster-wide driver";
                if (REQUIRED && !chart) throw new Error(`REQUIRE_E2E=1 but ${why}`);
                console.log(`    SKIP: ${why}`);
                this.skip();
            }
            const driverNs = "e2e-csi-driver";
            const s = await world().stack(combo);
            world().editConfig(s, {
                ceph: { csi: { install: true, chartPath: chart, namespace: driverNs } },
                volume: { protect: false },
            });
            await s.up();

            // The stack's clusterID and monitors reached the driver's config.
            const cm = world().kube.get("configmap", driverNs, "ceph-csi-config");
            assert.deepEqual(JSON.parse(cm.data["config.json"]), [
                { clusterID: world().ceph.clusterId, monitors: world().ceph.monitors },
            ]);
            // The driver registered under the name the PV uses.
            const pv = world().kube.get("pv", undefined, `pv-${combo.short}`);
            assert.equal(
                world().kube.get("csidriver", undefined, pv.spec.csi.driver).metadata.name,
                "rbd.csi.ceph.com",
            );
            // One provisioner (the chart's default is 3 with required anti-affinity), available.
            const provisioner = world().kube.get(
                "deployment",
                driverNs,
                "ceph-csi-rbd-provisioner",
            );
            assert.equal(provisioner.spec.replicas, 1);
            assert.equal(provisioner.status.availableReplicas, 1);
            // The chart made no Secret (only Helm's own release record) and no StorageClass.
            const secrets = world()
                .kube.list("secrets", driverNs)
                .filter((x) => x.type !== "helm.sh/release.v1")
                .map((x) => x.metadata.name);
            assert.deepEqual(
                secrets,
                ["ceph-secret-user"],
                "the only Secret there is this stack's",
            );
            assert.deepEqual(
                world()
                    .kube.list("storageclasses")
                    .filter((x) => x.provisioner === "rbd.csi.ceph.com"),
                [],
            );
            assert.equal(world().kube.get("pvc", combo.namespace, "jenkins").status.phase, "Bound");

            // A destroy leaves the driver to the other stacks that may use it (retainOnDelete).
            await s.destroy();
            assert.ok(
                world().kube.exists("configmap", driverNs, "ceph-csi-config"),
                "the driver stays",
            );
            assert.ok(
                !world().kube.exists("deployment", combo.namespace, "jenkins"),
                "Jenkins is gone",
            );
            world().kube.deleteNamespace(driverNs);
            await world().remove(s);
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
            world().createClusterClass("e2e-rook-block", "e2e-rook-ceph");
            const s = await world().stack(combo);
            // The stack file a Rook user writes: the class, and nothing of Ceph's.
            const gone = Object.fromEntries(
                ["provisioner", "monitors", "user", "storageClassName", "timeoutSeconds"].map(
                    (k) => [k, undefined],
                ),
            );
            world().editConfig(s, {
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
                !world().kube.exists("namespace", undefined, combo.namespace),
                "nothing was created",
            );

            world().editConfig(s, { ceph: { pool: undefined } });
            await s.up();
            const pvc = world().kube.get("pvc", combo.namespace, "jenkins");
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
            await world().remove(s);
            world().kube.deleteNamespace("e2e-rook-ceph");
        });

        it("configured as code: up, a plugin change touches only its ConfigMap and the Deployment, a credential (--secret --path) and a second agent template only the Secret, the JCasC files and the Deployment, removing the password brings the wizard back", async function () {
            const combo = localOnly(
                this,
                "this test sets an admin password of its own",
                "static",
                "csi",
                "casc",
            );
            const s = await world().stack(combo);
            world().editConfig(s, {
                jenkins: { plugins: ["git:5.7.0"], agents: { enabled: true } },
                volume: { protect: false },
            });
            world().setSecretSetting(s, "jenkins.adminPassword", "e2e-admin-password-not-for-use");
            await s.up();
            const ns = combo.namespace;
            const admin = world().kube.get("secret", ns, "jenkins-admin");
            assert.equal(
                Buffer.from(admin.data["jenkins-admin-user"], "base64").toString(),
                "admin",
            );
            const deployment = world().kube.get("deployment", ns, "jenkins");
            const template = deployment.spec.template;
            assert.equal(template.spec.initContainers[0].name, "install-plugins");
            assert.match(
                template.metadata.annotations["jenkins-ceph/config-checksum"],
                /^[0-9a-f]{64}$/,
            );
            assert.equal(deployment.status.availableReplicas, 1);
            const plugins = world().kube.get("configmap", ns, "jenkins-plugins").data[
                "plugins.txt"
            ];
            assert.equal(
                plugins,
                "configuration-as-code:1985.vdda_32d0c4ea_b_\ngit:5.7.0\nkubernetes:4371.vb_33b_086d54a_1\n",
            );
            assert.ok(world().kube.exists("configmap", ns, "jenkins-casc"));

            world().editConfig(s, { jenkins: { plugins: ["git:5.7.1"] } });
            const events: EngineEvent[] = [];
            await s.up({ onEvent: (e) => events.push(e) });
            const ops = changes(events);
            assert.deepEqual(
                changeLines(ops).sort(),
                [
                    // The home is snapshotted first: Jenkins restarts on another plugin set.
                    "update command:local:Command::jenkins-home-snapshot",
                    "update kubernetes:apps/v1:Deployment::jenkins",
                    "update kubernetes:core/v1:ConfigMap::jenkins-plugins",
                ],
                describeChanges(ops),
            );
            const rolled = world().kube.get("deployment", ns, "jenkins").spec.template;
            assert.notEqual(
                rolled.metadata.annotations["jenkins-ceph/config-checksum"],
                template.metadata.annotations["jenkins-ceph/config-checksum"],
            );

            // A credential for a realm of the stack's own, set as users set it (--secret --path),
            // and a second agent template: only the Secret, the JCasC files and the Deployment
            // change (and the snapshot first).
            world().setSecretPath(s, "jenkinsSecrets.LDAP_PASSWORD", "e2e-ldap-bind-password");
            const ldap = LDAP_REALM_CASC;
            const templates = [
                { name: "default", image: "jenkins/inbound-agent:3324.vea_eda_e98cd69-1" },
                { name: "maven", label: "maven", image: "maven:3.9.9-eclipse-temurin-21" },
            ];
            world().editConfig(s, {
                jenkins: { casc: { ldap }, agents: { enabled: true, templates } },
            });
            const credential: EngineEvent[] = [];
            await s.up({ onEvent: (e) => credential.push(e) });
            const touched = changes(credential);
            assert.deepEqual(
                changeLines(touched).sort(),
                [
                    "update command:local:Command::jenkins-home-snapshot",
                    "update kubernetes:apps/v1:Deployment::jenkins",
                    "update kubernetes:core/v1:ConfigMap::jenkins-casc",
                    "update kubernetes:core/v1:Secret::jenkins-admin",
                ],
                describeChanges(touched),
            );
            const withLdap = world().kube.get("secret", ns, "jenkins-admin");
            assert.equal(
                Buffer.from(withLdap.data.LDAP_PASSWORD, "base64").toString(),
                "e2e-ldap-bind-password",
            );
            const files = world().kube.get("configmap", ns, "jenkins-casc").data;
            const base = YAML.parse(files["jenkins-ceph.yaml"]).jenkins;
            assert.equal(base.securityRealm, undefined);
            assert.deepEqual(
                base.clouds[0].kubernetes.templates.map((t: { name: string }) => t.name),
                ["default", "maven"],
            );
            world().assertNoKeys(world().exportStack(s), "pulumi stack export");
            await world().removeSetting(s, "jenkinsSecrets");
            world().editConfig(s, {
                jenkins: { casc: undefined, agents: { enabled: true } },
            });

            await world().removeSetting(s, "jenkins.adminPassword");
            await s.up();
            assert.ok(
                !world().kube.exists("secret", ns, "jenkins-admin"),
                "the admin Secret is gone",
            );
            assert.ok(
                !world().kube.exists("configmap", ns, "jenkins-casc"),
                "the JCasC files are gone",
            );
            const wizard = world().kube.get("deployment", ns, "jenkins").spec.template.spec
                .containers[0];
            const javaOpts = wizard.env.find((e: { name: string }) => e.name === "JAVA_OPTS").value;
            assert.doesNotMatch(javaOpts, /runSetupWizard/);
            assert.match(
                String((await s.outputs()).initialAdminPasswordCommand?.value),
                /initialAdminPassword$/,
            );
            world().assertNoKeysInBackend();
            await s.destroy();
            await world().remove(s);
        });

        it("snapshots and restore: a new image tag snapshots the home first; npm run restore brings the old content back and can be undone", async function () {
            const combo = localOnly(
                this,
                "this test writes into its own rbd image",
                "static",
                "csi",
                "restore",
            );
            const s = await world().stack(combo);
            world().editConfig(s, { volume: { protect: false, snapshots: { keep: 3 } } });
            await s.up();
            const image = combo.image;
            world().rbd.writeMarker(image, "before-upgrade");

            world().editConfig(s, { jenkins: { image: "jenkins/jenkins:2.568.3-jdk21" } });
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
            const deployment = world().kube.get("deployment", combo.namespace, "jenkins");
            assert.equal(deployment.metadata.annotations["jenkins-ceph/snapshot"], taken);

            world().rbd.writeMarker(image, "after-upgrade");
            const dry = world().scripts.runScript("restore", [
                "--stack",
                s.name,
                "--snapshot",
                taken,
            ]);
            assert.equal(dry.code, 0, dry.out);
            assert.match(dry.out, /dry run; add --yes/);
            assert.match(dry.out, /rbd snap rollback kubes\/img-restore@jenkins-ceph-/);
            assert.equal(
                world().rbd.readMarker(image),
                "after-upgrade",
                "a dry run changes nothing",
            );

            const missing = world().scripts.runScript("restore", [
                "--stack",
                s.name,
                "--snapshot",
                "jenkins-ceph-20200101T000000Z-image",
                "--yes",
            ]);
            assert.notEqual(missing.code, 0);
            assert.match(
                missing.out,
                /is not among this stack's snapshots .*; nothing was changed/,
            );
            assert.equal(
                world().kube.get("deployment", combo.namespace, "jenkins").spec.replicas,
                1,
            );
            assert.equal(world().rbd.readMarker(image), "after-upgrade");

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
            const created = world().kube.kubectl(["apply", "-f", "-"], JSON.stringify(stuck));
            assert.ok(created.ok, created.out);
            const held = world().scripts.runScript("restore", [
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
            assert.equal(world().rbd.readMarker(image), "after-upgrade");
            assert.ok(
                world().kube.kubectl([
                    "-n",
                    combo.namespace,
                    "delete",
                    "pod",
                    "jenkins-stuck",
                    "--wait=true",
                ]).ok,
            );

            const done = world().scripts.runScript("restore", [
                "--stack",
                s.name,
                "--snapshot",
                taken,
                "--yes",
            ]);
            assert.equal(done.code, 0, done.out);
            assert.equal(world().rbd.readMarker(image), "before-upgrade");
            assert.match(done.out, /snapshot (jenkins-ceph-\d{8}T\d{6}Z-pre-restore) taken/);
            assert.equal(
                world().kube.get("deployment", combo.namespace, "jenkins").spec.replicas,
                1,
            );

            // The restore's own safety snapshot undoes it.
            const safety = /snapshot (jenkins-ceph-\d{8}T\d{6}Z-pre-restore) taken/.exec(
                done.out,
            )![1];
            const undo = world().scripts.runScript("restore", [
                "--stack",
                s.name,
                "--snapshot",
                safety,
                "--yes",
            ]);
            assert.equal(undo.code, 0, undo.out);
            assert.equal(world().rbd.readMarker(image), "after-upgrade");
            world().assertNoKeysInBackend();
            await s.destroy();
            await world().remove(s);
        });

        // Stacks deployed by the last landed release keep every object when this program
        // takes them over: renamed resources come with aliases, and nothing is replaced.
        const LANDED = "a89766351bee49366c0f8fb3888172691e0e6fb0";
        for (const combo of upgradeCombos()) {
            it(`upgrade ${combo.mode} + ${combo.provisioner}: a stack made by ${LANDED.slice(0, 7)} takes this program with nothing replaced`, async function () {
                const legacy = await world().legacyWorkspace(LANDED);
                if (typeof legacy === "string") {
                    console.log(`    SKIP: ${legacy}`);
                    this.skip();
                }
                const old = await world().stack(combo, legacy, `e2e-${combo.short}`);
                world().editConfig(old, { volume: { protect: false } });
                await old.up();
                const pvc = world().kube.get("pvc", combo.namespace, combo.claimName);
                const pv = world().kube.get("pv", undefined, pvc.spec.volumeName);
                const deployment = world().kube.get("deployment", combo.namespace, "jenkins");

                const s = await world().adopt(old);
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
                world().editConfig(s, {
                    ceph: { secretNamespace: combo.namespace },
                    jenkins: {
                        nodeAffinity: { "cicd-services": "enabled" },
                        timezone: "Asia/Seoul",
                    },
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
                const after = world().kube.get("deployment", combo.namespace, "jenkins");
                // (An annotation bumps the generation, since the controller copies annotations
                // to the ReplicaSet; the template, and so the running pod, stays.)
                assert.deepEqual(after.spec.template, deployment.spec.template, "no rollout");
                assert.match(after.metadata.annotations["jenkins-ceph/snapshot"], /-initial$/);
                assert.equal(
                    world().kube.get("pvc", combo.namespace, combo.claimName).metadata.uid,
                    pvc.metadata.uid,
                );
                assert.equal(
                    world().kube.get("pv", undefined, pv.metadata.name).metadata.uid,
                    pv.metadata.uid,
                );
                const again: EngineEvent[] = [];
                await s.up({ onEvent: (e) => again.push(e) });
                assert.equal(changes(again).size, 0, describeChanges(changes(again)));
                await s.destroy();
                await world().remove(s);
            });
        }
    },
    { standardCephPorts: true },
);
