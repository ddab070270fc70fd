// The Jenkins controller: its Deployment, with what exposes it (exposure.ts), the agents'
// account (agents.ts) and the plugins and configuration as code (configAsCode.ts).
import * as pulumi from "@pulumi/pulumi";
import { Deployment } from "@pulumi/kubernetes/apps/v1";
import type { Service } from "@pulumi/kubernetes/core/v1";
import { HTTP_PORT, JENKINS_HOME } from "./names";
import { AgentListenerServiceType, createDeploymentArgs, JenkinsPodArgs } from "./jenkinsPod";
import { configReader, controllerAccount, jenkinsAgents } from "./agents";
import { configAsCode } from "./configAsCode";
import type { AgentTemplate } from "./jenkinsConfig";
import { exposeJenkins, externalUrl } from "./exposure";

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

/** Metrics for Prometheus through the prometheus plugin (the chart's controller.prometheus). */
export interface PrometheusArgs {
    /** How often to scrape, e.g. 60s. */
    scrapeInterval: string;
    /** A ServiceMonitor for the Prometheus operator (its CRD must exist); else annotations only. */
    serviceMonitor: boolean;
    /** Labels the operator's Prometheus selects ServiceMonitors by; default none. */
    serviceMonitorLabels: Record<string, string>;
    /** Where Prometheus runs: the NetworkPolicy admits scrapes from there. */
    scraperNamespace?: string;
}

export interface AgentsArgs {
    /** Where agent pods run (created when it is not Jenkins' own); default Jenkins' namespace. */
    namespace?: string;
    /** The inbound agent image of the pod template "default", used when `templates` is empty. */
    image: string;
    /** The pod templates; default none: the one template "default". */
    templates: AgentTemplate[];
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
    /** JCasC and no setup wizard (an admin password, adminExistingSecret, or the stack's own login). */
    configuredAsCode: boolean;
    /** The program's local admin's password; with adminExistingSecret or the stack's own login, none. */
    adminPassword?: pulumi.Input<string>;
    /**
     * A Secret in Jenkins' namespace with the admin's jenkins-admin-user and
     * jenkins-admin-password (the chart's controller.admin.existingSecret); default none.
     */
    adminExistingSecret?: string;
    /** Keys of existing Secrets JCasC reads as ${keyName} (the chart's additionalExistingSecrets); default none. */
    existingSecrets: { name: string; keyName: string }[];
    /** The stack's pinned plugins, `id:version`. */
    plugins: string[];
    /** The stack's own JCasC files, name -> YAML (only with adminPassword). */
    casc: Record<string, string>;
    /** Secrets the JCasC files read as ${NAME}, each a file beside the admin's; default none. */
    secrets?: Record<string, pulumi.Input<string>>;
    /**
     * A PodDisruptionBudget of minAvailable 1. With one replica and a ReadWriteOnce volume
     * it blocks every voluntary eviction, so a node drain waits for a person.
     */
    pdb: boolean;
    /** Admit traffic to the controller only from the ingress controller and agent pods. */
    networkPolicy?: NetworkPolicyArgs;
    /** Prometheus scrapes: the plugin, annotations on the web Service, a ServiceMonitor. Default none. */
    prometheus?: PrometheusArgs;
    /**
     * The agent port's Service type (the chart's controller.agentListenerServiceType):
     * NodePort or LoadBalancer for agents outside the cluster, whose Service then exists
     * without `agents` too and whose port the NetworkPolicy opens to any address.
     * Default ClusterIP.
     */
    agentListenerServiceType: AgentListenerServiceType;
    /** Resources the Deployment waits for (the volume claim). */
    dependsOn?: pulumi.Resource[];
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

    constructor(name: string, args: JenkinsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jenkins-ceph:index:Jenkins", name, {}, opts);
        const child = { parent: this, deleteBeforeReplace: true };
        const ns = args.namespace;

        const reload = args.configAutoReload !== undefined;
        const sa =
            args.agents || reload ? controllerAccount(name, args.name, ns, child) : undefined;
        const agentsNs =
            args.agents && sa ? jenkinsAgents(name, args.name, ns, args.agents, sa, child) : ns;
        if (reload && sa) configReader(name, args.name, ns, sa, child);
        const serviceAccountName = sa?.metadata.name;
        const config = configAsCode(name, args, agentsNs, child);
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
        const exposed = exposeJenkins(name, args, agentsNs, child);
        this.service = exposed.service;
        this.agentService = exposed.agentService;
        this.serviceName = this.service.metadata.name;
        this.externalUrl = externalUrl(args.ingress, args.uriPrefix);
        this.url = pulumi.interpolate`http://${this.service.metadata.name}.${this.service.metadata.namespace}.svc.cluster.local:${HTTP_PORT}${args.uriPrefix}`;
        this.initialAdminPasswordCommand = args.configuredAsCode
            ? undefined
            : pulumi.interpolate`kubectl -n ${this.deployment.metadata.namespace} exec deploy/${this.deployment.metadata.name} -c jenkins -- cat ${JENKINS_HOME}/secrets/initialAdminPassword`;
        this.registerOutputs({
            serviceName: this.serviceName,
            url: this.url,
            initialAdminPasswordCommand: this.initialAdminPasswordCommand,
        });
    }
}
