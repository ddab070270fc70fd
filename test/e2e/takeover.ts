// The takeover of a hand-made 2018 installation (docs/history-2018.md), through `npm run takeover` and the real
// engine, in the world takeover.spec.ts starts: the seed's own PV, claim and
// Deployment next to a real rbd image with a marker in it. Each refusal changes nothing;
// the takeover lands on in-tree, and on ceph-csi after a real Ctrl-C in the middle.
import { rbdImageOfPv } from "../../components/ceph/pvImage";
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { Stack } from "@pulumi/pulumi/automation";
import { Combo, E2eWorld, stopAfterFirstFailure } from "./engine";
import { backupFile } from "../../cli/takeoverSteps";

const MARKER = "jenkins-home-2018";

/** The rbd image a PV stands for, or undefined. */
function rbdImageOf(pv: any): string | undefined {
    return rbdImageOfPv(pv.spec)?.image;
}

/** The 2018 installation is up: its claim Bound, Jenkins' pod available. */
function seedRuns(world: E2eWorld, c: Combo): boolean {
    const pvc = world.kube.get("pvc", c.namespace, "jenkins");
    const dep = world.kube.get("deployment", c.namespace, "jenkins");
    return pvc.status.phase === "Bound" && dep.status.availableReplicas === 1;
}

/** A finalizer on the claim, as a backup tool's would: deleting it then blocks. */
function holdClaim(world: E2eWorld, namespace: string): void {
    const patch = [{ op: "add", path: "/metadata/finalizers/-", value: "e2e.jenkins-ceph/hold" }];
    const r = world.kube.kubectl([
        "-n",
        namespace,
        "patch",
        "pvc",
        "jenkins",
        "--type",
        "json",
        "-p",
        JSON.stringify(patch),
    ]);
    assert.ok(r.ok, r.out);
}

/** Lifts every finalizer of a claim being deleted: it goes. */
function releaseClaim(world: E2eWorld, namespace: string): void {
    const r = world.kube.kubectl([
        "-n",
        namespace,
        "patch",
        "pvc",
        "jenkins",
        "--type",
        "merge",
        "-p",
        '{"metadata":{"finalizers":null}}',
    ]);
    assert.ok(r.ok, r.out);
}

/** Everything a refusal must leave as it was. */
function snapshot(world: E2eWorld, c: Combo, pv: string, image = c.image) {
    const rv = (kind: string, ns: string | undefined, name: string) =>
        world.kube.exists(kind, ns, name)
            ? world.kube.get(kind, ns, name).metadata.resourceVersion
            : "gone";
    return {
        pv: rv("pv", undefined, pv),
        pvc: rv("pvc", c.namespace, "jenkins"),
        deployment: rv("deployment", c.namespace, "jenkins"),
        replicas: world.kube.get("deployment", c.namespace, "jenkins").spec.replicas,
        secret: rv("secret", c.namespace, "ceph-secret-user"),
        id: world.rbd.imageId(image),
        marker: world.rbd.readMarker(image),
    };
}

async function stackResources(s: Stack): Promise<{ type: string; outputs?: any }[]> {
    return ((await s.exportStack()).deployment.resources ?? []).filter(
        (r: { type: string }) => !r.type.startsWith("pulumi:"),
    );
}

/** What a finished takeover leaves: checked through the API, rbd and the stack's state. */
async function assertTakenOver(world: E2eWorld, s: Stack, c: Combo, before: Seeded): Promise<void> {
    const pv = world.kube.get("pv", undefined, c.image);
    assert.equal(pv.status.phase, "Bound");
    assert.deepEqual([pv.spec.claimRef.namespace, pv.spec.claimRef.name], [c.namespace, "jenkins"]);
    assert.equal(world.kube.imageOf(pv), c.image);
    assert.equal(pv.spec.persistentVolumeReclaimPolicy, "Retain");
    assert.deepEqual(pv.spec.accessModes, ["ReadWriteOnce"], "the seed's RWX becomes RWO");
    if (c.provisioner === "csi") assert.equal(pv.spec.csi.volumeAttributes.staticVolume, "true");
    else assert.equal(pv.spec.rbd.pool, world.ceph.pool);
    assert.notEqual(pv.metadata.uid, before.pvUid, "the PV is the stack's own now");
    // The same image by its rbd id, not its name; its content as before.
    assert.equal(world.rbd.imageId(c.image), before.id);
    assert.equal(world.rbd.readMarker(c.image), MARKER);
    const dep = world.kube.get("deployment", c.namespace, "jenkins");
    assert.notEqual(dep.metadata.uid, before.deploymentUid);
    assert.equal(dep.status.availableReplicas, 1, JSON.stringify(dep.status));
    // Pulumi manages every object: each Kubernetes object in the state is the live one.
    const kube = (await stackResources(s)).filter((r) => r.type.startsWith("kubernetes:"));
    assert.ok(kube.length >= 6, `only ${kube.length} Kubernetes objects in the state`);
    for (const r of kube) {
        const m = r.outputs.metadata;
        const live = world.kube.get(r.outputs.kind, m.namespace, m.name);
        assert.equal(live.metadata.uid, m.uid, `${r.outputs.kind} ${m.name}`);
    }
    for (const kind of ["pv", "pvc", "deployment", "service"]) {
        for (const o of world.kube.list(kind, kind === "pv" ? undefined : c.namespace)) {
            if (kind === "pv" && rbdImageOf(o) !== c.image) continue;
            assert.ok(
                kube.some((r) => r.outputs.metadata.uid === o.metadata.uid),
                `${kind} ${o.metadata.name} is not the stack's`,
            );
        }
    }
    // The key left Jenkins' namespace with the old PV.
    assert.ok(!world.kube.exists("secret", c.namespace, "ceph-secret-user"));
    const again = await s.preview();
    // The stack's read of its own last outputs is no change.
    const changed = Object.entries(again.changeSummary).filter(
        ([op]) => op !== "same" && op !== "read",
    );
    assert.deepEqual(changed, [], "the next preview shows no changes");
}

/** What identifies the 2018 installation's image and objects before the takeover. */
interface Seeded {
    id: string;
    pvUid: string;
    deploymentUid: string;
}

/**
 * The 2018 installation running, with the marker in its image, and a stack for it: the
 * seed's names and size (PV and image named alike), `ceph` merged into its settings.
 */
async function seedWithStack(
    world: E2eWorld,
    c: Combo,
    ceph: Record<string, unknown> = {},
): Promise<{ s: Stack; seeded: Seeded }> {
    world.createSeedInstallation({ namespace: c.namespace, image: c.image, pv: c.image });
    await world.kube.waitFor(`the seed's claim in ${c.namespace} Bound and Jenkins running`, () =>
        seedRuns(world, c),
    );
    world.rbd.writeMarker(c.image, MARKER);
    const s = await world.stack(c);
    world.editConfig(s, {
        ceph,
        volume: { size: "100Gi", pvName: c.image, image: c.image },
    });
    const seeded = {
        id: world.rbd.imageId(c.image),
        pvUid: world.kube.get("pv", undefined, c.image).metadata.uid,
        deploymentUid: world.kube.get("deployment", c.namespace, "jenkins").metadata.uid,
    };
    return { s, seeded };
}

export function takeoverSuite(getWorld: () => E2eWorld | undefined, combos: Combo[]): void {
    if (!combos.length) return;
    const [inTree, csi] = combos;

    describe("takeover of the 2018 hand-made installation (npm run takeover)", function () {
        let world: E2eWorld;
        let s: Stack;
        let seeded: Seeded;
        stopAfterFirstFailure();

        const takeover = (...extra: string[]) =>
            world.scripts.runScript("takeover", ["--stack", s.name, ...extra]);

        before(async () => {
            world = getWorld()!;
            // The seed's class name on the in-tree stack; its key stays out of Jenkins' namespace.
            ({ s, seeded } = await seedWithStack(world, inTree, { storageClassName: "ceph" }));
        });

        it("a dry run prints every step and changes nothing", () => {
            const was = snapshot(world, inTree, inTree.image);
            const r = takeover();
            assert.equal(r.code, 0, r.out);
            for (const step of [
                /stop Jenkins: scale Deployment ci-infra\/jenkins from 1 to 0/,
                /delete the claim ci-infra\/jenkins: its PV is Retain/,
                /delete PersistentVolume jenkins \(Retain/,
                /pulumi up: the stack creates its PV jenkins pre-bound/,
                /delete Secret ci-infra\/ceph-secret-user: no PV mounts with it/,
                /dry run: nothing was changed/,
            ]) {
                assert.match(r.out, step);
            }
            assert.match(r.out, new RegExp(`rbd id ${seeded.id}`));
            assert.deepEqual(snapshot(world, inTree, inTree.image), was);
            console.log(
                r.out
                    .split("\n")
                    .filter((l) => /^\s+\d+\. /.test(l))
                    .map((l) => `      ${l.trim()}`)
                    .join("\n"),
            );
        });

        /** A refusal: exit 1, the sentence, and nothing changed anywhere. */
        async function refused(
            setUp: () => void,
            undo: () => void,
            sentence: RegExp,
            image = inTree.image,
        ) {
            setUp();
            const was = snapshot(world, inTree, inTree.image, image);
            try {
                const r = takeover("--yes", "--timeout", "5");
                assert.equal(r.code, 1, r.out);
                assert.match(r.out, sentence);
                const line = r.out.split("\n").find((l) => sentence.test(l));
                console.log(`      the user reads: ${line!.trim().slice(0, 220)}`);
                assert.deepEqual(snapshot(world, inTree, inTree.image, image), was);
                assert.deepEqual(await stackResources(s), [], "the stack registered something");
            } finally {
                undo();
            }
        }

        it("refuses a PV whose reclaim policy is Delete, and says how to make it Retain", async () => {
            const patch = (policy: string) =>
                assert.ok(
                    world.kube.kubectl([
                        "patch",
                        "pv",
                        inTree.image,
                        "-p",
                        JSON.stringify({ spec: { persistentVolumeReclaimPolicy: policy } }),
                    ]).ok,
                );
            await refused(
                () => patch("Delete"),
                () => patch("Retain"),
                /reclaim policy Delete: removing its claim would delete rbd image kubes\/jenkins.*kubectl patch pv jenkins/,
            );
        });

        it("refuses when the old PV is on another image than volume.image", async () => {
            world.rbd.createImage("jenkins-other");
            await refused(
                () =>
                    world.editConfig(s, {
                        volume: { image: "jenkins-other", pvName: "jenkins-new" },
                    }),
                () =>
                    world.editConfig(s, { volume: { image: inTree.image, pvName: inTree.image } }),
                /bound to PersistentVolume jenkins, which is rbd image kubes\/jenkins, not the stack's kubes\/jenkins-other/,
            );
        });

        it("refuses while a pod that is not Jenkins' holds the volume", async () => {
            const pod = {
                apiVersion: "v1",
                kind: "Pod",
                metadata: { name: "backup-job", namespace: inTree.namespace },
                spec: {
                    containers: [{ name: "c", image: "busybox" }],
                    volumes: [{ name: "h", persistentVolumeClaim: { claimName: "jenkins" } }],
                },
            };
            await refused(
                () => assert.ok(world.kube.kubectl(["create", "-f", "-"], JSON.stringify(pod)).ok),
                () =>
                    assert.ok(
                        world.kube.kubectl([
                            "-n",
                            inTree.namespace,
                            "delete",
                            "pod",
                            "backup-job",
                            "--wait=true",
                        ]).ok,
                    ),
                /pod ci-infra\/backup-job mounts the claim jenkins and is not part of Deployment jenkins/,
            );
        });

        it("refuses when the image is missing", async () => {
            await refused(
                () => world.rbd.renameImage(inTree.image, "jenkins-away"),
                () => world.rbd.renameImage("jenkins-away", inTree.image),
                /rbd image kubes\/jenkins does not exist, so there is nothing to take over/,
                "jenkins-away",
            );
        });

        it("--yes lands on in-tree static: same image by rbd id, marker intact, every object Pulumi's", async () => {
            const t0 = Date.now();
            const r = takeover("--yes");
            assert.equal(r.code, 0, r.out);
            console.log(`      takeover --yes in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
            world.assertNoKeys(r.out, "the takeover's output");
            assert.match(
                r.out,
                /took over: stack e2e-take-it manages Jenkins on rbd image kubes\/jenkins/,
            );
            await assertTakenOver(world, s, inTree, seeded);
            const events: string[] = [];
            await s.up({
                onEvent: (e) => {
                    const m = e.resourcePreEvent?.metadata;
                    if (m && m.op !== "same" && m.op !== "read" && m.type !== "pulumi:pulumi:Stack")
                        events.push(`${m.op} ${m.urn}`);
                },
            });
            assert.deepEqual(events, [], "a second pulumi up is a no-op");
            // Run again, it finds nothing left to replace and only checks.
            const again = takeover("--yes");
            assert.equal(again.code, 0, again.out);
            assert.doesNotMatch(again.out, /delete /);
        });

        const backup = (kind: string, name: string, ns?: string) =>
            backupFile(path.join(world.workDir, "takeover-backup", s.name), kind, name, ns);

        it("csi: Ctrl-C while a finalizer holds the old claim stops in step 5, and the way back restores the 2018 installation", async () => {
            ({ s, seeded } = await seedWithStack(world, csi));
            // As a backup tool's finalizer would: deleting the claim blocks in step 5.
            holdClaim(world, csi.namespace);
            const run = world.scripts.startScript("takeover", ["--stack", s.name, "--yes"]);
            await world.kube.waitFor(
                "the takeover to be deleting the claim",
                () =>
                    /^5\. delete the claim/m.test(run.output()) &&
                    !!world.kube.get("pvc", csi.namespace, "jenkins").metadata.deletionTimestamp,
                300,
            );
            run.interrupt();
            const stopped = await run.done();
            assert.equal(stopped.code, 130, stopped.out);
            assert.match(
                stopped.out,
                /interrupted during step 5 .*run the same command again to finish/,
            );
            world.assertNoKeys(stopped.out, "the takeover's output");
            assert.ok(
                !world.kube.exists("deployment", csi.namespace, "jenkins"),
                "step 4 was done",
            );
            const pv = world.kube.get("pv", undefined, csi.image);
            assert.equal(pv.metadata.uid, seeded.pvUid, "the old PV is still there");
            assert.equal(pv.spec.persistentVolumeReclaimPolicy, "Retain");
            assert.equal(world.rbd.imageId(csi.image), seeded.id);
            assert.equal(world.rbd.readMarker(csi.image), MARKER);
            for (const f of [
                backup("PersistentVolume", csi.image),
                backup("PersistentVolumeClaim", "jenkins", csi.namespace),
                backup("Deployment", "jenkins", csi.namespace),
            ]) {
                world.assertNoKeys(fs.readFileSync(f, "utf8"), f);
            }

            // The claim goes once its finalizer is lifted; its Retain PV is Released.
            releaseClaim(world, csi.namespace);
            await world.kube.waitFor(
                "the old PV Released",
                () => world.kube.get("pv", undefined, csi.image).status.phase === "Released",
            );

            // The way back, as the README gives it: free the PV for its claim, re-create the rest.
            const free = world.kube.kubectl([
                "patch",
                "pv",
                csi.image,
                "-p",
                '{"spec":{"claimRef":{"uid":null,"resourceVersion":null}}}',
            ]);
            assert.ok(free.ok, free.out);
            const back = world.kube.kubectl([
                "create",
                "-f",
                backup("PersistentVolumeClaim", "jenkins", csi.namespace),
                "-f",
                backup("Deployment", "jenkins", csi.namespace),
            ]);
            assert.ok(back.ok, back.out);
            await world.kube.waitFor(
                "the 2018 installation back: claim Bound, Jenkins running",
                () => seedRuns(world, csi),
            );
            assert.equal(
                world.kube.get("pvc", csi.namespace, "jenkins").spec.volumeName,
                csi.image,
            );
            assert.equal(world.rbd.readMarker(csi.image), MARKER);
            seeded.deploymentUid = world.kube.get(
                "deployment",
                csi.namespace,
                "jenkins",
            ).metadata.uid;
        });

        it("csi: the API server gone during step 5 stops the takeover with one sentence; once it is back, nothing was lost", async () => {
            holdClaim(world, csi.namespace);
            const run = world.scripts.startScript("takeover", [
                "--stack",
                s.name,
                "--yes",
                "--timeout",
                "10",
            ]);
            await world.kube.waitFor(
                "the takeover to be deleting the claim",
                () =>
                    /^5\. delete the claim/m.test(run.output()) &&
                    !!world.kube.get("pvc", csi.namespace, "jenkins").metadata.deletionTimestamp,
                300,
            );
            const restart = world.kube.stopApiServer();
            const stopped = await run.done();
            await restart();
            assert.equal(stopped.code, 1, stopped.out);
            const line = stopped.out.split("\n").find((l) => /^takeover: /.test(l)) ?? "";
            console.log(`      the user reads: ${line.slice(0, 240)}`);
            assert.match(
                line,
                /kubectl delete persistentvolumeclaim jenkins failed: .*Stopped at step 5 of 9; run the same command again once that is fixed/,
            );
            world.assertNoKeys(stopped.out, "the takeover's output");
            const pv = world.kube.get("pv", undefined, csi.image);
            assert.equal(pv.metadata.uid, seeded.pvUid, "the old PV is still there");
            assert.equal(pv.spec.persistentVolumeReclaimPolicy, "Retain");
            assert.equal(world.rbd.imageId(csi.image), seeded.id);
            assert.equal(world.rbd.readMarker(csi.image), MARKER);
            releaseClaim(world, csi.namespace);
            await world.kube.waitFor(
                "the old claim gone",
                () => !world.kube.exists("pvc", csi.namespace, "jenkins"),
            );
        });

        it("csi: Ctrl-C during pulumi up, then a second run finishes the takeover", async () => {
            const run = world.scripts.startScript("takeover", ["--stack", s.name, "--yes"]);
            await world.kube.waitFor(
                "the takeover to reach pulumi up",
                () => /^\d+\. pulumi up/m.test(run.output()),
                300,
            );
            await new Promise((res) => setTimeout(res, 3000));
            run.interrupt();
            const first = await run.done();
            assert.equal(first.code, 130, first.out);
            assert.match(
                first.out,
                /interrupted during step \d+ \(pulumi up was cancelled\); run the same command again/,
            );
            console.log(
                `      after Ctrl-C: ${first.out
                    .split("\n")
                    .find((l) => /interrupted during/.test(l))
                    ?.trim()}`,
            );
            world.assertNoKeys(first.out, "the takeover's output");
            // Nothing lost: the image, by id and content; no PV on it that could delete it.
            assert.equal(world.rbd.imageId(csi.image), seeded.id);
            assert.equal(world.rbd.readMarker(csi.image), MARKER);
            for (const pv of world.kube.list("pv").filter((p) => rbdImageOf(p) === csi.image)) {
                assert.equal(pv.spec.persistentVolumeReclaimPolicy, "Retain");
            }
            const second = world.scripts.runScript("takeover", ["--stack", s.name, "--yes"]);
            assert.equal(second.code, 0, second.out);
            world.assertNoKeys(second.out, "the takeover's output");
            await assertTakenOver(world, s, csi, seeded);
            world.assertNoKeysInBackend();
        });
    });
}
