// The namespace Jenkins, its volume claim and the Ceph secrets live in, with the Pod
// Security Standard the API server enforces on every pod in it.
import * as pulumi from "@pulumi/pulumi";
import { Namespace } from "@pulumi/kubernetes/core/v1";
import { keptNamespace, namespaceLabels, PodSecurityLevel } from "../cluster/keptNamespace";

export interface JenkinsNamespaceArgs {
    name: string;
    podSecurity: PodSecurityLevel;
}

function namespaceArgs(args: JenkinsNamespaceArgs) {
    // Warn and audit at restricted even when enforcement is lowered for agents.
    return {
        name: args.name,
        labels: namespaceLabels(args.podSecurity, { pinned: true, audited: true }),
    };
}

export class JenkinsNamespace extends pulumi.ComponentResource {
    public readonly name: pulumi.Output<string>;
    public readonly namespace: Namespace;

    constructor(name: string, args: JenkinsNamespaceArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jenkins-ceph:index:JenkinsNamespace", name, {}, opts);
        this.namespace = keptNamespace(name, namespaceArgs(args), {
            parent: this,
            deleteBeforeReplace: true,
        });
        this.name = this.namespace.metadata.name;
        this.registerOutputs({ name: this.name });
    }
}
