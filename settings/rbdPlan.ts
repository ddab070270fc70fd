// What rbd will do in the next `pulumi up`, from what Ceph has now (the preview read,
// settings/cephAtPreview.ts), the settings and the stack's last run: one line per rbd action
// for the reviewer, what changed outside the program (drift), and the refusals of what `up`
// would refuse halfway through (a shrink, an image krbd cannot map, an image another client
// has open). Pure: the preview read and the tests hand it the facts.
import type { ImageFacts } from "../components/rbd/imageFacts";
import { krbdCannotMap } from "../components/rbd/imageFacts";
import type { SnapshotParams } from "../components/rbd/rbdScript";
import { bytesAsQuantity, bytesAsText } from "./quantity";

const MiB = 1024 ** 2;

export interface RbdPlanInput {
    mode: "static" | "dynamic";
    pool: string;
    /** The image: static, the configured one; dynamic, the bound PV's (undefined: none yet). */
    image?: string;
    facts?: Extract<ImageFacts, { exists: true }> | { exists: false };
    /** volume.size in bytes. */
    wantBytes: number;
    /** ceph.imageFeatures, for an image this program creates. */
    features: string;
    /** The image was Jenkins' home at the last `pulumi up`. */
    isHome: boolean;
    /** Static: Jenkins' home was another image, so this one must exist (homeGuard's adoptOnly). */
    mustExist: boolean;
    /** As the last `pulumi up` left them; undefined for a new stack or an earlier version. */
    last?: { sizeBytes?: number; snapshots?: string[] };
    /** Dynamic: the bound claim's request now (the API server refuses one below it). */
    claimRequestBytes?: number;
    /** volume.snapshots, when on. */
    snapshots?: { fingerprints: SnapshotParams["fingerprints"]; keep: number };
    /** volume.startEmpty. */
    startEmpty: boolean;
}

export interface RbdPlan {
    /** One line per rbd action, in the order `up` takes them. */
    lines: string[];
    /** What changed outside this program since the last up, and what the next up does about it. */
    drift: string[];
    /** [setting path, sentence, example] of each change `up` would refuse. */
    refusals: [string, string, string | undefined][];
}

/** The plan of one image; see the file's comment. */
export function rbdPlan(p: RbdPlanInput): RbdPlan {
    const plan: RbdPlan = { lines: [], drift: [], refusals: [] };
    const at = `${p.pool}/${p.image ?? "(the provisioner's name)"}`;
    if (!p.facts?.exists) {
        imageMissing(p, at, plan);
    } else {
        imageThere(p, p.facts, at, plan);
        snapshotLines(p, p.facts, plan);
    }
    if (plan.lines.length === 0) plan.lines.push("no rbd change");
    return plan;
}

function imageMissing(p: RbdPlanInput, at: string, plan: RbdPlan): void {
    const size = bytesAsText(p.wantBytes);
    if (p.mode === "dynamic") {
        if (p.image !== undefined) return refuseGone(p, at, plan, "the bound PV's image");
        plan.lines.push(`create ${at} ${size} (the provisioner)`);
        if (p.snapshots) plan.lines.push("snapshot the new image (reason: initial)");
        return;
    }
    if (p.isHome) {
        refuseGone(p, at, plan, "Jenkins' home at the last pulumi up");
        return;
    }
    if (p.mustExist && !p.startEmpty) {
        plan.refusals.push([
            "volume.image",
            `"${p.image}" does not exist in pool ${p.pool}, and Jenkins' home was another image: refusing to start Jenkins on a new empty image; name an image that exists (adoption), bring the data back with npm run restore, or set volume.startEmpty to true to begin anew`,
            undefined,
        ]);
        return;
    }
    plan.lines.push(`create ${at} ${size} (features ${p.features})`);
    if (p.snapshots) plan.lines.push("snapshot the new image (reason: initial)");
}

function refuseGone(p: RbdPlanInput, at: string, plan: RbdPlan, what: string): void {
    plan.drift.push(`${at}, ${what}, no longer exists in Ceph (removed outside this program)`);
    if (p.startEmpty) {
        plan.lines.push(
            `create ${at} ${bytesAsText(p.wantBytes)} (volume.startEmpty: an empty home)`,
        );
        return;
    }
    plan.refusals.push([
        p.mode === "static" ? "volume.image" : "volume.claimName",
        `${at}, ${what}, no longer exists in Ceph: refusing to start Jenkins on a new empty image; bring the image back under that name (rbd import of a copy, or rbd mv of the image that holds the data), or set volume.startEmpty to true to begin anew`,
        undefined,
    ]);
}

function imageThere(
    p: RbdPlanInput,
    f: Extract<ImageFacts, { exists: true }>,
    at: string,
    plan: RbdPlan,
): void {
    const have = f.sizeBytes;
    const snaps = `${f.snapshots.length} snapshot${f.snapshots.length === 1 ? "" : "s"}`;
    if (!p.isHome && p.mode === "static") {
        plan.lines.push(`adopt ${at} (exists, ${bytesAsText(have)}, ${snaps})`);
        if (f.watchers.length > 0) {
            plan.refusals.push([
                "volume.image",
                `${at} is open by another client (watchers: ${f.watchers.join(" ")}): refusing to mount for Jenkins an image that another client writes (ext4 and xfs are single-writer); unmap it there (or stop the pod that mounts it), then run again`,
                undefined,
            ]);
        }
    }
    sizeDrift(p, have, at, plan);
    const unmappable = krbdCannotMap(f.features);
    if (unmappable.length > 0) {
        plan.refusals.push([
            p.mode === "static" ? "volume.image" : "volume",
            `${at} has the feature(s) ${unmappable.join(", ")}, which the kernel rbd client cannot map, so Jenkins' pod would never start; disable them first: rbd feature disable ${at} ${unmappable.join(" ")}`,
            undefined,
        ]);
    }
    const below = p.mode === "static" ? have : (p.claimRequestBytes ?? 0);
    if (p.wantBytes < below) {
        plan.refusals.push([
            "volume.size",
            `is ${bytesAsQuantity(p.wantBytes)}, below the ${bytesAsText(below)} ${p.mode === "static" ? `rbd image ${at} has in Ceph` : `the claim on ${at} has now`}: refusing to shrink it (that would cut off data); set volume.size to at least ${bytesAsQuantity(below)}`,
            bytesAsQuantity(below),
        ]);
    } else if (p.wantBytes > have) {
        const by = p.mode === "dynamic" ? " (the provisioner's volume expansion)" : "";
        plan.lines.push(`grow ${at} ${bytesAsText(have)} -> ${bytesAsText(p.wantBytes)}${by}`);
    }
}

/** The image resized, or this program's snapshots removed, since the last up. */
function sizeDrift(p: RbdPlanInput, have: number, at: string, plan: RbdPlan): void {
    const was = p.last?.sizeBytes;
    // Dynamic: the provisioner rounds the image up (ceph-csi to whole GiB), so the claim's
    // size is not the image's; only a static image is sized by this program to the byte.
    if (
        p.mode !== "static" ||
        !p.isHome ||
        was === undefined ||
        Math.ceil(have / MiB) === Math.ceil(was / MiB)
    )
        return;
    const next =
        p.wantBytes < have
            ? "the next up refuses to shrink it"
            : p.wantBytes > have
              ? `the next up grows it to ${bytesAsText(p.wantBytes)}`
              : "the next up keeps it as it is";
    plan.drift.push(
        `${at} is ${bytesAsText(have)} in Ceph, ${bytesAsText(was)} when the last up left it (${have < was ? "shrunk" : "resized"} outside this program); ${next}`,
    );
}

/** The snapshot step: a snapshot when what Jenkins runs on changed, then retention. */
function snapshotLines(
    p: RbdPlanInput,
    f: Extract<ImageFacts, { exists: true }>,
    plan: RbdPlan,
): void {
    const removed = (p.isHome ? (p.last?.snapshots ?? []) : []).filter(
        (s) => !f.snapshots.includes(s),
    );
    if (removed.length > 0) {
        plan.drift.push(
            `${removed.length} of this program's snapshots of ${p.pool}/${p.image} were removed outside it since the last up (${removed.join(", ")}); nothing brings them back`,
        );
    }
    if (!p.snapshots) return;
    const reason = snapshotReason(p.snapshots.fingerprints, f.meta);
    const count = f.snapshots.length + (reason ? 1 : 0);
    const pruned = f.snapshots.slice(0, Math.max(0, count - p.snapshots.keep));
    const prune = pruned.length > 0 ? `prune ${pruned.join(", ")}` : "";
    if (reason) {
        plan.lines.push(
            `snapshot before the change (reason: ${reason})${prune ? `, then ${prune}` : ""}`,
        );
    } else if (prune) {
        plan.lines.push(`${prune} (volume.snapshots.keep is ${p.snapshots.keep})`);
    }
}

/** The areas in the order rbd_snapshot compares them (it names the reason in this order). */
const FINGERPRINT_ORDER = ["image", "plugins", "javaopts", "casc"] as const;

/**
 * Why the snapshot step takes a snapshot, as rbd_snapshot (rbdScript.ts) decides it: the
 * areas whose fingerprint differs from the image-meta of the last one, or "initial" when
 * the image has none; "" when nothing changed.
 */
export function snapshotReason(
    fingerprints: SnapshotParams["fingerprints"],
    meta: Record<string, string>,
): string {
    if (!Object.keys(meta).some((k) => k.startsWith("jenkins-ceph."))) return "initial";
    return FINGERPRINT_ORDER.filter((k) => meta[`jenkins-ceph.${k}`] !== fingerprints[k]).join("-");
}
