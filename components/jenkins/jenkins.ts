// The Jenkins controller: Deployment, its Services, and optionally an Ingress, the
// ServiceAccount/Role the Kubernetes plugin needs to start agent pods, and the pinned
// plugins and configuration as code (ConfigMaps and the admin Secret).
import * as pulumi from "@pulumi/pulumi";
import { ConfigMap, Secret, Service, ServiceAccount } from "@pulumi/kubernetes/core/v1";
import { keptNamespace } from "../cluster/keptNamespace";
import { Deployment } from "@pulumi/kubernetes/apps/v1";
import { Ingress, NetworkPolicy } from "@pulumi/kubernetes/networking/v1";
import { PodDisruptionBudget } from "@pulumi/kubernetes/policy/v1";
import { Role, RoleBinding } from "@pulumi/kubernetes/rbac/v1";
import { AGENT_PORT, APP_LABEL, HTTP_PORT, JENKINS_HOME } from "./names";
import { createDeploymentArgs, createServiceArgs, JenkinsPodArgs, PodConfig } from "./jenkinsPod";
import {
    ADMIN_PASSWORD_KEY,
    ADMIN_USER_KEY,
    AGENT_POD_LABEL,
    cascFiles,
    configChecksum,
    pluginsTxt,
} from "./jenkinsConfig";

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

export interface AgentsArgs {
    /** Where agent pods run (created when it is not Jenkins' own); default Jenkins' namespace. */
    namespace?: string;
    /** The inbound agent image of the default pod template. */
    image: string;
}

export interface JenkinsArgs extends Omit<JenkinsPodArgs, "serviceAccountName" | "config"> {
    ingress?: IngressArgs;
    /**
     * Agents through the Kubernetes plugin: a ServiceAccount, a Role where they run, the
     * agent Service and (configured as code) the cloud. Undefined: none of it.
     */
    agents?: AgentsArgs;
    /** The admin's user id (configured as code only). */
    adminUser: string;
    /** Set: configured as code (JCasC, no wizard). Unset: the setup wizard runs. */
    adminPassword?: pulumi.Input<string>;
    /** The stack's pinned plugins, `id:version`. */
    plugins: string[];
    /** The stack's own JCasC files, name -> YAML (only with adminPassword). */
    casc: Record<string, string>;
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

/** The URL users open through the ingress (https when it terminates TLS). */
function externalUrl(ingress: IngressArgs | undefined): string | undefined {
    return ingress ? `${ingress.tlsSecretName ? "https" : "http"}://${ingress.host}/` : undefined;
}

function networkPolicyArgs(
    args: NetworkPolicyArgs,
    name: string,
    namespace: string,
    agentsNamespace: string,
) {
    const agents = {
        podSelector: { matchLabels: AGENT_POD_LABEL },
        ...(agentsNamespace !== namespace
            ? {
                  namespaceSelector: {
                      matchLabels: { "kubernetes.io/metadata.name": agentsNamespace },
                  },
              }
            : {}),
    };
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
    /** With an ingress: the URL users open. */
    public readonly externalUrl?: string;
    /** The kubectl command that prints the first-boot admin password (setup wizard only). */
    public readonly initialAdminPasswordCommand?: pulumi.Output<string>;

    /**
     * The plugin list, the JCasC files and the admin Secret, and what the pod mounts of
     * them. Nothing when the stack pins no plugin and sets no admin password.
     */
    private configAsCode(
        name: string,
        args: JenkinsArgs,
        agentsNs: pulumi.Input<string>,
    ): { pod?: PodConfig; resources: pulumi.Resource[] } {
        const child = { parent: this, deleteBeforeReplace: true };
        const ns = args.namespace;
        const asCode = args.adminPassword !== undefined;
        // A wizard-managed Jenkins keeps the plugins it has until the stack pins some:
        // then the plugin folder holds exactly the pinned set.
        if (!asCode && args.plugins.length === 0) return { resources: [] };
        const plugins = pluginsTxt(args.plugins, { asCode, agents: !!args.agents });

        const resources: pulumi.Resource[] = [];
        const meta = (suffix: string) => ({
            name: `${args.name}-${suffix}`,
            namespace: ns,
            labels: { ...APP_LABEL },
        });
        const pluginsMap = new ConfigMap(
            `${name}-plugins`,
            { metadata: meta("plugins"), data: { "plugins.txt": plugins } },
            child,
        );
        resources.push(pluginsMap);
        const pluginsConfigMap = pluginsMap.metadata.name;
        if (!args.adminPassword) {
            return { pod: { pluginsConfigMap, checksum: configChecksum({ plugins }) }, resources };
        }

        const admin = new Secret(
            `${name}-admin`,
            {
                metadata: meta("admin"),
                type: "Opaque",
                stringData: {
                    [ADMIN_USER_KEY]: args.adminUser,
                    [ADMIN_PASSWORD_KEY]: args.adminPassword,
                },
            },
            child,
        );
        const files = pulumi.all([ns, agentsNs]).apply(([n, a]) =>
            cascFiles({
                adminUser: args.adminUser,
                url:
                    externalUrl(args.ingress) ??
                    `http://${args.name}.${n}.svc.cluster.local:${HTTP_PORT}/`,
                serviceHost: `${args.name}.${n}.svc.cluster.local`,
                agentServiceHost: `${args.name}-agent.${n}.svc.cluster.local`,
                agents: args.agents ? { namespace: a, image: args.agents.image } : undefined,
                userFiles: args.casc,
            }),
        );
        const casc = new ConfigMap(`${name}-casc`, { metadata: meta("casc"), data: files }, child);
        resources.push(admin, casc);
        return {
            pod: {
                pluginsConfigMap,
                casc: { configMap: casc.metadata.name, adminSecret: admin.metadata.name },
                checksum: files.apply((f) => configChecksum({ plugins, ...f })),
            },
            resources,
        };
    }

    constructor(name: string, args: JenkinsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jenkins-ceph:index:Jenkins", name, {}, opts);
        const child = { parent: this, deleteBeforeReplace: true };
        const ns = args.namespace;

        let serviceAccountName: pulumi.Output<string> | undefined;
        let agentsNs: pulumi.Input<string> = ns;
        if (args.agents) {
            const sa = new ServiceAccount(
                `${name}-sa`,
                { metadata: { name: args.name, namespace: ns, labels: { ...APP_LABEL } } },
                child,
            );
            if (args.agents.namespace !== undefined) {
                agentsNs = keptNamespace(
                    `${name}-agents-ns`,
                    {
                        name: args.agents.namespace,
                        labels: {
                            "app.kubernetes.io/part-of": "jenkins",
                            "pod-security.kubernetes.io/enforce": "restricted",
                            "pod-security.kubernetes.io/enforce-version": "latest",
                        },
                    },
                    child,
                ).metadata.name;
            }
            const role = new Role(
                `${name}-agents`,
                {
                    metadata: { name: `${args.name}-agents`, namespace: agentsNs },
                    rules: AGENT_RULES,
                },
                child,
            );
            new RoleBinding(
                `${name}-agents`,
                {
                    metadata: { name: `${args.name}-agents`, namespace: agentsNs },
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

        const config = this.configAsCode(name, args, agentsNs);
        this.deployment = new Deployment(
            name,
            createDeploymentArgs({ ...args, serviceAccountName, config: config.pod }),
            {
                ...child,
                dependsOn: [...(args.dependsOn ?? []), ...config.resources],
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
            const policy = args.networkPolicy;
            new NetworkPolicy(
                name,
                pulumi
                    .all([ns, agentsNs])
                    .apply(([n, a]) => networkPolicyArgs(policy, args.name, n, a)),
                child,
            );
        }
        if (args.ingress) {
            new Ingress(name, ingressArgs(args.ingress, args.name, ns), {
                ...child,
                dependsOn: [this.service],
            });
        }

        this.serviceName = this.service.metadata.name;
        this.externalUrl = externalUrl(args.ingress);
        this.url = pulumi.interpolate`http://${this.service.metadata.name}.${this.service.metadata.namespace}.svc.cluster.local:${HTTP_PORT}`;
        this.initialAdminPasswordCommand = args.adminPassword
            ? undefined
            : pulumi.interpolate`kubectl -n ${this.deployment.metadata.namespace} exec deploy/${this.deployment.metadata.name} -c jenkins -- cat ${JENKINS_HOME}/secrets/initialAdminPassword`;
        this.registerOutputs({
            serviceName: this.serviceName,
            url: this.url,
            initialAdminPasswordCommand: this.initialAdminPasswordCommand,
        });
    }
}
