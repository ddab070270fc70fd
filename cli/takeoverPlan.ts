// What `npm run takeover` decides, apart from doing it: from what the cluster, Ceph and
// the stack's state hold, which objects of a hand-made installation (the 2018 procedure (docs/history-2018.md):
// rbd image, PV, claim, Ceph Secret, Deployment) are replaced or adopted, and every
// reason to stop before anything is touched. Pure, so each refusal is unit-tested.
import type { ImageFacts } from "../components/rbd/imageFacts";
import { bytesAsQuantity } from "../settings/quantity";
import { rbdImageOfPv } from "../components/ceph/pvImage";
import { CEPH_SECRET_NAMES } from "../components/ceph/cephConnection";

/** The fields of a Kubernetes object the takeover reads. */
export interface KubeObject {
    apiVersion: string;
    kind: string;
    metadata: {
        name: string;
        namespace?: string;
        uid: string;
        ownerReferences?: { kind: string; name: string; uid: string }[];
    };
    /** The spec fields read here, of the kinds that have them. */
    spec?: {
        // PersistentVolume
        rbd?: { pool?: string; image?: string; secretRef?: SecretRef };
        csi?: {
            driver?: string;
            volumeHandle?: string;
            volumeAttributes?: Record<string, string>;
            nodeStageSecretRef?: SecretRef;
        };
        persistentVolumeReclaimPolicy?: string;
        claimRef?: { namespace?: string; name?: string; uid?: string; resourceVersion?: string };
        accessModes?: string[];
        // PersistentVolumeClaim
        volumeName?: string;
        // Deployment
        replicas?: number;
        // Pod
        volumes?: { persistentVolumeClaim?: { claimName: string } }[];
        // Service
        clusterIP?: string;
        clusterIPs?: string[];
    };
    status?: { phase?: string };
}

interface SecretRef {
    name?: string;
    namespace?: string;
}

/** What the stack will manage, from its settings. */
export interface Target {
    namespace: string;
    deployment: string;
    claimName: string;
    pvName: string;
    pool: string;
    image: string;
    sizeBytes: number;
    /** The stack's access mode (ReadWriteOnce: RBD filesystems are single-node). */
    accessMode: string;
    secretNamespace: string;
}

export interface Observed {
    /** Live objects with the names of the stack's own objects (rendered), whoever made them. */
    sameNamed: KubeObject[];
    /** Every PersistentVolume of the cluster. */
    pvs: KubeObject[];
    /** Pods and ReplicaSets of the Jenkins namespace. */
    pods: KubeObject[];
    replicaSets: KubeObject[];
    /** The Secrets of the 2018 names in Jenkins' namespace. */
    cephSecrets: KubeObject[];
    /** uids of the objects in the stack's state. */
    managedUids: ReadonlySet<string>;
    image: ImageFacts;
}

export type Step =
    | { do: "backup"; objects: KubeObject[]; say: string }
    | { do: "scale-down"; deployment: KubeObject; replicas: number; say: string }
    | { do: "check-closed"; say: string }
    | { do: "delete"; object: KubeObject; say: string }
    | { do: "up"; say: string }
    | { do: "verify"; imageId: string; say: string };

export interface Plan {
    refusals: string[];
    steps: Step[];
    /** Objects Pulumi takes over as they are (server-side apply adds its fields). */
    adopted: KubeObject[];
    /** Notes for the user that change nothing. */
    notes: string[];
}

/** Kinds that hold no data and that the stack recreates: safe to replace. */
const STATELESS = ["Deployment", "Service"];

export const describe = (o: KubeObject): string =>
    `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata.name}`;

const kubectlRef = (o: KubeObject): string =>
    `${o.metadata.namespace ? `-n ${o.metadata.namespace} ` : ""}${o.kind.toLowerCase()} ${o.metadata.name}`;

/** The rbd image a PV stands for (in-tree rbd, or a ceph-csi rbd volume), if any. */
export function pvImage(pv: KubeObject): { pool: string; image: string } | undefined {
    return rbdImageOfPv(pv.spec);
}

/** The Secret a PV mounts with, as namespace/name. */
function pvSecret(pv: KubeObject): string | undefined {
    const ref = pv.spec?.rbd?.secretRef ?? pv.spec?.csi?.nodeStageSecretRef;
    if (!ref?.name) return undefined;
    return `${ref.namespace ?? pv.spec?.claimRef?.namespace ?? "default"}/${ref.name}`;
}

/** The claims a pod mounts. */
export function claimOf(pod: KubeObject): string[] {
    return (pod.spec?.volumes ?? [])
        .map((v) => v.persistentVolumeClaim?.claimName)
        .filter((c): c is string => !!c);
}

/** The Deployment a pod belongs to, through its ReplicaSet. */
function deploymentOf(pod: KubeObject, replicaSets: KubeObject[]): string | undefined {
    const rsRef = pod.metadata.ownerReferences?.find((r) => r.kind === "ReplicaSet");
    const rs = replicaSets.find((r) => r.metadata.uid === rsRef?.uid);
    return rs?.metadata.ownerReferences?.find((r) => r.kind === "Deployment")?.uid;
}

/** What the cluster holds of the old installation, sorted by what the takeover does with it. */
interface Found {
    /** Every PV on the image that the stack does not own: the 2018 PV, or what an interrupted run left. */
    oldPvs: KubeObject[];
    oldClaim?: KubeObject;
    oldDeployment?: KubeObject;
    /** Objects without data the stack re-creates (Deployment, Service, Ceph Secrets). */
    replaced: KubeObject[];
    adopted: KubeObject[];
    /** 2018 Ceph Secrets in Jenkins' namespace that no PV will mount any more. */
    leftovers: KubeObject[];
}

function sortOut(t: Target, seen: Observed, refusals: string[], notes: string[]): Found {
    const foreign = (o: KubeObject) => !seen.managedUids.has(o.metadata.uid);
    const oldPvs = seen.pvs.filter((pv) => {
        const src = pvImage(pv);
        return src?.pool === t.pool && src.image === t.image && foreign(pv);
    });
    const claim = seen.sameNamed.find(
        (o) =>
            o.kind === "PersistentVolumeClaim" &&
            o.metadata.name === t.claimName &&
            o.metadata.namespace === t.namespace,
    );
    const found: Found = {
        oldPvs,
        oldClaim: claim && foreign(claim) ? claim : undefined,
        replaced: [],
        adopted: [],
        leftovers: [],
    };
    // The other same-named objects: replaced when they hold no data, adopted when Pulumi
    // can take them as they are, refused otherwise.
    for (const o of seen.sameNamed.filter(foreign)) {
        if (o.kind === "PersistentVolumeClaim" || o.kind === "PersistentVolume") continue;
        if (o.kind === "Namespace") found.adopted.push(o);
        else if (STATELESS.includes(o.kind)) {
            found.replaced.push(o);
            if (o.kind === "Deployment" && o.metadata.name === t.deployment)
                found.oldDeployment = o;
        } else if (o.kind === "Secret" && CEPH_SECRET_NAMES.includes(o.metadata.name)) {
            found.replaced.push(o);
        } else {
            refusals.push(
                `${describe(o)} already exists and is not this stack's, nor one of the objects the takeover ` +
                    `replaces (PV, claim, Deployment, Service, Ceph Secrets); nothing was changed. ` +
                    `Remove it (kubectl delete ${kubectlRef(o)}) or rename the stack's.`,
            );
        }
    }
    // The 2018 Ceph Secrets in Jenkins' namespace, once no PV mounts with them any more
    // (when the stack keeps its keys elsewhere; otherwise they are same-named, above).
    found.leftovers = seen.cephSecrets.filter(
        (o) => foreign(o) && !seen.sameNamed.some((x) => x.metadata.uid === o.metadata.uid),
    );
    for (const pv of seen.pvs.filter((p) => !oldPvs.includes(p))) {
        const s = pvSecret(pv);
        const i = found.leftovers.findIndex(
            (o) => `${o.metadata.namespace}/${o.metadata.name}` === s,
        );
        if (i >= 0) {
            notes.push(
                `Secret ${s} stays: PersistentVolume ${pv.metadata.name} still mounts with it.`,
            );
            found.leftovers.splice(i, 1);
        }
    }
    return found;
}

/** Every reason the image could come to harm, or the takeover land on the wrong one. */
function dataRefusals(t: Target, seen: Observed, f: Found): string[] {
    return [...imageRefusals(t, seen, f), ...pvRefusals(t, seen, f), ...podRefusals(t, seen, f)];
}

/** The image is missing or too big, or the claim is bound to another image. */
function imageRefusals(t: Target, seen: Observed, f: Found): string[] {
    const out: string[] = [];
    const at = `${t.pool}/${t.image}`;
    if (!seen.image.exists) {
        out.push(
            `rbd image ${at} does not exist, so there is nothing to take over; nothing was changed. ` +
                `Set jenkins-ceph:volume.image (and ceph.pool) to the image Jenkins' home is on (rbd ls ${t.pool} lists them).`,
        );
    } else if (seen.image.sizeBytes > t.sizeBytes) {
        out.push(
            `rbd image ${at} holds ${bytesAsQuantity(seen.image.sizeBytes)}, more than jenkins-ceph:volume.size ` +
                `(${bytesAsQuantity(t.sizeBytes)}), and the stack never shrinks an image; nothing was changed. ` +
                `Set volume.size to ${bytesAsQuantity(seen.image.sizeBytes)}.`,
        );
    }
    const claimPvName = f.oldClaim?.spec?.volumeName;
    if (claimPvName && !f.oldPvs.some((pv) => pv.metadata.name === claimPvName)) {
        const pv = seen.pvs.find((p) => p.metadata.name === claimPvName);
        const src = pv && pvImage(pv);
        out.push(
            `the claim ${t.namespace}/${t.claimName} is bound to PersistentVolume ${claimPvName}, which is ` +
                `${src ? `rbd image ${src.pool}/${src.image}` : "not an rbd image"}, not the stack's ${at}; nothing was changed. ` +
                (src
                    ? `If Jenkins' home is ${src.pool}/${src.image}, set jenkins-ceph:volume.image to ${src.image} and ceph.pool to ${src.pool}.`
                    : `Take over only a Jenkins whose home is on Ceph RBD.`),
        );
    }
    return out;
}

/** A PV on the image that is Delete or bound elsewhere, or the stack's PV name taken. */
function pvRefusals(t: Target, seen: Observed, f: Found): string[] {
    const out: string[] = [];
    const at = `${t.pool}/${t.image}`;
    for (const pv of f.oldPvs) {
        const policy = pv.spec?.persistentVolumeReclaimPolicy;
        if (policy !== "Retain") {
            out.push(
                `PersistentVolume ${pv.metadata.name} has reclaim policy ${policy}: removing its claim would delete rbd image ${at} ` +
                    `with Jenkins' home; nothing was changed. Make it Retain first: ` +
                    `kubectl patch pv ${pv.metadata.name} -p '{"spec":{"persistentVolumeReclaimPolicy":"Retain"}}'`,
            );
        }
        const ref = pv.spec?.claimRef;
        const ours = ref?.namespace === t.namespace && ref?.name === t.claimName;
        if (ref && !ours && pv.status?.phase === "Bound") {
            out.push(
                `PersistentVolume ${pv.metadata.name} is also on rbd image ${at} and is bound to the claim ` +
                    `${ref.namespace}/${ref.name}, not the stack's ${t.namespace}/${t.claimName}; nothing was changed. ` +
                    `If that claim is Jenkins' home, set jenkins-ceph:jenkins.namespace to ${ref.namespace} and ` +
                    `volume.claimName to ${ref.name}; otherwise stop what uses it and delete it (two claims on one image would corrupt it).`,
            );
        }
    }
    const pvNamed = seen.pvs.find((p) => p.metadata.name === t.pvName);
    if (pvNamed && !seen.managedUids.has(pvNamed.metadata.uid) && !f.oldPvs.includes(pvNamed)) {
        out.push(
            `PersistentVolume ${t.pvName} already exists and is not on rbd image ${at}; nothing was changed. ` +
                `Set jenkins-ceph:volume.pvName to a free name.`,
        );
    }
    return out;
}

/** Pods on the old claim: Jenkins' own go when it is scaled down; any other would keep it. */
function podRefusals(t: Target, seen: Observed, f: Found): string[] {
    const out: string[] = [];
    if (f.oldClaim) {
        for (const pod of seen.pods.filter((p) => claimOf(p).includes(t.claimName))) {
            const owner = deploymentOf(pod, seen.replicaSets);
            if (!f.oldDeployment || owner !== f.oldDeployment.metadata.uid) {
                out.push(
                    `pod ${t.namespace}/${pod.metadata.name} mounts the claim ${t.claimName} and is not part of ` +
                        `Deployment ${t.deployment}, so stopping Jenkins would not free the volume; nothing was changed. ` +
                        `Stop that pod first (kubectl -n ${t.namespace} delete pod ${pod.metadata.name}).`,
                );
            }
        }
    }
    return out;
}

function plannedSteps(t: Target, imageId: string, f: Found): Step[] {
    const at = `${t.pool}/${t.image}`;
    const steps: Step[] = [...stopSteps(t, f), ...deleteSteps(t, f)];
    steps.push({
        do: "up",
        say: `pulumi up: the stack creates its PV ${t.pvName} pre-bound to the claim ${t.namespace}/${t.claimName} on rbd image ${at}, adopts the image unchanged and starts Jenkins`,
    });
    steps.push({
        do: "verify",
        imageId,
        say: `check that PV ${t.pvName} is Bound and on the same image (rbd id ${imageId}), then that pulumi preview shows no changes`,
    });
    for (const o of f.leftovers) {
        steps.push({
            do: "delete",
            object: o,
            say: `delete ${describe(o)}: no PV mounts with it any more, and the stack keeps the key in ${t.secretNamespace}, away from the pods Jenkins starts`,
        });
    }
    return steps;
}

/** Save what is replaced, stop Jenkins, and check nobody has the image open. */
function stopSteps(t: Target, f: Found): Step[] {
    const at = `${t.pool}/${t.image}`;
    const steps: Step[] = [];
    const saved = [...f.replaced, ...(f.oldClaim ? [f.oldClaim] : []), ...f.oldPvs].filter(
        (o) => o.kind !== "Secret",
    );
    if (saved.length) {
        steps.push({
            do: "backup",
            objects: saved,
            say: `save ${saved.map(describe).join(", ")} as re-creatable manifests (Secrets are not saved: their keys are in the stack)`,
        });
    }
    const d = f.oldDeployment;
    if (d) {
        const replicas = Number(d.spec?.replicas ?? 1);
        steps.push({
            do: "scale-down",
            deployment: d,
            replicas,
            say: `stop Jenkins: scale ${describe(d)} from ${replicas} to 0 and wait until no pod of it is left (it is scaled back to ${replicas} if one stays)`,
        });
    }
    if (f.oldClaim || f.oldPvs.length) {
        steps.push({
            do: "check-closed",
            say: `refuse if rbd image ${at} is still open by any client (a node that has not unmapped it)`,
        });
    }
    return steps;
}

/** Delete the hand-made objects the stack replaces: the PV only, never the image. */
function deleteSteps(t: Target, f: Found): Step[] {
    const at = `${t.pool}/${t.image}`;
    const steps: Step[] = [];
    for (const o of f.replaced) {
        steps.push({
            do: "delete",
            object: o,
            say: `delete ${describe(o)} (the stack creates its own${o.kind === "Secret" ? " from its cephUserKey" : ""})`,
        });
    }
    if (f.oldClaim) {
        steps.push({
            do: "delete",
            object: f.oldClaim,
            say: `delete the claim ${t.namespace}/${t.claimName}: its PV is Retain, so rbd image ${at} stays`,
        });
    }
    for (const pv of f.oldPvs) {
        steps.push({
            do: "delete",
            object: pv,
            say: `delete PersistentVolume ${pv.metadata.name} (Retain: the object only; the image stays; its ${pv.spec?.accessModes?.join(",")} becomes ${t.accessMode})`,
        });
    }
    return steps;
}

/** The takeover's plan: refusals (then no step at all), or the steps in order. */
export function planTakeover(t: Target, seen: Observed): Plan {
    const refusals: string[] = [];
    const notes: string[] = [];
    const found = sortOut(t, seen, refusals, notes);
    refusals.unshift(...dataRefusals(t, seen, found));
    const { adopted } = found;
    if (refusals.length || !seen.image.exists) return { refusals, steps: [], adopted, notes };
    return { refusals, steps: plannedSteps(t, seen.image.id, found), adopted, notes };
}
