// How Jenkins is reached: its Services (web, and the agent port with agents), and
// optionally an Ingress, a NetworkPolicy that admits only the ingress controller and the
// agents, and a PodDisruptionBudget.
import * as pulumi from "@pulumi/pulumi";
import { Service } from "@pulumi/kubernetes/core/v1";
import { Ingress, NetworkPolicy } from "@pulumi/kubernetes/networking/v1";
import { PodDisruptionBudget } from "@pulumi/kubernetes/policy/v1";
import { AGENT_PORT, APP_LABEL, HTTP_PORT } from "./names";
import { createServiceArgs } from "./jenkinsPod";
import { AGENT_POD_LABEL } from "./jenkinsConfig";
import type { IngressArgs, JenkinsArgs, NetworkPolicyArgs } from "./jenkins";
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

/** The Services, and the Ingress, NetworkPolicy and PodDisruptionBudget the args ask for. */
export function exposeJenkins(
    name: string,
    args: JenkinsArgs,
    agentsNs: pulumi.Input<string>,
    child: pulumi.CustomResourceOptions,
): { service: Service; agentService?: Service } {
    const ns = args.namespace;
    let agentService: Service | undefined;
    const service = new Service(
        `${name}-http`,
        createServiceArgs(args.name, ns, { name: "http", port: HTTP_PORT }),
        child,
    );
    // Agents outside the cluster (a listener type other than ClusterIP) need the Service
    // even without the Kubernetes cloud.
    if (args.agents || args.agentListenerServiceType !== "ClusterIP") {
        agentService = new Service(
            `${name}-agent`,
            createServiceArgs(
                `${args.name}-agent`,
                ns,
                { name: "jnlp", port: AGENT_PORT },
                args.agentListenerServiceType,
            ),
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
                .apply(([n, a]) =>
                    networkPolicyArgs(policy, args.name, n, a, args.agentListenerServiceType),
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

    return { service, agentService };
}
