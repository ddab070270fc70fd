// What rbd's read-only inspect step (rbdScript.ts, rbd_inspect) says about an image, parsed
// once for its readers: the preview read (settings/cephAtPreview.ts) and the takeover
// (cli/takeoverCluster.ts). Every name in it is Ceph's data: kept as a string, never a word
// of a command.
import { parseSnapshots } from "./jenkinsSnapshot";

/** An image as Ceph has it now. */
export type ImageFacts =
    | { exists: false }
    | {
          exists: true;
          /** rbd's id of the image: the same across renames. */
          id: string;
          sizeBytes: number;
          features: string[];
          /** Addresses of the clients that have it open (a mapped node, a pod); [] when not asked. */
          watchers: string[];
          /** This program's snapshots, oldest first. */
          snapshots: string[];
          /** The image-meta this program keeps (jenkins-ceph.*: the last snapshot's fingerprints). */
          meta: Record<string, string>;
      };

/**
 * The features the kernel rbd client (krbd, which both ceph-csi and the in-tree plugin
 * mount with) can map; an image with any other (journaling, a mirror's non-primary, a
 * migration under way) never mounts, so the pod never starts.
 */
const KRBD_MAPPABLE = [
    "layering",
    "striping",
    "exclusive-lock",
    "object-map",
    "fast-diff",
    "deep-flatten",
    "data-pool",
    "operations",
];

/** The features in `features` that krbd cannot map. */
export function krbdCannotMap(features: readonly string[]): string[] {
    return features.filter((f) => !KRBD_MAPPABLE.includes(f));
}

/** The inspect step's "key: value" lines as facts. */
export function parseInspect(stdout: string): ImageFacts {
    if (/^exists: no$/m.test(stdout)) return { exists: false };
    const line = (k: string): unknown => {
        const m = new RegExp(`^${k}: (.*)$`, "m").exec(stdout);
        if (!m) throw new Error(`the rbd inspect step printed no ${k} line`);
        return JSON.parse(m[1]);
    };
    const info = line("info") as { id?: string; size?: number; features?: unknown };
    // Asked for only when they matter (the step's inspect parameter): absent, none known.
    const status = (/^status: /m.test(stdout) ? line("status") : {}) as {
        watchers?: { address?: unknown }[];
    };
    const meta = /^meta: /m.test(stdout) ? (line("meta") as Record<string, unknown>) : {};
    return {
        exists: true,
        id: info.id ?? "",
        sizeBytes: Number(info.size),
        features: Array.isArray(info.features) ? info.features.map(String) : [],
        watchers: (status.watchers ?? []).map((w) => String(w.address)),
        snapshots: parseSnapshots(stdout).map((x) => x.name),
        meta: Object.fromEntries(
            Object.entries(meta ?? {})
                .filter(([k]) => k.startsWith("jenkins-ceph."))
                .map(([k, v]) => [k, String(v)]),
        ),
    };
}
