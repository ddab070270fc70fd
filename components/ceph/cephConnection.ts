// One object per way Kubernetes reaches Ceph (ceph-csi, or the in-tree kubernetes.io/rbd
// plugin). Each owns the connection (monitors, pool, user and key) and every shape the
// rest of the program points at Ceph with: the Secrets the provisioner reads, the
// StorageClass, a static PV's volume source and the rbd step's parameters. A new Ceph
// setting is then read in one place, and no caller branches on the provisioner.
import * as pulumi from "@pulumi/pulumi";
import type { SecretArgs } from "@pulumi/kubernetes/core/v1";
import type { StorageClassArgs } from "@pulumi/kubernetes/storage/v1";
import type { input as inputs } from "@pulumi/kubernetes/types";
import type { RbdClient, RbdScriptParams } from "../rbd/rbdScript";

// The Secret names of the 2018 procedure (docs/history-2018.md), kept so existing clusters and runbooks match.
const USER_SECRET = "ceph-secret-user";
const ADMIN_SECRET = "ceph-secret-admin";
/** Every Ceph Secret this program makes (the takeover looks for the hand-made ones). */
export const CEPH_SECRET_NAMES: readonly string[] = [USER_SECRET, ADMIN_SECRET];

export interface CephConnectionArgs {
    monitors: string[];
    pool: string;
    /** Ceph client id without `client.`. */
    user: string;
    userKey: pulumi.Input<string>;
    /**
     * The namespace of the Secrets holding the keys. Not Jenkins' own: whoever can create
     * pods in a namespace can mount its Secrets, and Jenkins creates agent pods.
     */
    secretNamespace: string;
    fsType: string;
    /** Comma-separated rbd image features, e.g. "layering". */
    imageFeatures: string;
    /** Bound for each rbd call against the monitors and OSDs, in seconds. */
    timeoutSeconds: number;
}

/** A Secret the provisioner reads, by its logical suffix and arguments. */
interface CephSecret {
    suffix: "secret-user" | "secret-admin";
    args: SecretArgs;
}

/** What a static image needs beyond the connection. */
export interface StaticImage {
    image: string;
    sizeMiB: bigint;
    deleteOnDestroy: boolean;
    /** The image must exist already: rbd adopts it and never creates it empty. */
    adoptOnly: boolean;
}

export abstract class CephConnection<A extends CephConnectionArgs = CephConnectionArgs> {
    abstract readonly provisioner: "csi" | "in-tree";

    constructor(readonly args: A) {}

    /** The Secrets the provisioner reads, in the connection's secretNamespace. */
    abstract secrets(): CephSecret[];

    /** A StorageClass through which the provisioner creates images. */
    abstract storageClass(name: string, reclaimPolicy: "Retain" | "Delete"): StorageClassArgs;

    /** The PV's volume source for an existing image. */
    abstract volumeSource(image: string): Pick<inputs.core.v1.PersistentVolumeSpec, "rbd" | "csi">;

    /** The class a static PV and its claim name; `storageClassName` is the stack's. */
    abstract staticClassName(storageClassName: string): string;

    /** How every rbd step of this connection reaches Ceph. */
    get rbdClient(): RbdClient {
        return {
            monitors: this.args.monitors,
            userId: this.args.user,
            timeoutSeconds: this.args.timeoutSeconds,
        };
    }

    /** Parameters of the rbd step that creates, adopts and grows a static image. */
    rbdParams(image: StaticImage): RbdScriptParams {
        return {
            ...this.rbdClient,
            pool: this.args.pool,
            image: image.image,
            sizeMiB: image.sizeMiB,
            features: this.args.imageFeatures,
            deleteOnDestroy: image.deleteOnDestroy,
            adoptOnly: image.adoptOnly,
        };
    }
}

export interface CsiCephConnectionArgs extends CephConnectionArgs {
    /** The clusterID the driver's ceph-csi-config maps to the monitors. */
    clusterId: string;
    /** The driver's name, e.g. rbd.csi.ceph.com (Rook: rook-ceph.rbd.csi.ceph.com). */
    csiDriver: string;
}

export class CsiCephConnection extends CephConnection<CsiCephConnectionArgs> {
    readonly provisioner = "csi" as const;

    secrets(): CephSecret[] {
        const namespace = this.args.secretNamespace;
        return [
            {
                suffix: "secret-user",
                args: {
                    metadata: { name: USER_SECRET, namespace },
                    type: "Opaque",
                    stringData: { userID: this.args.user, userKey: this.args.userKey },
                },
            },
        ];
    }

    storageClass(name: string, reclaimPolicy: "Retain" | "Delete"): StorageClassArgs {
        const secretNamespace = this.args.secretNamespace;
        const secretParams: Record<string, pulumi.Input<string>> = {};
        for (const use of ["provisioner", "controller-expand", "node-stage"]) {
            secretParams[`csi.storage.k8s.io/${use}-secret-name`] = USER_SECRET;
            secretParams[`csi.storage.k8s.io/${use}-secret-namespace`] = secretNamespace;
        }
        return {
            ...classCommon(name, reclaimPolicy),
            provisioner: this.args.csiDriver,
            parameters: {
                clusterID: this.args.clusterId,
                pool: this.args.pool,
                imageFeatures: this.args.imageFeatures,
                "csi.storage.k8s.io/fstype": this.args.fsType,
                ...secretParams,
            },
        };
    }

    // As ceph-csi's static-volume documentation requires.
    volumeSource(image: string) {
        const secretNamespace = this.args.secretNamespace;
        return {
            csi: {
                driver: this.args.csiDriver,
                fsType: this.args.fsType,
                volumeHandle: image,
                nodeStageSecretRef: { name: USER_SECRET, namespace: secretNamespace },
                volumeAttributes: {
                    clusterID: this.args.clusterId,
                    pool: this.args.pool,
                    staticVolume: "true",
                    imageFeatures: this.args.imageFeatures,
                },
            },
        };
    }

    /** ceph-csi static volumes take no class: "" keeps the default class away. */
    staticClassName(): string {
        return "";
    }
}

export interface InTreeCephConnectionArgs extends CephConnectionArgs {
    /** The id that creates images in dynamic mode. */
    adminId: string;
    /** Its key: only dynamic mode puts it in the cluster. */
    adminKey?: pulumi.Input<string>;
}

export class InTreeCephConnection extends CephConnection<InTreeCephConnectionArgs> {
    readonly provisioner = "in-tree" as const;

    // The in-tree plugin wants type kubernetes.io/rbd and the key under `key`.
    secrets(): CephSecret[] {
        const namespace = this.args.secretNamespace;
        const secret = (suffix: CephSecret["suffix"], name: string, key: pulumi.Input<string>) => ({
            suffix,
            args: { metadata: { name, namespace }, type: "kubernetes.io/rbd", stringData: { key } },
        });
        const out = [secret("secret-user", USER_SECRET, this.args.userKey)];
        if (this.args.adminKey !== undefined) {
            out.push(secret("secret-admin", ADMIN_SECRET, this.args.adminKey));
        }
        return out;
    }

    storageClass(name: string, reclaimPolicy: "Retain" | "Delete"): StorageClassArgs {
        const secretNamespace = this.args.secretNamespace;
        return {
            ...classCommon(name, reclaimPolicy),
            provisioner: "kubernetes.io/rbd",
            parameters: {
                monitors: this.args.monitors.join(","),
                adminId: this.args.adminId,
                adminSecretName: ADMIN_SECRET,
                adminSecretNamespace: secretNamespace,
                pool: this.args.pool,
                userId: this.args.user,
                userSecretName: USER_SECRET,
                userSecretNamespace: secretNamespace,
                fsType: this.args.fsType,
                imageFormat: "2",
                imageFeatures: this.args.imageFeatures,
            },
        };
    }

    volumeSource(image: string) {
        const { monitors, pool, user, secretNamespace } = this.args;
        return {
            rbd: {
                monitors,
                pool,
                image,
                user,
                secretRef: { name: USER_SECRET, namespace: secretNamespace },
                fsType: this.args.fsType,
            },
        };
    }

    staticClassName(storageClassName: string): string {
        return storageClassName;
    }
}

function classCommon(name: string, reclaimPolicy: "Retain" | "Delete") {
    return {
        metadata: { name },
        reclaimPolicy,
        allowVolumeExpansion: true,
        volumeBindingMode: "Immediate",
    };
}
