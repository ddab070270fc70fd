// How Jenkins is reached: its Services (web, and the agent port with agents), and
// optionally an Ingress, a NetworkPolicy that admits only the ingress controller and the
// agents, and a PodDisruptionBudget.
import * as pulumi from "@pulumi/pulumi";
import { Service } from "@pulumi/kubernetes/core/v1";
import { CustomResource } from "@pulumi/kubernetes/apiextensions";
import { Ingress, NetworkPolicy } from "@pulumi/kubernetes/networking/v1";
import { PodDisruptionBudget } from "@pulumi/kubernetes/policy/v1";
import { AGENT_PORT, APP_LABEL, HTTP_PORT } from "./names";
import { createServiceArgs } from "./jenkinsPod";
import { AGENT_POD_LABEL } from "./jenkinsConfig";
import type { IngressArgs, JenkinsArgs, NetworkPolicyArgs, PrometheusArgs } from "./jenkins";
import type { AgentListenerServiceType } from "./jenkinsPod";

/** The URL users open through the ingress (https when it terminates TLS), under the prefix. */
export function externalUrl(
    ingress: IngressArgs | undefined,
    uriPrefix: string,
): string | undefined {
    return ingress
        ? `${ingress.tlsSecretName ? "https" : "http"}://${ingress.host}${uriPrefix}/`
        : undefined;
}

function networkPolicyArgs(
    args: NetworkPolicyArgs,
    name: string,
    namespace: string,
    agentsNamespace: string,
    listener: AgentListenerServiceType,
    scraperNamespace: string | undefined,
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
                        ...(scraperNamespace
                            ? [
                                  {
                                      namespaceSelector: {
                                          matchLabels: {
                                              "kubernetes.io/metadata.name": scraperNamespace,
                                          },
                                      },
                                  },
                              ]
                            : []),
                    ],
                    ports: [{ port: HTTP_PORT, protocol: "TCP" }],
                },
                // Agents outside the cluster come from any address.
                listener === "ClusterIP"
                    ? { from: [agents], ports: [{ port: AGENT_PORT, protocol: "TCP" }] }
                    : { ports: [{ port: AGENT_PORT, protocol: "TCP" }] },
            ],
        },
    };
}

function ingressArgs(
    args: IngressArgs,
    name: string,
    namespace: pulumi.Input<string>,
    uriPrefix: string,
) {
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
                                path: uriPrefix || "/",
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

/** The prometheus plugin's endpoint, under the URI prefix. */
const metricsPath = (uriPrefix: string) => `${uriPrefix}/prometheus/`;

/** The annotations Prometheus' kubernetes_sd configurations commonly select on. */
function scrapeAnnotations(uriPrefix: string): Record<string, string> {
    return {
        "prometheus.io/scrape": "true",
        "prometheus.io/port": String(HTTP_PORT),
        "prometheus.io/path": metricsPath(uriPrefix),
    };
}

/** The Prometheus operator's ServiceMonitor for the web Service (monitoring.coreos.com/v1). */
function serviceMonitor(
    name: string,
    args: JenkinsArgs,
    p: PrometheusArgs,
    child: pulumi.CustomResourceOptions,
): CustomResource {
    return new CustomResource(
        `${name}-metrics`,
        {
            apiVersion: "monitoring.coreos.com/v1",
            kind: "ServiceMonitor",
            metadata: {
                name: args.name,
                namespace: args.namespace,
                labels: { ...APP_LABEL, ...p.serviceMonitorLabels },
            },
            spec: {
                selector: { matchLabels: { ...APP_LABEL } },
                endpoints: [
                    { port: "http", path: metricsPath(args.uriPrefix), interval: p.scrapeInterval },
                ],
            },
        },
        child,
    );
}

/** The web Service, annotated for Prometheus' scrapes with jenkins.prometheus. */
function webService(name: string, args: JenkinsArgs, child: pulumi.CustomResourceOptions): Service {
    const web = createServiceArgs(args.name, args.namespace, { name: "http", port: HTTP_PORT });
    const annotations = args.prometheus ? scrapeAnnotations(args.uriPrefix) : undefined;
    return new Service(
        `${name}-http`,
        annotations ? { ...web, metadata: { ...web.metadata, annotations } } : web,
        child,
    );
}

/**
 * The agent port's Service: with agents, and for agents outside the cluster (a listener
 * type other than ClusterIP) even without the Kubernetes cloud.
 */
function agentService(
    name: string,
    args: JenkinsArgs,
    child: pulumi.CustomResourceOptions,
): Service | undefined {
    if (!args.agents && args.agentListenerServiceType === "ClusterIP") return undefined;
    return new Service(
        `${name}-agent`,
        createServiceArgs(
            `${args.name}-agent`,
            args.namespace,
            { name: "jnlp", port: AGENT_PORT },
            args.agentListenerServiceType,
        ),
        child,
    );
}

/** The Services, and the Ingress, NetworkPolicy and PodDisruptionBudget the args ask for. */
export function exposeJenkins(
    name: string,
    args: JenkinsArgs,
    agentsNs: pulumi.Input<string>,
    child: pulumi.CustomResourceOptions,
): { service: Service; agentService?: Service } {
    const ns = args.namespace;
    const service = webService(name, args, child);
    if (args.prometheus?.serviceMonitor) serviceMonitor(name, args, args.prometheus, child);
    const agents = agentService(name, args, child);
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
        const scrapers = args.prometheus?.scraperNamespace;
        new NetworkPolicy(
            name,
            pulumi
                .all([ns, agentsNs])
                .apply(([n, a]) =>
                    networkPolicyArgs(
                        policy,
                        args.name,
                        n,
                        a,
                        args.agentListenerServiceType,
                        scrapers,
                    ),
                ),
            child,
        );
    }
    if (args.ingress) {
        new Ingress(name, ingressArgs(args.ingress, args.name, ns, args.uriPrefix), {
            ...child,
            dependsOn: [service],
        });
    }
    return { service, agentService: agents };
}
