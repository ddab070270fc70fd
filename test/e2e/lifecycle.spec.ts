// `npm run test:e2e`, the lifecycle of each mode x provisioner on the real Pulumi engine
// (CLI, nodejs language host, Kubernetes and command providers) through the automation
// API: preview, up, grow, a refused shrink, an image change, a key rotation, destroy.
// Every step is checked against the real objects: the Kubernetes API through kubectl, Ceph through rbd.
//
// Where: a world of its own (test/e2e/engine.ts), by default on 127.0.0.1: Ceph (mon +
// memstore OSD), etcd + kube-apiserver + controller-manager + scheduler built from Go
// modules, kwok for a node whose pods become Ready, and a throwaway sshd so one stack
// runs rbd through remote.Command. With JENKINS_CEPH_E2E_CONFIG set, a real cluster
// instead (docs/testing.md, "End-to-end tests on your cluster"). The e2e specs run in
// parallel, each in its own world, longest first (package.json's test:e2e lists them so
// that two workers finish close together). REQUIRE_E2E=1 turns every skip into a failure.
import { plannedCombos } from "./combos";
import { strict as assert } from "assert";
import { EngineEvent, OpType, Stack } from "@pulumi/pulumi/automation";
import { describeWorld, stopAfterFirstFailure } from "./engine";
import { changes, describeChanges, REPLACING } from "./events";

describeWorld("e2e: each mode and provisioner, on the real engine", (world) => {
    // Registered at load time: the combinations a world offers are known from the
    // environment alone (local fixture: all four; a user's cluster: its stack file).
    for (const combo of plannedCombos()) {
        const label = `${combo.mode} + ${combo.provisioner}${combo.remote ? " (rbd over SSH)" : ""}`;
        if (!combo.canRun) {
            describe(label, () => {
                it(`preview only: ${combo.whyPreviewOnly}`, async () => {
                    const s = await world().stack(combo);
                    const events: EngineEvent[] = [];
                    const p = await s.preview({ onEvent: (e) => events.push(e) });
                    const ops = changes(events);
                    assert.ok(ops.size >= 6, describeChanges(ops));
                    for (const [k, op] of ops) assert.equal(op, "create", k);
                    assert.ok((p.changeSummary.create ?? 0) >= 6);
                    await world().remove(s);
                });
            });
            continue;
        }
        describe(label, function () {
            let s: Stack;
            let first: { pvcUid: string; pvName: string; pvUid: string; image: string };

            before(async () => {
                s = await world().stack(combo);
            });

            stopAfterFirstFailure();

            async function up(): Promise<{ ops: Map<string, OpType>; output: string }> {
                const events: EngineEvent[] = [];
                let output = "";
                await s.up({ onEvent: (e) => events.push(e), onOutput: (o) => (output += o) });
                return { ops: changes(events), output };
            }

            async function failingUp(events: EngineEvent[] = []): Promise<string> {
                let output = "";
                const err = await s
                    .up({ onOutput: (o) => (output += o), onEvent: (e) => events.push(e) })
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
                const pvc = world().kube.get("pvc", combo.namespace, combo.claimName);
                assert.equal(pvc.status.phase, "Bound");
                const dep = world().kube.get("deployment", combo.namespace, "jenkins");
                assert.equal(dep.status.availableReplicas, 1, JSON.stringify(dep.status));
                const pv = world().kube.get("pv", undefined, pvc.spec.volumeName);
                const image = world().kube.imageOf(pv);
                assert.equal(world().rbd.imageSize(image), 1024 ** 3, `image ${image}`);
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
                world().editConfig(s, { volume: { size: "2Gi" } });
                const { ops } = await up();
                for (const [k, op] of ops) assert.ok(!REPLACING.includes(op), `${op} ${k}`);
                if (combo.mode === "static") {
                    // The claim is untouched; the PV's capacity and the image grow.
                    assert.ok(
                        ![...ops.keys()].some((k) => k.includes("PersistentVolumeClaim")),
                        describeChanges(ops),
                    );
                    const pv = world().kube.get("pv", undefined, first.pvName);
                    assert.equal(pv.spec.capacity.storage, "2Gi");
                }
                await world().kube.waitFor(
                    `image ${first.image} at 2Gi`,
                    () => world().rbd.imageSize(first.image) === 2 * 1024 ** 3,
                );
                const pvc = world().kube.get("pvc", combo.namespace, combo.claimName);
                assert.equal(pvc.metadata.uid, first.pvcUid, "the claim was not recreated");
            });

            it("a shrink is refused with one clear sentence and the stack stays consistent", async () => {
                world().editConfig(s, { volume: { size: "1Gi" } });
                // Refused against the last up's volumeSize before anything is registered,
                // by a preview and by up alike (the automation API's up skips the preview).
                const sentence =
                    /jenkins-ceph:volume\.size: is 1Gi, below the 2Gi the last pulumi up gave Jenkins' home \((rbd image|claim) [^)]+\): neither an rbd image nor a claim can shrink/;
                const previewed = await s
                    .preview()
                    .then(() => undefined)
                    .catch((e: Error) => e);
                assert.ok(previewed, "the preview must refuse the shrink");
                assert.match(previewed.message, sentence);
                const events: EngineEvent[] = [];
                const text = await failingUp(events);
                assert.match(text, sentence);
                assert.equal(changes(events).size, 0, describeChanges(changes(events)));
                // None of the rbd program's text reaches the user.
                assert.doesNotMatch(text, /RBD_SIZE_MIB|rbd_ensure|rbdc |RBD_KEY_END/);
                const line = text.split("\n").find((l) => sentence.test(l)) ?? "";
                assert.ok(line.length < 400, `a long line: ${line}`);
                console.log(`      the user reads: ${line.trim()}`);
                assert.equal(world().rbd.imageSize(first.image), 2 * 1024 ** 3, "nothing shrank");
                world().editConfig(s, { volume: { size: "2Gi" } });
                const { ops } = await up();
                for (const [k, op] of ops) assert.ok(!REPLACING.includes(op), `${op} ${k}`);
                const again = await up();
                assert.equal(again.ops.size, 0, `not converged: ${describeChanges(again.ops)}`);
            });

            it("a new Jenkins image tag snapshots the home, then updates only the Deployment", async () => {
                world().editConfig(s, {
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
                const dep = world().kube.get("deployment", combo.namespace, "jenkins");
                assert.equal(
                    dep.spec.template.spec.containers[0].image,
                    "jenkins/jenkins:2.568.2-jdk17",
                );
                assert.equal(dep.status.availableReplicas, 1);
            });

            it("rotating cephUserKey on a protected stack updates the Secret in place", async function () {
                const rotated = world().rotateUserKey(s);
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
                const secret = world().kube.get(
                    "secret",
                    `${combo.namespace}-ceph`,
                    "ceph-secret-user",
                );
                const field = combo.provisioner === "csi" ? "userKey" : "key";
                assert.equal(Buffer.from(secret.data[field], "base64").toString(), rotated);
                const pvc = world().kube.get("pvc", combo.namespace, combo.claimName);
                const pv = world().kube.get("pv", undefined, first.pvName);
                assert.equal(pvc.metadata.uid, first.pvcUid);
                assert.equal(pv.metadata.uid, first.pvUid);
            });

            it("state and backend never hold a Ceph or SSH key in plaintext", () => {
                const exported = world().exportStack(s);
                assert.match(exported, /"secure"|ciphertext/, "the export holds encrypted values");
                world().assertNoKeys(exported, "pulumi stack export");
                world().assertNoKeysInBackend();
            });

            it("destroy stops at protect: true and removes nothing", async () => {
                const err = await s
                    .destroy()
                    .then(() => undefined)
                    .catch((e: Error) => e);
                assert.ok(err, "destroy of a protected stack must fail");
                assert.match(err.message, /protect/);
                assert.equal(
                    world().kube.get("pvc", combo.namespace, combo.claimName).metadata.uid,
                    first.pvcUid,
                );
            });

            it(`with protect false, destroy removes the Kubernetes objects and ${combo.deleteImageOnDestroy ? "deletes" : "keeps"} the image`, async () => {
                world().editConfig(s, {
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
                assert.ok(world().kube.exists("namespace", undefined, combo.namespace));
                assert.match(
                    output,
                    new RegExp(
                        `kept namespace ${combo.namespace}: a stack never deletes a namespace`,
                    ),
                );
                for (const kind of ["deployment", "pvc", "service", "secret", "configmap"]) {
                    const left = world()
                        .kube.list(kind, combo.namespace)
                        .filter((x) => x.metadata.name !== "kube-root-ca.crt");
                    assert.deepEqual(
                        left.map((x) => `${kind}/${x.metadata.name}`),
                        [],
                    );
                }
                if (combo.mode === "static") {
                    assert.equal(world().kube.exists("pv", undefined, first.pvName), false);
                } else {
                    // Retain: Kubernetes keeps the PV (Released) and the image; say so.
                    const pv = world().kube.get("pv", undefined, first.pvName);
                    assert.equal(pv.status.phase, "Released");
                    assert.match(output, new RegExp(`kept.*${first.pvName}`));
                    assert.match(output, new RegExp(first.image));
                }
                if (combo.deleteImageOnDestroy) {
                    assert.equal(
                        world().rbd.imageSize(first.image),
                        undefined,
                        "the image was deleted",
                    );
                    assert.match(
                        output,
                        /removed \(jenkins-ceph:volume\.deleteImageOnDestroy is true\)/,
                    );
                } else {
                    assert.equal(
                        world().rbd.imageSize(first.image),
                        2 * 1024 ** 3,
                        "the image is kept",
                    );
                    if (combo.mode === "static")
                        assert.match(output, /left in place with its data/);
                }
                world().assertNoKeysInBackend();
                await world().remove(s);
            });
        });
    }
});
