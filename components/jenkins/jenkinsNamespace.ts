// The namespace Jenkins, its volume claim and the Ceph secrets live in, with the Pod
// Security Standard the API server enforces on every pod in it.
import * as pulumi from "@pulumi/pulumi";
import { Namespace } from "@pulumi/kubernetes/core/v1";
import { keptNamespace } from "../cluster/keptNamespace";

type PodSecurityLevel = "restricted" | "baseline" | "privileged";

export interface JenkinsNamespaceArgs {
    name: string;
    podSecurity: PodSecurityLevel;
}

function namespaceArgs(args: JenkinsNamespaceArgs) {
    const labels: Record<string, string> = {
        "app.kubernetes.io/part-of": "jenkins",
        "pod-security.kubernetes.io/enforce": args.podSecurity,
        "pod-security.kubernetes.io/enforce-version": "latest",
        // Warn and audit at restricted even when enforcement is lowered for agents.
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/audit": "restricted",
    };
    return { name: args.name, labels };
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
