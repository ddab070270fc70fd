// The ceph-csi RBD driver installed from its official Helm chart, so the monitors in
// stack config reach the driver's ceph-csi-config (clusterID -> monitors).
import * as pulumi from "@pulumi/pulumi";
import { Namespace } from "@pulumi/kubernetes/core/v1";
import { namespaceLabels } from "../cluster/keptNamespace";
// The release module alone: helm/v3 also loads the Chart machinery (~35 ms at start-up).
import { Release, ReleaseArgs } from "@pulumi/kubernetes/helm/v3/release";

const CEPH_CSI_CHART_REPO = "https://ceph.github.io/csi-charts";

export interface CephCsiDriverArgs {
    namespace: string;
    /** The chart from the official repository, at this version. */
    chartVersion: string;
    /** A local copy of the chart instead (a mirror, an air-gapped cluster); the version is its own. */
    chartPath?: string;
    /**
     * Provisioner pods. The chart's 3 come with required anti-affinity, so on a cluster
     * with fewer nodes two of them stay Pending and the install never becomes ready.
     */
    provisionerReplicas: number;
    /** The provisioner name the chart registers; the StorageClass must use the same. */
    driverName: string;
    clusterId: string;
    monitors: string[];
    /** Protect the release and its namespace, as the stack protects its volume. */
    protect: boolean;
}

/** The chart's values: only the driver and its config; Secrets and StorageClass are ours. */
function cephCsiValues(args: CephCsiDriverArgs) {
    return {
        driverName: args.driverName,
        csiConfig: [{ clusterID: args.clusterId, monitors: args.monitors }],
        provisioner: { replicaCount: args.provisionerReplicas },
        storageClass: { create: false },
        secret: { create: false },
    };
}

function cephCsiReleaseArgs(args: CephCsiDriverArgs, namespace: pulumi.Input<string>): ReleaseArgs {
    return {
        name: "ceph-csi-rbd",
        ...(args.chartPath
            ? { chart: args.chartPath }
            : {
                  chart: "ceph-csi-rbd",
                  version: args.chartVersion,
                  repositoryOpts: { repo: CEPH_CSI_CHART_REPO },
              }),
        namespace,
        values: cephCsiValues(args),
        // Roll back a failed install rather than leave a half driver behind.
        atomic: true,
        timeout: 600,
    };
}

/**
 * The driver serves every claim on the cluster, not only this stack's: a destroy leaves
 * it installed (retainOnDelete) instead of taking it from the others. Removing it is a
 * cluster administrator's `helm uninstall`, once nothing uses it.
 */
function shared(protect: boolean): pulumi.CustomResourceOptions {
    return { protect, retainOnDelete: true };
}

export class CephCsiDriver extends pulumi.ComponentResource {
    public readonly release: Release;
    public readonly namespace: pulumi.Output<string>;

    constructor(name: string, args: CephCsiDriverArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jenkins-ceph:index:CephCsiDriver", name, {}, opts);
        // The node plugin mounts host paths and runs privileged: its namespace must allow it.
        const ns = new Namespace(
            `${name}-ns`,
            {
                metadata: {
                    name: args.namespace,
                    labels: namespaceLabels("privileged", { partOfJenkins: false }),
                },
            },
            { parent: this, deleteBeforeReplace: true, ...shared(args.protect) },
        );
        this.namespace = ns.metadata.name;
        this.release = new Release(name, cephCsiReleaseArgs(args, ns.metadata.name), {
            parent: this,
            ...shared(args.protect),
        });
        this.registerOutputs({ namespace: this.namespace, releaseStatus: this.release.status });
    }
}
