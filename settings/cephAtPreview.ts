// The preview read: during `pulumi preview` (and the preview phase of `up`) the program asks
// Ceph about Jenkins' home with the rbd program's read-only inspect step, where every rbd
// step of the stack runs (here, or on rbdHost over the pinned SSH), the key on standard
// input as always. Static mode reads the configured image; dynamic mode the image of the
// bound PV, found through the claim. settings/rbdPlan.ts turns the facts into the plan.
import * as pulumi from "@pulumi/pulumi";
import type { Settings } from "./settings";
import { parseStorageQuantity } from "./quantity";
import { ImageFacts, parseInspect } from "../components/rbd/imageFacts";
import { runStackRbdStep } from "./rbdStep";
import { rbdImageOfPv, PvSourceSpec } from "../components/ceph/pvImage";
import { accessOf, ClusterSettings } from "../components/cluster/ownership";
import { readObject } from "../components/cluster/clusterReader";

/** What the preview read found. */
export interface HomeRead {
    pool: string;
    /** The image read; undefined in dynamic mode before the claim is bound. */
    image?: string;
    /** undefined: not read (see `notChecked`). */
    facts?: ImageFacts;
    /** Dynamic: the claim's request as the cluster has it. */
    claimRequestBytes?: number;
    /** Why Ceph was not asked, one sentence: the preview warns with it and goes on. */
    notChecked?: string;
    /** rbd refused the read for a reason `up` would fail on too: [setting, sentence]. */
    refused?: [string, string];
}

type OwnCephSettings = Settings & { ceph: { provisioner: "csi" | "in-tree" } };

/** Whether this run reads Ceph: a preview, with the stack's own Ceph and the read on. */
export function readsAtPreview(s: Settings): s is OwnCephSettings {
    return pulumi.runtime.isDryRun() && s.ceph.provisioner !== "existing" && s.ceph.readAtPreview;
}

/** What the plan needs beside size, features and snapshots: each is one more rbd call. */
export interface ReadNeeds {
    /** Who has the image open: only an image being adopted may not be. */
    watchers: boolean;
    /** The last snapshot's fingerprints: only with volume.snapshots on. */
    meta: boolean;
}

/** The preview read of Jenkins' home; never rejects (a failure is `notChecked` or `refused`). */
export async function readHome(
    s: OwnCephSettings,
    cluster: ClusterSettings,
    needs: ReadNeeds,
): Promise<HomeRead> {
    const located = await locateHome(s, cluster);
    if (located.notChecked || located.image === undefined) return located;
    const at = { pool: located.pool, image: located.image, inspect: needs };
    const r = await runStackRbdStep("inspect", s, at, (s.ceph.timeoutSeconds + 5) * 1000);
    if (r.code === 0) return { ...located, facts: parseInspect(r.stdout) };
    const said = r.stderr.trim().split("\n").filter(Boolean).pop() ?? "";
    if (r.code === null || /no answer from the monitors|is not installed|ssh:/.test(said)) {
        const why = r.code === null ? `no answer within ${s.ceph.timeoutSeconds + 5}s` : said;
        return { ...located, notChecked: why };
    }
    return { ...located, refused: [settingOf(said), said] };
}

/** The setting an rbd refusal of the read is about, from the words rbd_inspect used. */
function settingOf(said: string): string {
    if (/authenticat|not a usable cephx key/.test(said)) return "cephUserKey";
    if (/pool '.*' does not exist/.test(said)) return "ceph.pool";
    return "ceph.user";
}

/** The pool and image to read: the configured image, or the bound PV's. */
async function locateHome(s: OwnCephSettings, cluster: ClusterSettings): Promise<HomeRead> {
    const pool = s.ceph.pool;
    if (s.mode === "static") return { pool, image: s.volume.image };
    const access = accessOf(cluster);
    if (access instanceof Error) return { pool, notChecked: access.message };
    const ns = encodeURIComponent(s.jenkins.namespace);
    const claimPath = `/api/v1/namespaces/${ns}/persistentvolumeclaims/${encodeURIComponent(s.volume.claimName)}`;
    try {
        const claim = (await readObject(access, claimPath)) as
            | { spec?: { volumeName?: string; resources?: { requests?: { storage?: string } } } }
            | undefined;
        const pvName = claim?.spec?.volumeName;
        if (!pvName) return { pool };
        const pv = (await readObject(
            access,
            `/api/v1/persistentvolumes/${encodeURIComponent(pvName)}`,
        )) as { spec?: PvSourceSpec } | undefined;
        const at = rbdImageOfPv(pv?.spec);
        if (!at) return { pool, notChecked: `PersistentVolume ${pvName} names no rbd image` };
        const q = parseStorageQuantity(claim?.spec?.resources?.requests?.storage ?? "");
        const claimRequestBytes = "bytes" in q ? Number(q.bytes) : undefined;
        return { pool: at.pool, image: at.image, claimRequestBytes };
    } catch (e) {
        return { pool, notChecked: `the claim could not be read (${(e as Error).message})` };
    }
}
