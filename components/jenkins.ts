// The Jenkins controller: Deployment, its Services, and optionally an Ingress and the
// ServiceAccount/Role the Kubernetes plugin needs to start agent pods.
import * as pulumi from "@pulumi/pulumi";
import { Service, ServiceAccount } from "@pulumi/kubernetes/core/v1";
import { Deployment } from "@pulumi/kubernetes/apps/v1";
import { Ingress, NetworkPolicy } from "@pulumi/kubernetes/networking/v1";
import { PodDisruptionBudget } from "@pulumi/kubernetes/policy/v1";
import { Role, RoleBinding } from "@pulumi/kubernetes/rbac/v1";
import { AGENT_PORT, APP_LABEL, HTTP_PORT, JENKINS_HOME } from "./names";
import { createDeploymentArgs, createServiceArgs, JenkinsPodArgs } from "./jenkinsPod";

export interface IngressArgs {
    host: string;
    className?: string;
    tlsSecretName?: string;
    /** The ingress controller's own settings, e.g. nginx.ingress.kubernetes.io/proxy-body-size. */
    annotations: Record<string, string>;
}

export interface NetworkPolicyArgs {
    /** The ingress controller's namespace: the only one that reaches the web UI. */
    ingressNamespace: string;
}

export interface JenkinsArgs extends Omit<JenkinsPodArgs, "serviceAccountName"> {
    ingress?: IngressArgs;
    /** Create a ServiceAccount and Role for the Kubernetes plugin's agent pods, and their Service. */
    agents: boolean;
    /**
     * A PodDisruptionBudget of minAvailable 1. With one replica and a ReadWriteOnce volume
     * it blocks every voluntary eviction, so a node drain waits for a person.
     */
    pdb: boolean;
    /** Admit traffic to the controller only from the ingress controller and agent pods. */
    networkPolicy?: NetworkPolicyArgs;
    /** Resources the Deployment waits for (the volume claim). */
    dependsOn?: pulumi.Resource[];
}

/**
 * The Jenkins chart's agent rules: manage pods, exec into them, read their logs and events.
 * No `secrets` rule (the chart puts it behind rbac.readSecrets): Jenkins does not need it,
 * and any pipeline's Groovy on the controller runs with this account.
 */
const AGENT_RULES = [
    {
        apiGroups: [""],
        resources: ["pods"],
        verbs: ["create", "delete", "get", "list", "patch", "update", "watch"],
    },
    {
        apiGroups: [""],
        resources: ["pods/exec"],
        verbs: ["create", "delete", "get", "list", "patch", "update", "watch"],
    },
    { apiGroups: [""], resources: ["pods/log"], verbs: ["get", "list", "watch"] },
    { apiGroups: [""], resources: ["events"], verbs: ["get", "list", "watch"] },
];

/** The label the Kubernetes plugin puts on every agent pod (its default podLabels). */
const AGENT_POD_LABEL = { jenkins: "slave" };

function networkPolicyArgs(args: NetworkPolicyArgs, name: string, namespace: pulumi.Input<string>) {
    const agents = { podSelector: { matchLabels: AGENT_POD_LABEL } };
    return {
        metadata: { name, namespace, labels: { ...APP_LABEL } },
        spec: {
            podSelector: { matchLabels: { ...APP_LABEL } },
            policyTypes: ["Ingress"],
            ingress: [
                {
                    from: [
                        {
                            namespaceSelector: {
                                matchLabels: {
                                    "kubernetes.io/metadata.name": args.ingressNamespace,
                                },
                            },
                        },
                        // Inbound agents ask the web port where the agent port is first.
                        agents,
                    ],
                    ports: [{ port: HTTP_PORT, protocol: "TCP" }],
                },
                { from: [agents], ports: [{ port: AGENT_PORT, protocol: "TCP" }] },
            ],
        },
    };
}

function ingressArgs(args: IngressArgs, name: string, namespace: pulumi.Input<string>) {
    return {
        metadata: {
            name,
            namespace,
            labels: { ...APP_LABEL },
            annotations: Object.keys(args.annotations).length ? args.annotations : undefined,
        },
        spec: {
            ingressClassName: args.className,
            tls: args.tlsSecretName
                ? [{ hosts: [args.host], secretName: args.tlsSecretName }]
                : undefined,
            rules: [
                {
                    host: args.host,
                    http: {
                        paths: [
                            {
                                path: "/",
                                pathType: "Prefix",
                                backend: { service: { name, port: { name: "http" } } },
                            },
                        ],
                    },
                },
            ],
        },
    };
}

export class Jenkins extends pulumi.ComponentResource {
    public readonly deployment: Deployment;
    public readonly service: Service;
    public readonly agentService?: Service;
    public readonly serviceName: pulumi.Output<string>;
    /** In-cluster URL of the web UI. */
    public readonly url: pulumi.Output<string>;
    /** The kubectl command that prints the first-boot admin password. */
    public readonly initialAdminPasswordCommand: pulumi.Output<string>;

    constructor(name: string, args: JenkinsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jenkins-ceph:index:Jenkins", name, {}, opts);
        const child = { parent: this, deleteBeforeReplace: true };
        const ns = args.namespace;

        let serviceAccountName: pulumi.Output<string> | undefined;
        if (args.agents) {
            const sa = new ServiceAccount(
                `${name}-sa`,
                { metadata: { name: args.name, namespace: ns, labels: { ...APP_LABEL } } },
                child,
            );
            const role = new Role(
                `${name}-agents`,
                { metadata: { name: `${args.name}-agents`, namespace: ns }, rules: AGENT_RULES },
                child,
            );
            new RoleBinding(
                `${name}-agents`,
                {
                    metadata: { name: `${args.name}-agents`, namespace: ns },
                    roleRef: {
                        apiGroup: "rbac.authorization.k8s.io",
                        kind: "Role",
                        name: role.metadata.name,
                    },
                    subjects: [{ kind: "ServiceAccount", name: sa.metadata.name, namespace: ns }],
                },
                child,
            );
            serviceAccountName = sa.metadata.name;
        }

        this.deployment = new Deployment(
            name,
            createDeploymentArgs({ ...args, serviceAccountName }),
            {
                ...child,
                dependsOn: args.dependsOn,
                // The provider waits for the rollout; a first boot may use the whole
                // startup probe budget (10 min), more than the provider's default wait.
                customTimeouts: { create: "20m", update: "20m" },
            },
        );
        this.service = new Service(
            `${name}-http`,
            createServiceArgs(args.name, ns, { name: "http", port: HTTP_PORT }),
            child,
        );
        if (args.agents) {
            this.agentService = new Service(
                `${name}-agent`,
                createServiceArgs(`${args.name}-agent`, ns, { name: "jnlp", port: AGENT_PORT }),
                child,
            );
        }
        if (args.pdb) {
            new PodDisruptionBudget(
                name,
                {
                    metadata: { name: args.name, namespace: ns, labels: { ...APP_LABEL } },
                    spec: { minAvailable: 1, selector: { matchLabels: { ...APP_LABEL } } },
                },
                child,
            );
        }
        if (args.networkPolicy) {
            new NetworkPolicy(name, networkPolicyArgs(args.networkPolicy, args.name, ns), child);
        }
        if (args.ingress) {
            new Ingress(name, ingressArgs(args.ingress, args.name, ns), {
                ...child,
                dependsOn: [this.service],
            });
        }

        this.serviceName = this.service.metadata.name;
        this.url = pulumi.interpolate`http://${this.service.metadata.name}.${this.service.metadata.namespace}.svc.cluster.local:${HTTP_PORT}`;
        this.initialAdminPasswordCommand = pulumi.interpolate`kubectl -n ${this.deployment.metadata.namespace} exec deploy/${this.deployment.metadata.name} -c jenkins -- cat ${JENKINS_HOME}/secrets/initialAdminPassword`;
        this.registerOutputs({
            serviceName: this.serviceName,
            url: this.url,
            initialAdminPasswordCommand: this.initialAdminPasswordCommand,
        });
    }
}
