// The Ceph credentials as Kubernetes Secrets, in a namespace of their own unless the
// stack names an existing one, and, for dynamic volumes, the StorageClass.
import * as pulumi from "@pulumi/pulumi";
import { Secret } from "@pulumi/kubernetes/core/v1";
import { keptNamespace, namespaceLabels } from "../cluster/keptNamespace";
import { StorageClass } from "@pulumi/kubernetes/storage/v1";
import type { CephConnection } from "./cephConnection";

export interface CephStorageArgs {
    connection: CephConnection;
    /**
     * Create the connection's secretNamespace. False when another part of the stack owns
     * it (Jenkins' namespace, the csi driver's namespace).
     */
    createSecretNamespace: boolean;
    /** A StorageClass for dynamic volumes; undefined when volumes are static. */
    storageClass?: { name: string; reclaimPolicy: "Retain" | "Delete" };
    /** What the Secrets and class wait for: the namespace that holds them, the csi driver. */
    dependsOn?: pulumi.Resource[];
}

/** Depend on the component itself to wait for every Secret and the class. */
export class CephStorage extends pulumi.ComponentResource {
    constructor(name: string, args: CephStorageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jenkins-ceph:index:CephStorage", name, {}, opts);
        const child = { parent: this, deleteBeforeReplace: true };
        const deps = [...(args.dependsOn ?? [])];
        if (args.createSecretNamespace) {
            deps.push(
                keptNamespace(
                    `${name}-secrets`,
                    {
                        name: args.connection.args.secretNamespace,
                        // Nothing runs here; refuse any pod that is not restricted.
                        labels: namespaceLabels("restricted"),
                    },
                    child,
                ),
            );
        }
        const secrets = args.connection
            .secrets()
            .map((s) => new Secret(`${name}-${s.suffix}`, s.args, { ...child, dependsOn: deps }));

        if (args.storageClass !== undefined) {
            const { name: className, reclaimPolicy } = args.storageClass;
            new StorageClass(
                `${name}-class`,
                args.connection.storageClass(className, reclaimPolicy),
                {
                    ...child,
                    dependsOn: [...secrets, ...deps],
                    // Named after the class before names were prefixed with the component's.
                    aliases: [{ name: className }],
                },
            );
        }
        this.registerOutputs({});
    }
}
