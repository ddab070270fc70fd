// Jenkins' home: a PVC on the Ceph StorageClass (dynamic), or an rbd image with a
// PV/PVC pre-bound to each other (static), as in the seed's two procedures.
import * as pulumi from "@pulumi/pulumi";
import {
    PersistentVolume,
    PersistentVolumeArgs,
    PersistentVolumeClaim,
    PersistentVolumeClaimArgs,
} from "@pulumi/kubernetes/core/v1";
import { APP_LABEL } from "./names";
import { Provisioner } from "./cephStorage";
import { RbdImage, RbdImageArgs } from "./rbdImage";
import { RetainedVolumeNote } from "./retainedVolumeNote";

interface CommonVolumeArgs {
    namespace: pulumi.Input<string>;
    claimName: string;
    /** Kubernetes quantity, e.g. "100Gi". */
    size: string;
    accessMode: string;
    /** protect the PV, PVC and image: `pulumi destroy` and replacements then stop with an error. */
    protect: boolean;
    /** Resources the claim must wait for (Secrets, StorageClass). */
    dependsOn?: pulumi.Resource[];
}

export interface DynamicVolumeArgs extends CommonVolumeArgs {
    mode: "dynamic";
    storageClassName: pulumi.Input<string>;
    /** The class's policy: with Retain, a destroy says which PV and image it leaves. */
    reclaimPolicy: "Retain" | "Delete";
    pool: string;
}

export interface StaticVolumeArgs extends CommonVolumeArgs {
    mode: "static";
    pvName: string;
    provisioner: Provisioner;
    /** in-tree: the class named on PV and PVC; csi static volumes use "" (ceph-csi docs). */
    storageClassName: string;
    fsType: string;
    userSecretName: pulumi.Input<string>;
    clusterId?: string;
    csiDriver: string;
    rbd: RbdImageArgs;
}

export type JenkinsVolumeArgs = DynamicVolumeArgs | StaticVolumeArgs;

export function claimArgs(args: JenkinsVolumeArgs): PersistentVolumeClaimArgs {
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
        spec: { ...spec, storageClassName: staticClassName(args), volumeName: args.pvName },
    };
}

function staticClassName(args: StaticVolumeArgs): string {
    return args.provisioner === "csi" ? "" : args.storageClassName;
}

export function persistentVolumeArgs(args: StaticVolumeArgs): PersistentVolumeArgs {
    const source =
        args.provisioner === "in-tree"
            ? {
                  rbd: {
                      monitors: args.rbd.monitors,
                      pool: args.rbd.pool,
                      image: args.rbd.image,
                      user: args.rbd.userId,
                      secretRef: { name: args.userSecretName, namespace: args.namespace },
                      fsType: args.fsType,
                  },
              }
            : {
                  csi: {
                      driver: args.csiDriver,
                      fsType: args.fsType,
                      volumeHandle: args.rbd.image,
                      nodeStageSecretRef: { name: args.userSecretName, namespace: args.namespace },
                      volumeAttributes: {
                          clusterID: requireClusterId(args),
                          pool: args.rbd.pool,
                          staticVolume: "true",
                          imageFeatures: args.rbd.features,
                      },
                  },
              };
    return {
        metadata: { name: args.pvName, labels: { ...APP_LABEL } },
        spec: {
            capacity: { storage: args.size },
            accessModes: [args.accessMode],
            // Static images are never deleted by Kubernetes (ceph-csi requires Retain).
            persistentVolumeReclaimPolicy: "Retain",
            storageClassName: staticClassName(args),
            volumeMode: "Filesystem",
            // Pre-bound: no other claim can take this volume.
            claimRef: { namespace: args.namespace, name: args.claimName },
            ...source,
        },
    };
}

function requireClusterId(args: StaticVolumeArgs): string {
    if (!args.clusterId) throw new Error("JenkinsVolume: clusterId is required with csi");
    return args.clusterId;
}

export class JenkinsVolume extends pulumi.ComponentResource {
    public readonly claim: PersistentVolumeClaim;
    public readonly claimName: pulumi.Output<string>;
    public readonly volume?: PersistentVolume;
    public readonly image?: RbdImage;

    constructor(name: string, args: JenkinsVolumeArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jenkins-ceph:index:JenkinsVolume", name, {}, opts);
        const child = { parent: this, protect: args.protect, deleteBeforeReplace: true };
        let claimDeps = args.dependsOn ?? [];
        const claimOpts: pulumi.CustomResourceOptions = { ...child };

        if (args.mode === "static") {
            this.image = new RbdImage(`${name}-image`, args.rbd, {
                parent: this,
                protect: args.protect,
            });
            this.volume = new PersistentVolume(`${name}-pv`, persistentVolumeArgs(args), {
                ...child,
                dependsOn: [this.image, ...claimDeps],
            });
            claimDeps = [this.volume];
            // A static claim's request cannot change (no StorageClass to expand it);
            // growth is applied to the image and the PV's capacity instead.
            claimOpts.ignoreChanges = ["spec.resources.requests.storage"];
        }

        this.claim = new PersistentVolumeClaim(`${name}-pvc`, claimArgs(args), {
            ...claimOpts,
            dependsOn: claimDeps,
        });
        this.claimName = this.claim.metadata.name;
        if (args.mode === "dynamic" && args.reclaimPolicy === "Retain") {
            new RetainedVolumeNote(
                `${name}-kept`,
                { claim: this.claim, pool: args.pool },
                { parent: this },
            );
        }
        this.registerOutputs({ claimName: this.claimName, pvName: this.volume?.metadata.name });
    }
}
