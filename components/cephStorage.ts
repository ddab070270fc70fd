// The Ceph credentials as Kubernetes Secrets and, for dynamic volumes, the StorageClass.
import * as pulumi from "@pulumi/pulumi";
import { Secret, SecretArgs } from "@pulumi/kubernetes/core/v1";
import { StorageClass, StorageClassArgs } from "@pulumi/kubernetes/storage/v1";
import { IN_TREE_RBD_PROVISIONER, SECRET_NAMES } from "./names";

export type Provisioner = "csi" | "in-tree";

export interface CephStorageArgs {
    /** Namespace of the Secrets (in-tree: must be the PVC's namespace for the user secret). */
    namespace: pulumi.Input<string>;
    provisioner: Provisioner;
    monitors: string[];
    pool: string;
    /** Ceph client id without `client.`. */
    userId: string;
    userKey: pulumi.Input<string>;
    /** In-tree only: the id that creates images, and its key. */
    adminId: string;
    adminKey?: pulumi.Input<string>;
    /** csi only: the clusterID the driver's ceph-csi-config maps to monitors. */
    clusterId?: string;
    csiDriver: string;
    /** Create a StorageClass of this name; leave undefined when volumes are static. */
    storageClassName?: string;
    fsType: string;
    imageFeatures: string;
    reclaimPolicy: "Retain" | "Delete";
    /** What the StorageClass waits for, e.g. the csi driver this stack installs. */
    dependsOn?: pulumi.Resource[];
}

/** The Secrets each provisioner reads: in-tree wants type kubernetes.io/rbd and key `key`. */
export function cephSecretArgs(args: CephStorageArgs): { name: string; args: SecretArgs }[] {
    if (args.provisioner === "csi") {
        return [
            {
                name: SECRET_NAMES.user,
                args: {
                    metadata: { name: SECRET_NAMES.user, namespace: args.namespace },
                    type: "Opaque",
                    stringData: { userID: args.userId, userKey: args.userKey },
                },
            },
        ];
    }
    const secret = (name: string, key: pulumi.Input<string>) => ({
        name,
        args: {
            metadata: { name, namespace: args.namespace },
            type: "kubernetes.io/rbd",
            stringData: { key },
        },
    });
    const out = [secret(SECRET_NAMES.user, args.userKey)];
    if (args.adminKey !== undefined) out.push(secret(SECRET_NAMES.admin, args.adminKey));
    return out;
}

/** Every parameter the provisioner needs (REFERENCE.md §2, §3). */
export function storageClassArgs(
    args: CephStorageArgs & { storageClassName: string },
): StorageClassArgs {
    const common = {
        metadata: { name: args.storageClassName },
        reclaimPolicy: args.reclaimPolicy,
        allowVolumeExpansion: true,
        volumeBindingMode: "Immediate",
    };
    if (args.provisioner === "in-tree") {
        return {
            ...common,
            provisioner: IN_TREE_RBD_PROVISIONER,
            parameters: {
                monitors: args.monitors.join(","),
                adminId: args.adminId,
                adminSecretName: SECRET_NAMES.admin,
                adminSecretNamespace: args.namespace,
                pool: args.pool,
                userId: args.userId,
                userSecretName: SECRET_NAMES.user,
                userSecretNamespace: args.namespace,
                fsType: args.fsType,
                imageFormat: "2",
                imageFeatures: args.imageFeatures,
            },
        };
    }
    if (!args.clusterId) throw new Error("CephStorage: clusterId is required with csi");
    const secretParams: Record<string, pulumi.Input<string>> = {};
    for (const use of ["provisioner", "controller-expand", "node-stage"]) {
        secretParams[`csi.storage.k8s.io/${use}-secret-name`] = SECRET_NAMES.user;
        secretParams[`csi.storage.k8s.io/${use}-secret-namespace`] = args.namespace;
    }
    return {
        ...common,
        provisioner: args.csiDriver,
        parameters: {
            clusterID: args.clusterId,
            pool: args.pool,
            imageFeatures: args.imageFeatures,
            "csi.storage.k8s.io/fstype": args.fsType,
            ...secretParams,
        },
    };
}

export class CephStorage extends pulumi.ComponentResource {
    public readonly userSecretName: pulumi.Output<string>;
    public readonly secretNamespace: pulumi.Output<string>;
    public readonly storageClassName?: pulumi.Output<string>;
    /** What depends on the credentials (PVs, PVCs) waits for these. */
    public readonly resources: pulumi.Resource[];

    constructor(name: string, args: CephStorageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jenkins-ceph:index:CephStorage", name, {}, opts);
        const child = { parent: this, deleteBeforeReplace: true };

        const secrets = cephSecretArgs(args).map((s) => new Secret(s.name, s.args, child));
        this.resources = [...secrets];
        this.userSecretName = secrets[0].metadata.name;
        this.secretNamespace = secrets[0].metadata.namespace;

        if (args.storageClassName !== undefined) {
            const sc = new StorageClass(
                args.storageClassName,
                storageClassArgs({ ...args, storageClassName: args.storageClassName }),
                { ...child, dependsOn: [...secrets, ...(args.dependsOn ?? [])] },
            );
            this.resources.push(sc);
            this.storageClassName = sc.metadata.name;
        }

        this.registerOutputs({
            userSecretName: this.userSecretName,
            storageClassName: this.storageClassName,
        });
    }
}
