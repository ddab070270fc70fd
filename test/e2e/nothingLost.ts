// Nothing lost (issue #21) on the real engine against the real Ceph: a settings change
// never deletes an rbd image or a snapshot that the current settings do not ask to
// delete, and a change that would start Jenkins on a new empty volume is refused at
// preview. Every case checks rbd and the API afterwards, and what the user was told.
import { localCombo } from "./combos";
import { strict as assert } from "assert";
import { Stack } from "@pulumi/pulumi/automation";
import { E2eWorld, stopAfterFirstFailure } from "./engine";

/** The outcome of a run that must fail: its output and error, as the user reads them. */
async function failing(run: Promise<unknown>, output: () => string): Promise<string> {
    const err = await run.then(() => undefined).catch((e: Error) => e);
    assert.ok(err, "the run must fail");
    return `${output()}\n${err.message}`;
}

export function nothingLostSuite(getWorld: () => E2eWorld | undefined): void {
    const staticCombo = localCombo("static", "csi", "nl-st");
    const dynamicCombo = localCombo("dynamic", "in-tree", "nl-dy");
    const sshCombo = localCombo("static", "in-tree", "nl-ssh", { remote: true });
    const first = localCombo("static", "csi", "nl-a");
    const second = localCombo("static", "csi", "nl-b");
    if (!staticCombo || !dynamicCombo || !sshCombo || !first || !second) return;

    describe("nothing lost: settings changes keep rbd data (real engine, real Ceph)", function () {
        let world: E2eWorld;
        before(() => {
            world = getWorld()!;
        });

        describe("static, volume.deleteImageOnDestroy: true", function () {
            const c = staticCombo;
            const oldImage = c.image;
            const newImage = `${c.image}-b`;
            let s: Stack;
            let out = "";
            const up = () => s.up({ onOutput: (o) => (out += o) });
            const snapsOf = (image: string) => world.rbd.snapshots(image);
            stopAfterFirstFailure();

            before(async () => {
                s = await world.stack(c);
                world.editConfig(s, { volume: { protect: false, deleteImageOnDestroy: true } });
                await up();
                assert.equal(snapsOf(oldImage).length, 1, "the initial snapshot");
            });

            it("hostile user snapshot names go through retention untouched, and no step breaks", async () => {
                const hostile = ["jenkins-ceph-0 keepme", "keepme", "*", "-rf", `it's "q"`];
                for (const n of hostile) world.rbd.createSnapshot(oldImage, n);
                world.editConfig(s, {
                    volume: { snapshots: { keep: 1 } },
                    jenkins: { image: "jenkins/jenkins:2.568.2-jdk17" },
                });
                out = "";
                await up();
                const all = snapsOf(oldImage);
                for (const n of hostile) assert.ok(all.includes(n), `kept the user's ${n}`);
                const own = all.filter((n) => /^jenkins-ceph-\d{8}T\d{6}Z-[a-z-]+$/.test(n));
                assert.equal(own.length, 1, own.join());
                for (const n of hostile) world.rbd.removeSnapshot(oldImage, n);
            });

            it("a change that would start Jenkins empty is refused at preview with the setting named; nothing changes", async () => {
                const pv = world.kube.get("pv", undefined, `pv-${c.short}`);
                for (const [patch, key, reason] of [
                    [{ mode: "dynamic" }, "mode", /changes from "static" to "dynamic"/],
                    [{ image: newImage }, "volume.image", /cannot change its rbd source in place/],
                ] as const) {
                    if ("mode" in patch) {
                        // The dynamic config can no longer say deleteImageOnDestroy.
                        world.setMode(s, patch.mode);
                        world.editConfig(s, {
                            volume: { deleteImageOnDestroy: undefined, image: undefined },
                        });
                    } else {
                        world.editConfig(s, { volume: patch });
                    }
                    out = "";
                    const text = await failing(
                        s.preview({ onOutput: (o) => (out += o) }),
                        () => out,
                    );
                    const line = text
                        .split("\n")
                        .find((l) => l.includes(`- jenkins-ceph:${key}: `));
                    assert.ok(line, `no line for ${key}:\n${text}`);
                    assert.match(line, reason);
                    assert.doesNotMatch(
                        text,
                        /is immutable/,
                        "the program's sentence, not the API server's",
                    );
                    if ("mode" in patch) world.setMode(s, "static");
                    world.editConfig(s, {
                        volume: { image: oldImage, deleteImageOnDestroy: true },
                    });
                }
                assert.equal(
                    world.kube.get("pv", undefined, `pv-${c.short}`).metadata.uid,
                    pv.metadata.uid,
                );
                assert.ok(world.rbd.imageSize(oldImage));
            });

            it("a new image under a new PV and claim: an image that does not exist is refused, one that exists is adopted, and the old image keeps its data and snapshots", async () => {
                const moved = { pvName: `pv-${c.short}-b`, claimName: "jenkins-b" };
                world.editConfig(s, { volume: { ...moved, image: `${c.image}-missing` } });
                out = "";
                // Ceph is asked at preview; rbd at up would refuse the same.
                const text = await failing(s.preview({ onOutput: (o) => (out += o) }), () => out);
                assert.match(
                    text,
                    /jenkins-ceph:volume\.image: "img-nl-st-missing" does not exist in pool kubes, and Jenkins' home was another image: refusing to start Jenkins on a new empty image/,
                );
                assert.equal(
                    world.rbd.imageSize(`${c.image}-missing`),
                    undefined,
                    "nothing was created",
                );
                assert.equal(world.kube.get("pvc", c.namespace, c.claimName).status.phase, "Bound");

                world.rbd.createImage(newImage, "1G");
                world.editConfig(s, { volume: { ...moved, image: newImage } });
                out = "";
                await up();
                assert.match(
                    out,
                    new RegExp(
                        `kept rbd image kubes/${oldImage} with its data: the current settings do not name it`,
                    ),
                );
                assert.ok(world.rbd.imageSize(oldImage), "the old image is kept");
                assert.equal(snapsOf(oldImage).length, 1, "with its snapshot");
                const pvc = world.kube.get("pvc", c.namespace, "jenkins-b");
                assert.equal(pvc.status.phase, "Bound");
                assert.equal(
                    world.kube.imageOf(world.kube.get("pv", undefined, pvc.spec.volumeName)),
                    newImage,
                );
            });

            it("snapshots turned off keep this program's snapshots, and say how to remove them", async () => {
                const before = snapsOf(newImage);
                assert.equal(before.length, 1);
                world.editConfig(s, { volume: { snapshots: { enabled: false } } });
                out = "";
                await up();
                assert.deepEqual(snapsOf(newImage), before);
                assert.match(
                    out,
                    /kept 1 snapshot\(s\) of this program with the image; remove one by hand with: rbd snap rm/,
                );
            });

            it("destroy needs --run-program, then deletes only the image the current settings name", async () => {
                const plain = await failing(s.destroy(), () => "");
                assert.match(plain, /run-program/);
                assert.ok(world.rbd.imageSize(newImage), "a refused destroy deletes nothing");
                out = "";
                await s.destroy({ runProgram: true, onOutput: (o) => (out += o) });
                assert.match(out, /removed \(jenkins-ceph:volume\.deleteImageOnDestroy is true\)/);
                assert.equal(
                    world.rbd.imageSize(newImage),
                    undefined,
                    "the current image is deleted",
                );
                assert.ok(world.rbd.imageSize(oldImage), "the image of the past settings is kept");
                assert.equal(snapsOf(oldImage).length, 1);
                await world.remove(s);
            });
        });

        describe("dynamic, reclaimPolicy Delete", function () {
            const c = dynamicCombo;
            let s: Stack;
            let image = "";
            stopAfterFirstFailure();

            before(async () => {
                s = await world.stack(c);
                world.editConfig(s, { volume: { protect: false, reclaimPolicy: "Delete" } });
                await s.up();
                const pvc = world.kube.get("pvc", c.namespace, c.claimName);
                image = world.kube.imageOf(world.kube.get("pv", undefined, pvc.spec.volumeName));
            });

            it("a claimName rename is refused at preview and by up; the claim and its image stay", async () => {
                const uid = world.kube.get("pvc", c.namespace, c.claimName).metadata.uid;
                world.editConfig(s, { volume: { claimName: "jenkins-renamed" } });
                for (const run of [() => s.preview(), () => s.up()]) {
                    const text = await failing(run(), () => "");
                    assert.match(
                        text,
                        /jenkins-ceph:volume\.claimName: changes from "jenkins" to "jenkins-renamed": the claim would be replaced by a new, empty one/,
                    );
                }
                assert.equal(world.kube.get("pvc", c.namespace, c.claimName).metadata.uid, uid);
                assert.equal(world.kube.exists("pvc", c.namespace, "jenkins-renamed"), false);
                assert.ok(world.rbd.imageSize(image), "the provisioned image is still there");
                world.editConfig(s, { volume: { claimName: undefined } });
            });

            it("destroy --run-program purges this program's snapshots, so the provisioner can delete the image", async () => {
                assert.ok(world.rbd.snapshots(image).length >= 1);
                let out = "";
                await s.destroy({ runProgram: true, onOutput: (o) => (out += o) });
                assert.match(out, /removed snapshot jenkins-ceph-/);
                await world.kube.waitFor(
                    `the provisioner deletes ${image}`,
                    () => world.rbd.imageSize(image) === undefined,
                );
                await world.remove(s);
            });
        });

        describe("rbdHost: the host key is pinned", function () {
            stopAfterFirstFailure();

            it("a host that shows another key gets nothing; the real key works", async () => {
                const c = sshCombo;
                const s = await world.stack(c);
                const other =
                    "[127.0.0.1]:22 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFw5rBO73XLyTtnXg6/qKj3HVb7AvHue1K4d1x2Q3QMx";
                world.editConfig(s, { volume: { protect: false }, rbdHost: { hostKey: other } });
                let out = "";
                const text = await failing(s.up({ onOutput: (o) => (out += o) }), () => out);
                assert.match(text, /host key mismatch|knownhosts|key mismatch/i, text.slice(-2000));
                assert.equal(world.rbd.imageSize(c.image), undefined, "rbd never ran on that host");
                world.editConfig(s, { rbdHost: { hostKey: world.sshHostKeyLine() } });
                await s.up();
                assert.ok(world.rbd.imageSize(c.image), "the pinned host ran rbd");
                await s.destroy();
                await world.remove(s);
            });
        });

        describe("two stacks on one cluster, and what a stack keeps", function () {
            let a: Stack;
            stopAfterFirstFailure();

            before(async () => {
                a = await world.stack(first);
                world.editConfig(a, { volume: { protect: false } });
                await a.up();
            });

            it("a second stack that names the first one's PV, or shares its namespace, is refused; destroying it leaves the first's objects", async () => {
                const pv = world.kube.get("pv", undefined, `pv-${first.short}`);
                const pvc = world.kube.get("pvc", first.namespace, first.claimName);
                const b = await world.stack(second);
                world.editConfig(b, { volume: { protect: false, pvName: `pv-${first.short}` } });
                let out = "";
                const text = await failing(b.up({ onOutput: (o) => (out += o) }), () => out);
                assert.match(
                    text,
                    new RegExp(
                        `PersistentVolume pv-${first.short} already exists and belongs to stack organization/jenkins-ceph/e2e-${first.short}: this stack does not take over what it did not create`,
                    ),
                );
                world.editConfig(b, {
                    volume: { pvName: `pv-${second.short}` },
                    jenkins: { namespace: first.namespace },
                });
                out = "";
                const shared = await failing(b.preview({ onOutput: (o) => (out += o) }), () => out);
                assert.match(
                    shared,
                    new RegExp(
                        `Namespace ${first.namespace} already exists and belongs to stack organization/jenkins-ceph/e2e-${first.short}`,
                    ),
                );
                await b.destroy();
                await world.remove(b);
                assert.equal(
                    world.kube.get("pv", undefined, `pv-${first.short}`).metadata.uid,
                    pv.metadata.uid,
                );
                assert.equal(
                    world.kube.get("pvc", first.namespace, first.claimName).metadata.uid,
                    pvc.metadata.uid,
                );
                assert.equal(
                    world.kube.get("pvc", first.namespace, first.claimName).status.phase,
                    "Bound",
                );
                assert.ok(world.rbd.imageSize(first.image));
            });

            it("a value set with --secret --path is refused, and is nowhere in plaintext", async () => {
                const secret = "-Dtoken=e2e-s3cr3t-value";
                await a.setConfig("jenkins.javaOpts", { value: secret, secret: true }, true);
                let out = "";
                const text = await failing(a.preview({ onOutput: (o) => (out += o) }), () => out);
                assert.match(
                    text,
                    /jenkins-ceph:jenkins: holds a value set with --secret \(--path\)/,
                );
                assert.ok(!text.includes("s3cr3t"), "the message does not echo it");
                const exported = world.exportStack(a);
                assert.ok(!exported.includes("s3cr3t"), "the state does not hold it");
                await a.removeConfig("jenkins.javaOpts", true);
                await a.preview();
            });

            it("a namespace rename is refused (two Jenkins on one image); done in two steps, the old namespace is kept with what others put there", async () => {
                world.kube.kubectl([
                    "-n",
                    first.namespace,
                    "create",
                    "configmap",
                    "someone-elses",
                    "--from-literal=a=b",
                ]);
                const pvUid = world.kube.get("pv", undefined, `pv-${first.short}`).metadata.uid;
                world.editConfig(a, { jenkins: { namespace: `${first.namespace}-2` } });
                let out = "";
                const text = await failing(a.preview({ onOutput: (o) => (out += o) }), () => out);
                assert.match(
                    text,
                    /jenkins-ceph:jenkins\.namespace: changes from .*in static mode the new Jenkins would start in the new namespace while the old one still runs/,
                );
                assert.equal(
                    world.kube.get("pv", undefined, `pv-${first.short}`).metadata.uid,
                    pvUid,
                );

                // The two steps the refusal names: destroy (the image and namespace stay), up.
                world.editConfig(a, { jenkins: { namespace: first.namespace } });
                out = "";
                await a.destroy({ onOutput: (o) => (out += o) });
                assert.match(
                    out,
                    new RegExp(
                        `kept namespace ${first.namespace}: a stack never deletes a namespace`,
                    ),
                );
                assert.ok(
                    world.kube.exists("configmap", first.namespace, "someone-elses"),
                    "the foreign object is there",
                );
                world.editConfig(a, { jenkins: { namespace: `${first.namespace}-2` } });
                out = "";
                await a.up({ onOutput: (o) => (out += o) });
                assert.match(out, /exists with 1024 MiB; adopted unchanged/);
                const pvc = world.kube.get("pvc", `${first.namespace}-2`, first.claimName);
                assert.equal(pvc.status.phase, "Bound");
                assert.equal(
                    world.kube.imageOf(world.kube.get("pv", undefined, pvc.spec.volumeName)),
                    first.image,
                );
                await a.destroy();
                await world.remove(a);
            });
        });
    });
}
