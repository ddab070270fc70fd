// The whole program under the mock runtime: what each mode and provisioner registers.
import { strict as assert } from "assert";
import * as path from "path";
import { ProgramRun, runProgram } from "../cli/mockRuntime";
import {
    baseStack,
    COMBINATIONS,
    FAKE_ADMIN_KEY,
    FAKE_HOST_KEY_LINE,
    FAKE_USER_KEY,
    toRunOptions,
} from "./fixtures";
import { Any, byKind, commandSteps, k8s, merge, one, run, runOk } from "./helpers";

describe("program: dynamic mode, csi provisioner", () => {
    let r: ProgramRun;
    before(async () => {
        r = await runOk(baseStack("dynamic", "csi"));
    });

    it("creates the csi Secret with userID/userKey in their own namespace, which Jenkins cannot read", () => {
        const s = one(r, "Secret").inputs as Any;
        assert.equal(s.metadata.name, "ceph-secret-user");
        assert.equal(s.metadata.namespace, "ci-infra-ceph");
        assert.equal(s.type, "Opaque");
        assert.deepEqual(s.stringData, { userID: "kube", userKey: FAKE_USER_KEY });
    });

    it("keeps the key a Pulumi secret", () => {
        const s = one(r, "Secret");
        assert.ok(
            s.secretPaths.some((p) => p === "stringData" || p === "stringData.userKey"),
            `secret paths: ${s.secretPaths.join(",")}`,
        );
    });

    it("creates a StorageClass with every ceph-csi parameter", () => {
        const sc = one(r, "StorageClass").inputs as Any;
        assert.equal(sc.metadata.name, "ceph");
        assert.equal(sc.provisioner, "rbd.csi.ceph.com");
        assert.equal(sc.reclaimPolicy, "Retain");
        assert.equal(sc.allowVolumeExpansion, true);
        assert.deepEqual(sc.parameters, {
            clusterID: "b9127830-b0cc-4e34-aa47-9d1a2e9949a8",
            pool: "kubes",
            imageFeatures: "layering",
            "csi.storage.k8s.io/fstype": "ext4",
            "csi.storage.k8s.io/provisioner-secret-name": "ceph-secret-user",
            "csi.storage.k8s.io/provisioner-secret-namespace": "ci-infra-ceph",
            "csi.storage.k8s.io/controller-expand-secret-name": "ceph-secret-user",
            "csi.storage.k8s.io/controller-expand-secret-namespace": "ci-infra-ceph",
            "csi.storage.k8s.io/node-stage-secret-name": "ceph-secret-user",
            "csi.storage.k8s.io/node-stage-secret-namespace": "ci-infra-ceph",
        });
    });

    it("claims 100Gi ReadWriteOnce on that class", () => {
        const pvc = one(r, "PersistentVolumeClaim").inputs as Any;
        assert.equal(pvc.metadata.name, "jenkins");
        assert.equal(pvc.metadata.namespace, "ci-infra");
        assert.equal(pvc.spec.storageClassName, "ceph");
        assert.deepEqual(pvc.spec.accessModes, ["ReadWriteOnce"]);
        assert.equal(pvc.spec.resources.requests.storage, "100Gi");
        assert.equal(pvc.spec.volumeName, undefined);
        assert.equal(byKind(r, "PersistentVolume").length, 0);
    });

    it("registers no rbd image step in dynamic mode: the note a destroy prints, and the snapshot step", () => {
        const commands = commandSteps(r);
        assert.deepEqual(
            commands.map((x) => x.name),
            ["jenkins-home-kept", "jenkins-home-snapshot"],
        );
        assert.equal((commands[1].inputs as Any).create, "sh -s snapshot");
        const note = commands[0].inputs as Any;
        assert.equal(note.create, undefined);
        assert.equal(note.stdin, undefined);
        assert.match(note.delete, /kept with Jenkins' data/);
        assert.deepEqual(note.environment, {
            KEPT_PV: "pvc-jenkins-home-pvc",
            KEPT_POOL: "", // from the PV, which the mocks do not read
            KEPT_IMAGE: "",
        });
    });

    it("says nothing about kept volumes when the class deletes them (reclaimPolicy Delete)", async () => {
        const del = await runOk(
            merge(baseStack("dynamic", "csi"), "volume", { reclaimPolicy: "Delete" }),
        );
        assert.deepEqual(
            commandSteps(del).map((x) => x.name),
            ["jenkins-home-snapshot"],
        );
    });

    it("keeps every namespace it makes on delete, with a note that says so", async () => {
        const agents = await runOk(
            merge(baseStack("dynamic", "csi"), "jenkins", {
                agents: { enabled: true, namespace: "ci-agents" },
            }),
        );
        const namespaces = byKind(agents, "Namespace");
        assert.deepEqual(namespaces.map((x) => (x.inputs as Any).metadata.name).sort(), [
            "ci-agents",
            "ci-infra",
            "ci-infra-ceph",
        ]);
        for (const ns of namespaces) {
            assert.equal(ns.options.retainOnDelete, true, ns.name);
            const note = agents.resources.find((x) => x.name === `${ns.name}-kept`);
            assert.ok(note, `${ns.name}: no note`);
            assert.match(
                String((note.inputs as Any).delete),
                /kept namespace \$KEPT_NAMESPACE: a stack never deletes a namespace/,
            );
            assert.equal(
                (note.inputs as Any).environment.KEPT_NAMESPACE,
                (ns.inputs as Any).metadata.name,
            );
        }
    });

    it("makes the claim wait for the credentials and class, and the Deployment for the claim", () => {
        const pvc = one(r, "PersistentVolumeClaim");
        // The CephStorage component: every Secret and the class in it.
        assert.deepEqual(pvc.options.dependsOn, ["ceph"]);
        const parentOf = (type: string) => r.resources.find((x) => x.type === type)?.options.parent;
        assert.equal(parentOf("kubernetes:core/v1:Secret"), "ceph");
        assert.equal(parentOf("kubernetes:storage.k8s.io/v1:StorageClass"), "ceph");
        assert.deepEqual(one(r, "Deployment").options.dependsOn, ["jenkins-home"]);
    });

    it("protects nothing in the dev stack but everything holding data elsewhere", async () => {
        assert.equal(
            one(r, "PersistentVolumeClaim").options.protect,
            true,
            "stack 'test' is not dev",
        );
        const dev = await runOk({ ...baseStack("dynamic", "csi"), stack: "dev" });
        assert.equal(one(dev, "PersistentVolumeClaim").options.protect, false);
        const forced = await runOk({
            ...merge(baseStack("dynamic", "csi"), "volume", { protect: true }),
            stack: "dev",
        });
        assert.equal(one(forced, "PersistentVolumeClaim").options.protect, true);
    });

    it("exports only what the stack has: no undefined outputs for the engine to warn about", async () => {
        const dynamic = await runOk(baseStack("dynamic", "csi"));
        assert.deepEqual(Object.keys(dynamic.outputs).sort(), [
            "cephSecretNamespace",
            "home",
            "initialAdminPasswordCommand",
            "mode",
            "namespace",
            "pvcName",
            "rbdImage",
            "serviceName",
            "snapshots",
            "storageClassName",
            "url",
            "volumeSize",
        ]);
        const fixed = await runOk(baseStack("static", "in-tree"));
        assert.deepEqual(Object.keys(fixed.outputs).sort(), [
            "cephSecretNamespace",
            "home",
            "initialAdminPasswordCommand",
            "mode",
            "namespace",
            "pvName",
            "pvcName",
            "rbdImage",
            "serviceName",
            "snapshots",
            "url",
            "volumeSize",
        ]);
        assert.equal(fixed.outputs.rbdImage, "kubes/jenkins");
    });

    it("exports namespace, claim, class, service and URL", () => {
        assert.equal(r.outputs.namespace, "ci-infra");
        assert.equal(r.outputs.pvcName, "jenkins");
        assert.equal(r.outputs.storageClassName, "ceph");
        assert.equal(r.outputs.serviceName, "jenkins");
        assert.equal(r.outputs.url, "http://jenkins.ci-infra.svc.cluster.local:8080");
        assert.match(
            String(r.outputs.initialAdminPasswordCommand),
            /^kubectl -n ci-infra exec deploy\/jenkins -c jenkins -- cat \/var\/jenkins_home\/secrets\/initialAdminPassword$/,
        );
    });

    it("gives every Kubernetes object an explicit name; deleteBeforeReplace for all but the volume", () => {
        for (const x of k8s(r)) {
            assert.ok((x.inputs.metadata as Any)?.name, `${x.type} ${x.name} has no metadata.name`);
            // The claim and PV are created before the old ones go: the old claim must
            // outlive the pod that mounts it (components/jenkinsVolume.ts).
            const volume = ["PersistentVolume", "PersistentVolumeClaim"].includes(
                String(x.inputs.kind),
            );
            assert.equal(
                x.options.deleteBeforeReplace,
                volume ? undefined : true,
                `${x.type} ${x.name}`,
            );
        }
    });

    it("follows the csiDriver and storageClassName settings (Rook)", async () => {
        const rook = await runOk(
            merge(baseStack("dynamic", "csi"), "ceph", {
                csiDriver: "rook-ceph.rbd.csi.ceph.com",
                storageClassName: "ceph-rbd",
                clusterId: "rook-ceph",
                fsType: "xfs",
            }),
        );
        const sc = one(rook, "StorageClass").inputs as Any;
        assert.equal(sc.provisioner, "rook-ceph.rbd.csi.ceph.com");
        assert.equal(sc.metadata.name, "ceph-rbd");
        assert.equal(sc.parameters.clusterID, "rook-ceph");
        assert.equal(sc.parameters["csi.storage.k8s.io/fstype"], "xfs");
        assert.equal(
            (one(rook, "PersistentVolumeClaim").inputs as Any).spec.storageClassName,
            "ceph-rbd",
        );
    });
});

describe("program: dynamic mode, in-tree provisioner", () => {
    let r: ProgramRun;
    before(async () => {
        r = await runOk(baseStack("dynamic", "in-tree"));
    });

    it("creates user and admin Secrets of type kubernetes.io/rbd with key `key`", () => {
        const user = one(r, "Secret", "ceph-secret-user").inputs as Any;
        const admin = one(r, "Secret", "ceph-secret-admin").inputs as Any;
        for (const s of [user, admin]) {
            assert.equal(s.type, "kubernetes.io/rbd");
            assert.equal(s.metadata.namespace, "ci-infra-ceph");
        }
        assert.deepEqual(user.stringData, { key: FAKE_USER_KEY });
        assert.deepEqual(admin.stringData, { key: FAKE_ADMIN_KEY });
    });

    it("creates a kubernetes.io/rbd StorageClass with every in-tree parameter", () => {
        const sc = one(r, "StorageClass").inputs as Any;
        assert.equal(sc.provisioner, "kubernetes.io/rbd");
        assert.deepEqual(sc.parameters, {
            monitors: "192.168.30.23:6789,192.168.30.24:6789,192.168.30.25:6789",
            adminId: "admin",
            adminSecretName: "ceph-secret-admin",
            adminSecretNamespace: "ci-infra-ceph",
            pool: "kubes",
            userId: "kube",
            userSecretName: "ceph-secret-user",
            userSecretNamespace: "ci-infra-ceph",
            fsType: "ext4",
            imageFormat: "2",
            imageFeatures: "layering",
        });
        assert.equal(sc.allowVolumeExpansion, true);
        assert.equal(sc.reclaimPolicy, "Retain");
    });

    it("takes reclaimPolicy and adminId from settings", async () => {
        const d = await runOk(
            merge(
                merge(baseStack("dynamic", "in-tree"), "volume", { reclaimPolicy: "Delete" }),
                "ceph",
                {
                    adminId: "k8s-admin",
                },
            ),
        );
        const sc = one(d, "StorageClass").inputs as Any;
        assert.equal(sc.reclaimPolicy, "Delete");
        assert.equal(sc.parameters.adminId, "k8s-admin");
    });
});

describe("program: static mode", () => {
    it("csi: rbd image, then a csi PV pre-bound to the claim exactly as ceph-csi documents", async () => {
        const r = await runOk(baseStack("static", "csi"));
        const pv = one(r, "PersistentVolume").inputs as Any;
        assert.equal(pv.metadata.name, "jenkins");
        assert.deepEqual(pv.metadata.labels, { app: "jenkins" });
        assert.equal(pv.spec.persistentVolumeReclaimPolicy, "Retain");
        assert.equal(pv.spec.storageClassName, "");
        assert.equal(pv.spec.volumeMode, "Filesystem");
        assert.deepEqual(pv.spec.capacity, { storage: "100Gi" });
        assert.deepEqual(pv.spec.claimRef, { namespace: "ci-infra", name: "jenkins" });
        assert.deepEqual(pv.spec.csi, {
            driver: "rbd.csi.ceph.com",
            fsType: "ext4",
            volumeHandle: "jenkins",
            nodeStageSecretRef: { name: "ceph-secret-user", namespace: "ci-infra-ceph" },
            volumeAttributes: {
                clusterID: "b9127830-b0cc-4e34-aa47-9d1a2e9949a8",
                pool: "kubes",
                staticVolume: "true",
                imageFeatures: "layering",
            },
        });
        assert.equal(pv.spec.rbd, undefined);
        const pvc = one(r, "PersistentVolumeClaim").inputs as Any;
        assert.equal(pvc.spec.volumeName, "jenkins");
        assert.equal(pvc.spec.storageClassName, "");
        assert.equal(byKind(r, "StorageClass").length, 0, "static volumes need no StorageClass");
    });

    it("in-tree: PV with the rbd source the 2018 PV had, class from settings", async () => {
        const r = await runOk(baseStack("static", "in-tree"));
        const pv = one(r, "PersistentVolume").inputs as Any;
        assert.deepEqual(pv.spec.rbd, {
            monitors: ["192.168.30.23:6789", "192.168.30.24:6789", "192.168.30.25:6789"],
            pool: "kubes",
            image: "jenkins",
            user: "kube",
            secretRef: { name: "ceph-secret-user", namespace: "ci-infra-ceph" },
            fsType: "ext4",
        });
        assert.equal(pv.spec.csi, undefined);
        assert.equal(pv.spec.storageClassName, "ceph");
        assert.equal((one(r, "PersistentVolumeClaim").inputs as Any).spec.storageClassName, "ceph");
        assert.equal(byKind(r, "Secret").length, 1, "no admin secret needed for a static volume");
    });

    it("orders image -> PV -> PVC -> Deployment and protects all three outside dev", async () => {
        const r = await runOk(baseStack("static", "csi"));
        const pv = one(r, "PersistentVolume");
        const pvc = one(r, "PersistentVolumeClaim");
        assert.ok(pv.options.dependsOn.includes("jenkins-home-image"));
        assert.deepEqual(pvc.options.dependsOn, ["jenkins-home-pv"]);
        assert.deepEqual(one(r, "Deployment").options.dependsOn, ["jenkins-home"]);
        const image = r.resources.find((x) => x.type === "jenkins-ceph:index:RbdImage");
        for (const x of [pv, pvc, image]) assert.equal(x?.options.protect, true, x?.name);
        assert.deepEqual(pvc.options.ignoreChanges, ["spec.resources.requests.storage"]);
    });

    it("runs rbd locally by default and over SSH with a secret key when rbdHost is set", async () => {
        const local = await runOk(baseStack("static", "csi"));
        const cmd = local.resources.find((x) => x.type === "command:local:Command");
        assert.ok(cmd, "local command");
        assert.deepEqual(cmd.inputs.interpreter, ["/bin/sh", "-c"]);
        assert.deepEqual(cmd.inputs.triggers, ["kubes", "jenkins"]);
        assert.ok(cmd.options.replaceOnChanges?.includes("triggers"));
        // One short line each: the provider quotes the command in every error it reports.
        assert.deepEqual(
            [cmd.inputs.create, cmd.inputs.update, cmd.inputs.delete],
            ["sh -s ensure", "sh -s ensure", "sh -s keep"],
        );
        assert.ok(String(cmd.inputs.stdin).includes(`\n${FAKE_USER_KEY}\n`));
        assert.ok(String(cmd.inputs.stdin).includes("RBD_POOL='kubes'"));
        assert.ok(cmd.secretPaths.includes("stdin"));

        const input = baseStack("static", "csi");
        input.values.rbdHost = {
            host: "ceph-admin.example.com",
            user: "ceph",
            hostKey: FAKE_HOST_KEY_LINE,
        };
        input.secrets = {
            ...input.secrets,
            rbdHostKey:
                "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----",
        };
        const remote = await runOk(input);
        const rc = remote.resources.find((x) => x.type === "command:remote:Command");
        assert.ok(rc, "remote command");
        const conn = rc.inputs.connection as Any;
        assert.equal(conn.host, "ceph-admin.example.com");
        assert.equal(conn.port, 22);
        assert.equal(conn.user, "ceph");
        // Pinned: the keyscan line's key, as the provider's FixedHostKey parses it.
        assert.equal(conn.hostKey, FAKE_HOST_KEY_LINE.split(" ").slice(1).join(" "));
        assert.ok(rc.secretPaths.some((p) => p === "connection" || p === "connection.privateKey"));
        assert.equal(rc.inputs.create, cmd.inputs.create, "one script serves both");

        // Opting out of the pin is possible, and said on every run.
        input.values.rbdHost = {
            host: "ceph-admin.example.com",
            user: "ceph",
            insecureIgnoreHostKey: true,
        };
        const insecure = await runOk(input);
        const ic = insecure.resources.find((x) => x.type === "command:remote:Command");
        assert.equal((ic?.inputs.connection as Any).hostKey, undefined);
        assert.ok(insecure.logs.some((l) => /warn: rbdHost.insecureIgnoreHostKey is true/.test(l)));
    });

    it("converts sizes exactly and passes them to rbd in MiB", async () => {
        const r = await runOk(merge(baseStack("static", "csi"), "volume", { size: "1.5Ti" }));
        const cmd = r.resources.find((x) => x.type === "command:local:Command");
        assert.match(String(cmd?.inputs.stdin), /^RBD_SIZE_MIB=1572864$/m);
        assert.equal((one(r, "PersistentVolume").inputs as Any).spec.capacity.storage, "1.5Ti");
    });

    it("deletes the image only through the removal hook, attached when deleteImageOnDestroy is set", async () => {
        const keep = await runOk(baseStack("static", "csi"));
        const del = await runOk(
            merge(baseStack("static", "csi"), "volume", { deleteImageOnDestroy: true }),
        );
        const cmd = (x: ProgramRun, name: string) =>
            x.resources.find((y) => y.type === "command:local:Command" && y.name === name);
        assert.equal(cmd(keep, "jenkins-home-image")?.options.beforeDelete, undefined);
        assert.deepEqual(cmd(del, "jenkins-home-image")?.options.beforeDelete, [
            "jenkins-home-image-remove",
        ]);
        for (const run of [keep, del]) {
            for (const name of ["jenkins-home-image", "jenkins-home-snapshot"]) {
                const c = cmd(run, name);
                assert.ok(c, name);
                // Every step that holds or guards data carries the stack's protect.
                assert.equal(c.options.protect, true, `${name} protect`);
                // The stored delete step never deletes, whatever the settings of its day.
                const step = String(c.inputs.delete).replace("sh -s ", "");
                const program = String(c.inputs.stdin);
                const fn = {
                    keep: "rbd_keep() {",
                    "keep-snapshots": "rbd_keep_snaps() {",
                }[step];
                assert.ok(fn, `unexpected delete step ${step}`);
                const body = program.slice(program.indexOf(fn)).split("\n}\n")[0];
                assert.doesNotMatch(body, /rbdc (rm|snap rm|snap purge)|purge_snaps/, name);
            }
        }
        assert.match(String(cmd(del, "jenkins-home-image")?.inputs.stdin), /^RBD_DELETE=true$/m);
    });

    it("dynamic mode with reclaimPolicy Delete purges the snapshots on destroy through the hook, Retain never", async () => {
        const del = await runOk(
            merge(baseStack("dynamic", "csi"), "volume", { reclaimPolicy: "Delete" }),
        );
        const ret = await runOk(baseStack("dynamic", "csi"));
        const snap = (x: ProgramRun) =>
            x.resources.find(
                (y) => y.type === "command:local:Command" && y.name === "jenkins-home-snapshot",
            );
        assert.deepEqual(snap(del)?.options.beforeDelete, ["jenkins-home-snapshot-purge"]);
        assert.equal(snap(ret)?.options.beforeDelete, undefined);
        assert.equal(snap(del)?.options.protect, true);
    });

    it("mode switch keeps data: the dynamic class retains, the static PV retains, the image is kept", async () => {
        // dynamic -> static replaces the claim; its PV is Retain, so the old image stays.
        const dyn = await runOk(baseStack("dynamic", "csi"));
        assert.equal((one(dyn, "StorageClass").inputs as Any).reclaimPolicy, "Retain");
        // static -> dynamic drops the PV object (Retain: Kubernetes never deletes the image)
        // and the RbdImage, whose delete leaves the image in place.
        const st = await runOk(baseStack("static", "csi"));
        assert.equal(
            (one(st, "PersistentVolume").inputs as Any).spec.persistentVolumeReclaimPolicy,
            "Retain",
        );
        const cmd = st.resources.find((x) => x.type === "command:local:Command");
        assert.equal(cmd?.inputs.delete, "sh -s keep");
        // Both modes name the claim resource the same, so a switch (refused by the home
        // check unless volume.startEmpty) is one replacement, never two claims.
        assert.equal(one(dyn, "PersistentVolumeClaim").name, one(st, "PersistentVolumeClaim").name);
    });
});

describe("program: preview (outputs unknown)", () => {
    for (const [mode, prov] of COMBINATIONS) {
        it(`${mode} x ${prov} registers the same resources in preview as in up`, async () => {
            const up = await run(baseStack(mode, prov));
            const preview = await run(baseStack(mode, prov), true);
            assert.equal(preview.error, undefined, preview.error?.message);
            const names = (r: ProgramRun) => r.resources.map((x) => `${x.type}::${x.name}`).sort();
            assert.deepEqual(names(preview), names(up));
        });
    }
});

describe("program: composition", () => {
    for (const [mode, prov] of COMBINATIONS) {
        it(`${mode} x ${prov}: two stacks in one program never share a resource name`, async () => {
            const r = await runProgram({
                ...toRunOptions(baseStack(mode, prov)),
                program: path.join(__dirname, "programs", "twoStacks.ts"),
            });
            assert.ifError(r.error);
            const names = r.resources.map((x) => `${x.type}::${x.name}`);
            const dupes = names.filter((n, i) => names.indexOf(n) !== i);
            assert.deepEqual(dupes, []);
            assert.ok(names.length > 20, `${names.length} resources`);
        });
    }
});
