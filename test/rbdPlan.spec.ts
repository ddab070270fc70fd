// What the preview says rbd will do, refuses and reports as drift (settings/rbdPlan.ts),
// from facts as rbd's inspect step gives them (test/ceph/snapshot.ts reads them from a
// real Ceph; test/e2e/preview.spec.ts runs the whole read on the real engine).
import { strict as assert } from "assert";
import type { ImageFacts } from "../components/rbd/imageFacts";
import { rbdPlan, RbdPlanInput, snapshotReason } from "../settings/rbdPlan";

const MiB = 1024 ** 2;
const GiB = 1024 * MiB;
const fp = { image: "i1", plugins: "p1", javaopts: "j1", casc: "c1" };
const meta = {
    "jenkins-ceph.image": "i1",
    "jenkins-ceph.plugins": "p1",
    "jenkins-ceph.javaopts": "j1",
    "jenkins-ceph.casc": "c1",
};
const snap = (d: number, why = "image") => `jenkins-ceph-2026010${d}T000000Z-${why}`;

function image(patch: Partial<Extract<ImageFacts, { exists: true }>> = {}): ImageFacts {
    return {
        exists: true,
        id: "10a2b3",
        sizeBytes: GiB,
        features: ["layering"],
        watchers: [],
        snapshots: [snap(1, "initial")],
        meta,
        ...patch,
    };
}

/** A static stack's next up with its home unchanged: kubes/jenkins, 1 GiB. */
function input(patch: Partial<RbdPlanInput> = {}): RbdPlanInput {
    return {
        mode: "static",
        pool: "kubes",
        image: "jenkins",
        facts: image(),
        wantBytes: GiB,
        features: "layering",
        isHome: true,
        mustExist: false,
        last: { sizeBytes: GiB, snapshots: [snap(1, "initial")] },
        snapshots: { fingerprints: fp, keep: 3 },
        startEmpty: false,
        ...patch,
    };
}

describe("the preview's rbd plan: one line per rbd action, drift, and what up would refuse", () => {
    it("nothing changed: no rbd change, no drift, no refusal", () => {
        assert.deepEqual(rbdPlan(input()), { lines: ["no rbd change"], drift: [], refusals: [] });
    });

    it("a new stack on a missing image: create, then the initial snapshot", () => {
        const p = rbdPlan(input({ isHome: false, last: undefined, facts: { exists: false } }));
        assert.deepEqual(p.lines, [
            "create kubes/jenkins 1 GiB (features layering)",
            "snapshot the new image (reason: initial)",
        ]);
        assert.deepEqual(p.refusals, []);
    });

    it("a new stack on an existing image: adopt (size, snapshots), then grow it to volume.size", () => {
        const facts = image({ sizeBytes: 64 * MiB, snapshots: [], meta: {} });
        const p = rbdPlan(input({ isHome: false, last: undefined, facts, wantBytes: 100 * GiB }));
        assert.deepEqual(p.lines, [
            "adopt kubes/jenkins (exists, 64 MiB, 0 snapshots)",
            "grow kubes/jenkins 64 MiB -> 100 GiB",
            "snapshot before the change (reason: initial)",
        ]);
    });

    it("a grow: its line; a shrink: refused with the size the image has", () => {
        assert.deepEqual(rbdPlan(input({ wantBytes: 2 * GiB })).lines, [
            "grow kubes/jenkins 1 GiB -> 2 GiB",
        ]);
        const p = rbdPlan(input({ wantBytes: 512 * MiB }));
        assert.deepEqual(p.refusals, [
            [
                "volume.size",
                "is 512Mi, below the 1 GiB rbd image kubes/jenkins has in Ceph: refusing to shrink it (that would cut off data); set volume.size to at least 1Gi",
                "1Gi",
            ],
        ]);
    });

    it("an image krbd cannot map is refused, with the command that fixes it", () => {
        const facts = image({ features: ["layering", "exclusive-lock", "journaling"] });
        const [[key, why]] = rbdPlan(input({ facts })).refusals;
        assert.equal(key, "volume.image");
        assert.match(
            why,
            /journaling, which the kernel rbd client cannot map.*rbd feature disable kubes\/jenkins journaling$/,
        );
    });

    it("watchers: refused when adopting an image another client has open, expected on the home Jenkins runs on", () => {
        const facts = image({ watchers: ["10.0.0.7:0/3012"] });
        assert.deepEqual(rbdPlan(input({ facts })).refusals, []);
        const [[key, why]] = rbdPlan(input({ facts, isHome: false, mustExist: true })).refusals;
        assert.equal(key, "volume.image");
        assert.match(
            why,
            /^kubes\/jenkins is open by another client \(watchers: 10\.0\.0\.7:0\/3012\)/,
        );
    });

    it("a change Jenkins runs on: a snapshot with its reason, then the prune beyond volume.snapshots.keep", () => {
        const facts = image({ snapshots: [snap(1, "initial"), snap(2), snap(3)] });
        const p = rbdPlan(
            input({ facts, snapshots: { fingerprints: { ...fp, plugins: "p2" }, keep: 3 } }),
        );
        assert.deepEqual(p.lines, [
            `snapshot before the change (reason: plugins), then prune ${snap(1, "initial")}`,
        ]);
        const fewer = rbdPlan(input({ facts, snapshots: { fingerprints: fp, keep: 1 } }));
        assert.deepEqual(fewer.lines, [
            `prune ${snap(1, "initial")}, ${snap(2)} (volume.snapshots.keep is 1)`,
        ]);
        assert.deepEqual(rbdPlan(input({ facts, snapshots: undefined })).lines, ["no rbd change"]);
    });

    it("the reason names the areas in rbd_snapshot's order, or initial on an image without this program's meta", () => {
        assert.equal(
            snapshotReason({ image: "x", plugins: "p1", javaopts: "y", casc: "c1" }, meta),
            "image-javaopts",
        );
        assert.equal(snapshotReason(fp, { other: "1" }), "initial");
    });

    it("drift: an image resized by hand, and snapshots removed by hand, each with what the next up does", () => {
        const bigger = image({ sizeBytes: 2 * GiB });
        const grown = rbdPlan(input({ facts: bigger, wantBytes: 3 * GiB }));
        assert.deepEqual(grown.drift, [
            "kubes/jenkins is 2 GiB in Ceph, 1 GiB when the last up left it (resized outside this program); the next up grows it to 3 GiB",
        ]);
        assert.deepEqual(grown.lines, ["grow kubes/jenkins 2 GiB -> 3 GiB"]);
        const kept = rbdPlan(input({ facts: bigger }));
        assert.match(kept.drift[0], /the next up refuses to shrink it$/);
        assert.equal(kept.refusals[0][0], "volume.size");
        const shrunk = rbdPlan(input({ facts: image({ sizeBytes: 512 * MiB }) }));
        assert.match(
            shrunk.drift[0],
            /512 MiB in Ceph, 1 GiB when the last up left it \(shrunk outside/,
        );
        const gone = rbdPlan(
            input({
                facts: image({ snapshots: [] }),
                last: { sizeBytes: GiB, snapshots: [snap(1, "initial")] },
            }),
        );
        assert.deepEqual(gone.drift, [
            `1 of this program's snapshots of kubes/jenkins were removed outside it since the last up (${snap(1, "initial")}); nothing brings them back`,
        ]);
    });

    it("the home gone from Ceph: refused at preview, unless volume.startEmpty asks for an empty one", () => {
        const p = rbdPlan(input({ facts: { exists: false } }));
        assert.equal(p.refusals[0][0], "volume.image");
        assert.match(
            p.refusals[0][1],
            /Jenkins' home at the last pulumi up, no longer exists in Ceph: refusing to start Jenkins on a new empty image/,
        );
        const empty = rbdPlan(input({ facts: { exists: false }, startEmpty: true }));
        assert.deepEqual(empty.refusals, []);
        assert.match(empty.lines[0], /^create kubes\/jenkins 1 GiB \(volume.startEmpty/);
        const renamed = rbdPlan(
            input({ facts: { exists: false }, isHome: false, mustExist: true }),
        );
        assert.match(
            renamed.refusals[0][1],
            /^"jenkins" does not exist in pool kubes, and Jenkins' home was another image/,
        );
    });

    it("dynamic: the provisioner creates before the claim is bound; then growth is its expansion and a shrink below the claim is refused", () => {
        const dyn = {
            mode: "dynamic" as const,
            image: undefined,
            facts: undefined,
            isHome: false,
            last: undefined,
        };
        assert.deepEqual(rbdPlan(input(dyn)).lines, [
            "create kubes/(the provisioner's name) 1 GiB (the provisioner)",
            "snapshot the new image (reason: initial)",
        ]);
        const bound = {
            ...dyn,
            image: "csi-vol-1f2e",
            facts: image(),
            isHome: true,
            claimRequestBytes: GiB,
        };
        assert.deepEqual(rbdPlan(input({ ...bound, wantBytes: 2 * GiB })).lines, [
            "grow kubes/csi-vol-1f2e 1 GiB -> 2 GiB (the provisioner's volume expansion)",
        ]);
        const [[key, why]] = rbdPlan(input({ ...bound, wantBytes: 512 * MiB })).refusals;
        assert.equal(key, "volume.size");
        assert.match(why, /below the 1 GiB the claim on kubes\/csi-vol-1f2e has now/);
    });
});
