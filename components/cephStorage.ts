// The Ceph credentials as Kubernetes Secrets and, for dynamic volumes, the StorageClass.
import * as pulumi from "@pulumi/pulumi";
import { Secret } from "@pulumi/kubernetes/core/v1";
import { StorageClass } from "@pulumi/kubernetes/storage/v1";
import type { CephConnection } from "./cephConnection";

export interface CephStorageArgs {
    connection: CephConnection;
    /** Namespace of the Secrets (in-tree: must be the claim's namespace for the user secret). */
    namespace: pulumi.Input<string>;
    /** A StorageClass for dynamic volumes; undefined when volumes are static. */
    storageClass?: { name: string; reclaimPolicy: "Retain" | "Delete" };
    /** What the StorageClass waits for, e.g. the csi driver this stack installs. */
    dependsOn?: pulumi.Resource[];
}

/** Depend on the component itself to wait for every Secret and the class. */
export class CephStorage extends pulumi.ComponentResource {
    constructor(name: string, args: CephStorageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jenkins-ceph:index:CephStorage", name, {}, opts);
        const child = { parent: this, deleteBeforeReplace: true };
        const secrets = args.connection
            .secrets(args.namespace)
            .map((s) => new Secret(`${name}-${s.suffix}`, s.args, child));

        if (args.storageClass !== undefined) {
            const { name: className, reclaimPolicy } = args.storageClass;
            new StorageClass(
                `${name}-class`,
                args.connection.storageClass(className, args.namespace, reclaimPolicy),
                {
                    ...child,
                    dependsOn: [...secrets, ...(args.dependsOn ?? [])],
                    // Named after the class before names were prefixed with the component's.
                    aliases: [{ name: className }],
                },
            );
        }
        this.registerOutputs({});
    }
}
