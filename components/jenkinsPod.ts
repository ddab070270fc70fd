// Pure builders for the Jenkins Deployment and Services: unit-testable without a runtime.
import * as pulumi from "@pulumi/pulumi";
import type { input as inputs } from "@pulumi/kubernetes/types";
import { AGENT_PORT, APP_LABEL, HTTP_PORT, JENKINS_HOME } from "./names";

export interface Resources {
    requests: { cpu: string; memory: string };
    limits: { cpu: string; memory: string };
}

export interface JenkinsPodArgs {
    name: string;
    namespace: pulumi.Input<string>;
    image: string;
    /** Node labels the pod must run on (key In [value]); empty = any node. */
    nodeAffinity: Record<string, string>;
    /** Taints the pod tolerates, e.g. of nodes reserved for CI. */
    tolerations: inputs.core.v1.Toleration[];
    /** A PriorityClass, so that Jenkins is not the first pod evicted; undefined = the default. */
    priorityClassName?: string;
    javaOpts: string;
    jenkinsOpts: string;
    resources: Resources;
    infra: { shareProcessNamespace: boolean; sidecar: boolean; image: string };
    claimName: pulumi.Input<string>;
    serviceAccountName?: pulumi.Input<string>;
}

const UID = 1000;
const PAUSE_UID = 65535;
/** First boot on a fresh volume unpacks the war and plugins: allow 10 minutes. */
const STARTUP_BUDGET_SECONDS = 600;
const WAR_CACHE = "/var/jenkins_cache";

/** The Pod Security Standard "restricted" container rules, plus a read-only root. */
function restrictedContainerSecurity(runAsUser: number): inputs.core.v1.SecurityContext {
    return {
        runAsNonRoot: true,
        runAsUser,
        runAsGroup: runAsUser,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ["ALL"] },
        seccompProfile: { type: "RuntimeDefault" },
    };
}

function probe(timing: Omit<inputs.core.v1.Probe, "httpGet">): inputs.core.v1.Probe {
    return {
        httpGet: { path: "/login", port: "http" },
        timeoutSeconds: 5,
        periodSeconds: 10,
        ...timing,
    };
}

function jenkinsOptsResolved(jenkinsOpts: string): string {
    // The war unpacks into an emptyDir because the root filesystem is read-only.
    const webroot = /--webroot=/.test(jenkinsOpts) ? [] : [`--webroot=${WAR_CACHE}/war`];
    return [...webroot, jenkinsOpts].filter((s) => s.length > 0).join(" ");
}

function jenkinsContainer(args: JenkinsPodArgs): inputs.core.v1.Container {
    return {
        name: "jenkins",
        image: args.image,
        imagePullPolicy: "IfNotPresent",
        // With a shared PID namespace the sandbox's pause is PID 1 and reaps orphans,
        // so skip the image's tini (it would warn that it is not PID 1).
        ...(args.infra.shareProcessNamespace ? { command: ["/usr/local/bin/jenkins.sh"] } : {}),
        env: [
            { name: "JAVA_OPTS", value: args.javaOpts },
            { name: "JENKINS_OPTS", value: jenkinsOptsResolved(args.jenkinsOpts) },
            { name: "JENKINS_SLAVE_AGENT_PORT", value: String(AGENT_PORT) },
        ],
        ports: [
            { name: "http", containerPort: HTTP_PORT, protocol: "TCP" },
            { name: "jnlp", containerPort: AGENT_PORT, protocol: "TCP" },
        ],
        startupProbe: probe({ failureThreshold: STARTUP_BUDGET_SECONDS / 10 }),
        // The 2018 Deployment's readiness timings.
        readinessProbe: probe({ successThreshold: 2, failureThreshold: 5 }),
        livenessProbe: probe({ failureThreshold: 5 }),
        resources: args.resources,
        securityContext: restrictedContainerSecurity(UID),
        volumeMounts: [
            { name: "jenkins-home", mountPath: JENKINS_HOME },
            { name: "tmp", mountPath: "/tmp" },
            { name: "jenkins-cache", mountPath: WAR_CACHE },
        ],
    };
}

/** The explicit pause sidecar the design asks for. It holds no work of its own. */
function infraContainer(image: string): inputs.core.v1.Container {
    return {
        name: "infra",
        image,
        imagePullPolicy: "IfNotPresent",
        resources: {
            requests: { cpu: "1m", memory: "8Mi" },
            limits: { cpu: "10m", memory: "16Mi" },
        },
        securityContext: restrictedContainerSecurity(PAUSE_UID),
    };
}

function nodeAffinity(labels: Record<string, string>): inputs.core.v1.Affinity | undefined {
    const keys = Object.keys(labels).sort();
    if (keys.length === 0) return undefined;
    return {
        nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [
                    {
                        matchExpressions: keys.map((key) => ({
                            key,
                            operator: "In",
                            values: [labels[key]],
                        })),
                    },
                ],
            },
        },
    };
}

function createPodSpec(args: JenkinsPodArgs): inputs.core.v1.PodSpec {
    return {
        shareProcessNamespace: args.infra.shareProcessNamespace,
        affinity: nodeAffinity(args.nodeAffinity),
        tolerations: args.tolerations.length ? args.tolerations : undefined,
        priorityClassName: args.priorityClassName,
        securityContext: {
            runAsUser: UID,
            runAsGroup: UID,
            fsGroup: UID,
            // A 100Gi home would otherwise be re-chowned on every start.
            fsGroupChangePolicy: "OnRootMismatch",
            runAsNonRoot: true,
            seccompProfile: { type: "RuntimeDefault" },
        },
        serviceAccountName: args.serviceAccountName,
        automountServiceAccountToken: args.serviceAccountName !== undefined,
        // Jenkins writes its queue and build records on SIGTERM.
        terminationGracePeriodSeconds: 120,
        containers: [
            jenkinsContainer(args),
            ...(args.infra.sidecar ? [infraContainer(args.infra.image)] : []),
        ],
        volumes: [
            { name: "jenkins-home", persistentVolumeClaim: { claimName: args.claimName } },
            { name: "tmp", emptyDir: {} },
            { name: "jenkins-cache", emptyDir: {} },
        ],
    };
}

export function createDeploymentArgs(args: JenkinsPodArgs) {
    const labels = { ...APP_LABEL };
    return {
        metadata: { name: args.name, namespace: args.namespace, labels },
        spec: {
            replicas: 1,
            // One pod at a time: an RBD volume attaches to one node only.
            strategy: { type: "Recreate" },
            selector: { matchLabels: labels },
            template: { metadata: { labels }, spec: createPodSpec(args) },
        },
    };
}

export function createServiceArgs(
    name: string,
    namespace: pulumi.Input<string>,
    port: { name: string; port: number },
) {
    return {
        metadata: { name, namespace, labels: { ...APP_LABEL } },
        spec: {
            type: "ClusterIP",
            selector: { ...APP_LABEL },
            ports: [{ name: port.name, port: port.port, targetPort: port.name, protocol: "TCP" }],
        },
    };
}
