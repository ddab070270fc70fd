// Jenkins' home: a claim on the Ceph StorageClass (dynamic), or an rbd image with a PV
// and claim pre-bound to each other (static), as in the two 2018 procedures (docs/history-2018.md).
import type { RbdWords } from "../rbd/rbdScript";
import { rbdImageOfPv } from "./pvImage";
import * as pulumi from "@pulumi/pulumi";
import {
    PersistentVolume,
    PersistentVolumeArgs,
    PersistentVolumeClaim,
    PersistentVolumeClaimArgs,
} from "@pulumi/kubernetes/core/v1";
import { APP_LABEL } from "../jenkins/names";
import type { CephConnection, StaticImage } from "./cephConnection";
import { RbdImage, SshHost } from "../rbd/rbdImage";
import { RemovalGuard } from "../rbd/rbdRemoval";
import { RetainedVolumeNote } from "./retainedVolumeNote";
import { JenkinsSnapshot, SnapshotInfo } from "../rbd/jenkinsSnapshot";
import type { SnapshotParams } from "../rbd/rbdScript";

interface CommonVolumeArgs {
    namespace: pulumi.Input<string>;
    claimName: string;
    /** Kubernetes quantity, e.g. "100Gi". */
    size: string;
    accessMode: string;
    /** protect the PV, claim and image: `pulumi destroy` and replacements then stop with an error. */
    protect: boolean;
    /** What the claim must wait for (the Secrets and class, a csi driver). */
    dependsOn?: pulumi.Resource[];
    /** Snapshot the image before Jenkins restarts on different software; undefined = off. */
    snapshots?: SnapshotArgs;
    /** How the rbd steps' messages name the settings (rbdScript.ts's RbdWords). */
    words?: RbdWords;
    /** Run every rbd step on this host over SSH; undefined = on the machine running Pulumi. */
    rbdHost?: SshHost;
}

export interface SnapshotArgs {
    fingerprints: SnapshotParams["fingerprints"];
    keep: number;
    /** How rbd reaches Ceph (dynamic mode: the image comes from the bound PV). */
    connection: CephConnection;
}

export interface DynamicVolumeArgs extends CommonVolumeArgs {
    mode: "dynamic";
    storageClassName: string;
    /** Read the bound PV's image (provisionedImage) even without snapshots: backups need it. */
    readImage?: boolean;
    /**
     * The policy of the class this stack made: with Retain, a destroy says which PV and
     * image it leaves. Undefined for a class the cluster had (its policy is not ours).
     */
    reclaimPolicy?: "Retain" | "Delete";
}

export interface StaticVolumeArgs extends CommonVolumeArgs {
    mode: "static";
    connection: CephConnection;
    pvName: string;
    /** The stack's class name; only in-tree static volumes name it (see staticClassName). */
    storageClassName: string;
    image: StaticImage;
}

export type JenkinsVolumeArgs = DynamicVolumeArgs | StaticVolumeArgs;

function claimArgs(args: JenkinsVolumeArgs): PersistentVolumeClaimArgs {
    const spec = {
        accessModes: [args.accessMode],
        resources: { requests: { storage: args.size } },
        volumeMode: "Filesystem",
    };
    const metadata = { name: args.claimName, namespace: args.namespace, labels: { ...APP_LABEL } };
    if (args.mode === "dynamic") {
        return { metadata, spec: { ...spec, storageClassName: args.storageClassName } };
    }
    return {
        metadata,
        spec: {
            ...spec,
            storageClassName: args.connection.staticClassName(args.storageClassName),
            volumeName: args.pvName,
        },
    };
}

function persistentVolumeArgs(args: StaticVolumeArgs): PersistentVolumeArgs {
    return {
        metadata: { name: args.pvName, labels: { ...APP_LABEL } },
        spec: {
            capacity: { storage: args.size },
            accessModes: [args.accessMode],
            // Static images are never deleted by Kubernetes (ceph-csi requires Retain).
            persistentVolumeReclaimPolicy: "Retain",
            storageClassName: args.connection.staticClassName(args.storageClassName),
            volumeMode: "Filesystem",
            // Pre-bound: no other claim can take this volume.
            claimRef: { namespace: args.namespace, name: args.claimName },
            ...args.connection.volumeSource(args.image.image),
        },
    };
}

export class JenkinsVolume extends pulumi.ComponentResource {
    public readonly claimName: pulumi.Output<string>;
    public readonly volume?: PersistentVolume;
    public readonly image?: RbdImage;
    /** This program's snapshots of the image, oldest first (snapshots on). */
    public readonly snapshots?: pulumi.Output<SnapshotInfo[]>;
    /** pool/image of a dynamic volume, as the bound PV names it ("" before it is bound; snapshots or readImage on). */
    public readonly provisionedImage?: pulumi.Output<string>;

    constructor(name: string, args: JenkinsVolumeArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jenkins-ceph:index:JenkinsVolume", name, {}, opts);
        // Create before delete: a replacement that stays is always under a new name (the
        // home check refuses same-name ones, which the API server refuses too), and the old
        // claim must outlive the pod that still mounts it. Deleting it first would hang on
        // the pvc-protection finalizer with Jenkins still running on it.
        const child = { parent: this, protect: args.protect };
        const guards = removalGuards(name);
        let claimDeps = args.dependsOn ?? [];
        const claimOpts: pulumi.CustomResourceOptions = { ...child };
        if (args.mode === "static") {
            this.image = new RbdImage(
                `${name}-image`,
                {
                    ...args.connection.rbdParams(args.image),
                    words: args.words,
                    userKey: args.connection.args.userKey,
                    host: args.rbdHost,
                    removal: guards.image,
                    protect: args.protect,
                },
                child,
            );
            this.volume = new PersistentVolume(`${name}-pv`, persistentVolumeArgs(args), {
                ...child,
                dependsOn: [this.image, ...claimDeps],
            });
            claimDeps = [this.volume];
            // A static claim's request cannot change (no StorageClass to expand it);
            // growth is applied to the image and the PV's capacity instead.
            claimOpts.ignoreChanges = ["spec.resources.requests.storage"];
        }
        const claim = new PersistentVolumeClaim(`${name}-pvc`, claimArgs(args), {
            ...claimOpts,
            dependsOn: claimDeps,
        });
        this.claimName = claim.metadata.name;
        const pv = boundVolume(this, name, args, claim);
        if (pv) {
            this.provisionedImage = pv.apply((v) =>
                v ? v.spec.apply((x) => poolImage(rbdImageOfPv(x))) : pulumi.output(""),
            );
        }
        if (args.snapshots) {
            const step = snapshotStep(this, name, args, args.snapshots, claim, pv, guards.snapshot);
            this.snapshots = step.apply((x) =>
                x ? x.snapshots : pulumi.output<SnapshotInfo[]>([]),
            );
        }
        if (args.mode === "dynamic" && args.reclaimPolicy === "Retain") {
            new RetainedVolumeNote(`${name}-kept`, { claim }, { parent: this });
        }
        this.registerOutputs({ claimName: this.claimName, pvName: this.volume?.metadata.name });
    }
}

/**
 * A dynamic claim's bound PV, read once for the snapshot step and the backups (never
 * registered); undefined when neither needs it, an undefined PV before the claim is bound.
 */
function boundVolume(
    parent: JenkinsVolume,
    name: string,
    args: JenkinsVolumeArgs,
    claim: PersistentVolumeClaim,
): pulumi.Output<PersistentVolume | undefined> | undefined {
    if (args.mode !== "dynamic" || !(args.snapshots || args.readImage)) return undefined;
    return claim.spec.volumeName.apply((pvName) =>
        pvName ? PersistentVolume.get(`${name}-snapshot-pv`, pvName, { parent }) : undefined,
    );
}

const poolImage = (i: { pool: string; image: string } | undefined) =>
    i ? `${i.pool}/${i.image}` : "";

/** Both guards exist in every mode: a stored step that names one must find it. */
function removalGuards(name: string): { image: RemovalGuard; snapshot: RemovalGuard } {
    return {
        image: new RemovalGuard(
            `${name}-image-remove`,
            ([pool, image]) => `rbd image ${pool}/${image} with its data`,
            ([pool, image]) => `rbd snap purge ${pool}/${image} && rbd rm ${pool}/${image}`,
        ),
        snapshot: new RemovalGuard(
            `${name}-snapshot-purge`,
            ([pool, image]) => `this program's snapshots of rbd image ${pool}/${image}`,
            ([pool, image]) =>
                `rbd snap ls ${pool}/${image}, then rbd snap rm ${pool}/${image}@NAME`,
        ),
    };
}

/**
 * The snapshot step: on the static image, or on the image the provisioner named, read
 * from the bound PV (a first preview, with the claim not yet bound, has none to snapshot).
 */
function snapshotStep(
    parent: JenkinsVolume,
    name: string,
    args: JenkinsVolumeArgs,
    snap: SnapshotArgs,
    claim: PersistentVolumeClaim,
    boundPv: pulumi.Output<PersistentVolume | undefined> | undefined,
    removal: RemovalGuard,
): pulumi.Output<JenkinsSnapshot | undefined> {
    const common = {
        ...snap.connection.rbdClient,
        words: args.words,
        userKey: snap.connection.args.userKey,
        fingerprints: snap.fingerprints,
        keep: snap.keep,
        removal,
        protect: args.protect,
        host: args.rbdHost,
    };
    if (args.mode === "static") {
        return pulumi.output(
            new JenkinsSnapshot(
                `${name}-snapshot`,
                {
                    ...common,
                    pool: snap.connection.args.pool,
                    image: args.image.image,
                    // The image's own removal purges them first (rbd_remove).
                    purgeOnDelete: false,
                },
                { parent, dependsOn: parent.image ? [parent.image] : [] },
            ),
        );
    }
    if (!boundPv) throw new Error("unreachable: a dynamic volume with snapshots reads its PV");
    return boundPv.apply((pv) => {
        if (!pv) return undefined;
        return new JenkinsSnapshot(
            `${name}-snapshot`,
            {
                ...common,
                pool: pv.spec.apply((x) => rbdImageOfPv(x)?.pool ?? ""),
                image: pv.spec.apply((x) => rbdImageOfPv(x)?.image ?? ""),
                // The provisioner cannot delete an image with snapshots.
                purgeOnDelete: args.reclaimPolicy === "Delete",
            },
            { parent, dependsOn: [claim] },
        );
    });
}
