// Pure builders for the Jenkins Deployment and Services: unit-testable without a runtime.
import * as pulumi from "@pulumi/pulumi";
import type { input as inputs } from "@pulumi/kubernetes/types";
import { AGENT_PORT, APP_LABEL, HTTP_PORT, JENKINS_HOME } from "./names";
import { CONFIG_PATHS } from "./jenkinsConfig";

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
    /** Where Jenkins serves under (its --prefix, the chart's jenkinsUriPrefix), e.g. /jenkins; "" = at /. */
    uriPrefix: string;
    resources: Resources;
    infra: { shareProcessNamespace: boolean; sidecar: boolean; image: string };
    claimName: pulumi.Input<string>;
    serviceAccountName?: pulumi.Input<string>;
    /** Extra variables for the controller (the chart's controller.containerEnv); default none. */
    containerEnv: EnvVar[];
    /** Extra variables for the plugin installer (controller.initContainerEnv); default none. */
    initContainerEnv: EnvVar[];
    /** Where the plugin installer downloads from, and through which proxy; default the update centre, direct. */
    pluginDownload: PluginDownload;
    /** A Secret of type dockerconfigjson in Jenkins' namespace, to pull the images; default none. */
    imagePullSecretName?: string;
    /**
     * JCasC changes applied without a restart (the chart's sidecars.configAutoReload): the
     * k8s-sidecar image fills the JCasC folder before Jenkins starts and keeps it current,
     * then asks Jenkins to reload. Default none: a JCasC change restarts Jenkins.
     */
    configAutoReload?: { image: string };
    /** Pinned plugins and configuration as code; undefined = the setup wizard decides. */
    config?: PodConfig;
    /**
     * The newest snapshot of the home, taken before this Deployment's software first ran.
     * Through this input the Deployment waits for the snapshot step.
     */
    lastSnapshot?: pulumi.Input<string>;
}

export interface EnvVar {
    name: string;
    value: string;
}

/** jenkins-plugin-cli's sources (its README, "CLI Options" and "Proxy Support"). */
export interface PluginDownload {
    /** The update centre's JSON (JENKINS_UC). */
    updateCenter?: string;
    /** A mirror every plugin is downloaded from instead (JENKINS_UC_DOWNLOAD_URL). */
    downloadSite?: string;
    /** An HTTP proxy for both http and https (Java's proxy properties, through JAVA_OPTS). */
    proxy?: { host: string; port: number };
    /** Hosts reached without the proxy (http.nonProxyHosts: example.com, *.example.com). */
    noProxy: string[];
}

/** JCasC's $SECRETS folder: one Secret whole, or keys of several (a projected volume). */
export type SecretFiles =
    | { secretName: pulumi.Input<string> }
    | { sources: { name: pulumi.Input<string>; items?: { key: string; path: string }[] }[] };

export interface PodConfig {
    /** The ConfigMap with plugins.txt and install-plugins.sh, which the init container runs. */
    pluginsConfigMap?: pulumi.Input<string>;
    /** The ConfigMap of JCasC files, and the secret files they read as ${NAME}, if any. */
    casc?: { configMap: pulumi.Input<string>; secrets?: SecretFiles };
    /** Digest of both ConfigMaps' data: in the pod template, so a change rolls the pod. */
    checksum: pulumi.Input<string>;
}

/** The variables the controller container gets from the program (JCasC may read them as ${NAME}). */
export const CONTROLLER_ENV = [
    "JAVA_OPTS",
    "JENKINS_OPTS",
    "JENKINS_SLAVE_AGENT_PORT",
    "CASC_JENKINS_CONFIG",
    "SECRETS",
    "CASC_RELOAD_TOKEN",
] as const;

/** The variables the plugin installer gets from the program: containerEnv may not set them. */
export const INIT_CONTAINER_ENV = [
    "JENKINS_HOME",
    "JENKINS_WAR",
    "JENKINS_IMAGE",
    "PLUGIN_FILE",
    "CACHE_DIR",
    "JENKINS_UC",
    "JENKINS_UC_DOWNLOAD",
    "JENKINS_UC_DOWNLOAD_URL",
    "JAVA_OPTS",
] as const;

const UID = 1000;
const PAUSE_UID = 65535;
/** First boot on a fresh volume unpacks the war and plugins: allow 10 minutes. */
const STARTUP_BUDGET_SECONDS = 600;
const WAR_CACHE = "/var/jenkins_cache";
/** installPlugins.sh in the plugins ConfigMap, beside plugins.txt. */
export const INSTALL_SCRIPT = "install-plugins.sh";

/** The Pod Security Standard "restricted" container rules, plus a read-only root. */
export function restrictedContainerSecurity(runAsUser: number): inputs.core.v1.SecurityContext {
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

function probe(
    uriPrefix: string,
    timing: Omit<inputs.core.v1.Probe, "httpGet">,
): inputs.core.v1.Probe {
    return {
        httpGet: { path: `${uriPrefix}/login`, port: "http" },
        timeoutSeconds: 5,
        periodSeconds: 10,
        ...timing,
    };
}

function jenkinsOptsResolved(jenkinsOpts: string, uriPrefix: string): string {
    // The war unpacks into an emptyDir because the root filesystem is read-only.
    const webroot = /--webroot=/.test(jenkinsOpts) ? [] : [`--webroot=${WAR_CACHE}/war`];
    const prefix = uriPrefix ? [`--prefix=${uriPrefix}`] : [];
    return [...webroot, ...prefix, jenkinsOpts].filter((s) => s.length > 0).join(" ");
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
            { name: "JENKINS_OPTS", value: jenkinsOptsResolved(args.jenkinsOpts, args.uriPrefix) },
            { name: "JENKINS_SLAVE_AGENT_PORT", value: String(AGENT_PORT) },
            ...(args.config?.casc
                ? [
                      { name: "CASC_JENKINS_CONFIG", value: CONFIG_PATHS.casc },
                      // Set with no secret files too: JCasC then finds none there.
                      { name: "SECRETS", value: CONFIG_PATHS.secrets },
                  ]
                : []),
            // The reload endpoint's token: the pod's name, which the sidecar reads too.
            ...(reloadOf(args)
                ? [
                      {
                          name: "CASC_RELOAD_TOKEN",
                          valueFrom: { fieldRef: { fieldPath: "metadata.name" } },
                      },
                  ]
                : []),
            ...args.containerEnv,
        ],
        ports: [
            { name: "http", containerPort: HTTP_PORT, protocol: "TCP" },
            { name: "jnlp", containerPort: AGENT_PORT, protocol: "TCP" },
        ],
        startupProbe: probe(args.uriPrefix, { failureThreshold: STARTUP_BUDGET_SECONDS / 10 }),
        // The 2018 Deployment's readiness timings.
        readinessProbe: probe(args.uriPrefix, { successThreshold: 2, failureThreshold: 5 }),
        livenessProbe: probe(args.uriPrefix, { failureThreshold: 5 }),
        resources: args.resources,
        securityContext: restrictedContainerSecurity(UID),
        volumeMounts: [
            { name: "jenkins-home", mountPath: JENKINS_HOME },
            { name: "tmp", mountPath: "/tmp" },
            { name: "jenkins-cache", mountPath: WAR_CACHE },
            ...(args.config?.casc
                ? [
                      { name: "casc", mountPath: CONFIG_PATHS.casc, readOnly: true },
                      ...(args.config.casc.secrets
                          ? [{ name: "admin", mountPath: CONFIG_PATHS.secrets, readOnly: true }]
                          : []),
                  ]
                : []),
        ],
    };
}

/** Java's proxy properties for jenkins-plugin-cli, which passes JAVA_OPTS to its JVM. */
function proxyJavaOpts(d: PluginDownload): string | undefined {
    if (!d.proxy) return undefined;
    const { host, port } = d.proxy;
    const opts = ["http", "https"].flatMap((p) => [
        `-D${p}.proxyHost=${host}`,
        `-D${p}.proxyPort=${port}`,
    ]);
    if (d.noProxy.length) opts.push(`-Dhttp.nonProxyHosts=${d.noProxy.join("|")}`);
    return opts.join(" ");
}

/** The installer's environment: where things are, then the download's source and proxy. */
export function pluginInstallerEnv(args: JenkinsPodArgs): EnvVar[] {
    const d = args.pluginDownload;
    const optional: [string, string | undefined][] = [
        ["JENKINS_UC", d.updateCenter],
        ["JENKINS_UC_DOWNLOAD_URL", d.downloadSite],
        ["JAVA_OPTS", proxyJavaOpts(d)],
    ];
    return [
        { name: "JENKINS_HOME", value: JENKINS_HOME },
        { name: "JENKINS_WAR", value: "/usr/share/jenkins/jenkins.war" },
        { name: "JENKINS_IMAGE", value: args.image },
        { name: "PLUGIN_FILE", value: `${CONFIG_PATHS.pluginFile}/plugins.txt` },
        // Its update-center cache; the default under $HOME is on the read-only root.
        { name: "CACHE_DIR", value: "/tmp/jenkins-plugin-management-cli" },
        ...optional.flatMap(([name, value]) => (value === undefined ? [] : [{ name, value }])),
        ...args.initContainerEnv,
    ];
}

/**
 * Installs exactly the pinned plugins (and the dependencies they need, at the versions
 * they need: --latest false) with the image's own jenkins-plugin-cli, into the home on
 * the RBD volume, and only when the list or the image changed (installPlugins.sh says
 * how). Same image and restrictions as the controller.
 */
function pluginsContainer(args: JenkinsPodArgs): inputs.core.v1.Container {
    return {
        name: "install-plugins",
        image: args.image,
        imagePullPolicy: "IfNotPresent",
        command: ["sh", `${CONFIG_PATHS.pluginFile}/${INSTALL_SCRIPT}`],
        env: pluginInstallerEnv(args),
        resources: args.resources,
        securityContext: restrictedContainerSecurity(UID),
        // The sentence the installer writes there, or its last lines, in kubectl describe.
        terminationMessagePolicy: "FallbackToLogsOnError",
        volumeMounts: [
            { name: "plugin-file", mountPath: CONFIG_PATHS.pluginFile, readOnly: true },
            { name: "jenkins-home", mountPath: JENKINS_HOME },
            { name: "tmp", mountPath: "/tmp" },
        ],
    };
}

/** The label k8s-sidecar finds the JCasC ConfigMap by; its value is jenkins.name. */
export const CASC_LABEL = "jenkins-ceph/casc";

/** The reload sidecar's settings, when there are JCasC files for it to reload. */
function reloadOf(args: JenkinsPodArgs): { image: string } | undefined {
    return args.config?.casc ? args.configAutoReload : undefined;
}

/**
 * The chart's config reload container (jenkins.configAutoReload): as an init container it
 * lists the labelled ConfigMap into the JCasC folder once; as a sidecar it keeps the
 * folder current and POSTs JCasC's reload endpoint with the pod's name as the token.
 */
function reloadContainer(
    args: JenkinsPodArgs,
    image: string,
    kind: "init" | "sidecar",
): inputs.core.v1.Container {
    const env: inputs.core.v1.EnvVar[] = [
        { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
        { name: "LABEL", value: CASC_LABEL },
        { name: "LABEL_VALUE", value: args.name },
        { name: "FOLDER", value: CONFIG_PATHS.casc },
        { name: "NAMESPACE", value: args.namespace },
        { name: "RESOURCE", value: "configmap" },
        ...(kind === "init"
            ? [{ name: "METHOD", value: "LIST" }]
            : [
                  {
                      name: "REQ_URL",
                      value: `http://localhost:${HTTP_PORT}${args.uriPrefix}/reload-configuration-as-code/?casc-reload-token=$(POD_NAME)`,
                  },
                  { name: "REQ_METHOD", value: "POST" },
                  { name: "REQ_RETRY_CONNECT", value: "10" },
              ]),
    ];
    return {
        name: kind === "init" ? "casc-files" : "casc-reload",
        image,
        imagePullPolicy: "IfNotPresent",
        env,
        resources: { requests: { cpu: "10m", memory: "64Mi" }, limits: { memory: "128Mi" } },
        securityContext: restrictedContainerSecurity(UID),
        volumeMounts: [{ name: "casc", mountPath: CONFIG_PATHS.casc }],
    };
}

function configVolumes(config: PodConfig | undefined, reload: boolean): inputs.core.v1.Volume[] {
    const out: inputs.core.v1.Volume[] = [];
    if (config?.pluginsConfigMap) {
        out.push({ name: "plugin-file", configMap: { name: config.pluginsConfigMap } });
    }
    if (config?.casc) {
        // With the reload sidecar the folder is its, filled from the ConfigMap at every change.
        out.push(
            reload
                ? { name: "casc", emptyDir: {} }
                : { name: "casc", configMap: { name: config.casc.configMap } },
        );
        const secrets = config.casc.secrets;
        if (secrets && "secretName" in secrets) {
            out.push({
                name: "admin",
                secret: { secretName: secrets.secretName, defaultMode: 0o400 },
            });
        } else if (secrets) {
            // A key an existing Secret lacks keeps the pod from starting (not optional).
            out.push({
                name: "admin",
                projected: {
                    defaultMode: 0o400,
                    sources: secrets.sources.map((secret) => ({ secret })),
                },
            });
        }
    }
    return out;
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

function initContainers(args: JenkinsPodArgs): inputs.core.v1.Container[] | undefined {
    const reload = reloadOf(args);
    const list = [
        ...(args.config?.pluginsConfigMap ? [pluginsContainer(args)] : []),
        ...(reload ? [reloadContainer(args, reload.image, "init")] : []),
    ];
    return list.length ? list : undefined;
}

function createPodSpec(args: JenkinsPodArgs): inputs.core.v1.PodSpec {
    const reload = reloadOf(args);
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
        imagePullSecrets: args.imagePullSecretName
            ? [{ name: args.imagePullSecretName }]
            : undefined,
        automountServiceAccountToken: args.serviceAccountName !== undefined,
        // Jenkins writes its queue and build records on SIGTERM.
        terminationGracePeriodSeconds: 120,
        initContainers: initContainers(args),
        containers: [
            jenkinsContainer(args),
            ...(reload ? [reloadContainer(args, reload.image, "sidecar")] : []),
            ...(args.infra.sidecar ? [infraContainer(args.infra.image)] : []),
        ],
        volumes: [
            { name: "jenkins-home", persistentVolumeClaim: { claimName: args.claimName } },
            { name: "tmp", emptyDir: {} },
            { name: "jenkins-cache", emptyDir: {} },
            ...configVolumes(args.config, reload !== undefined),
        ],
    };
}

export function createDeploymentArgs(args: JenkinsPodArgs) {
    const labels = { ...APP_LABEL };
    return {
        metadata: {
            name: args.name,
            namespace: args.namespace,
            labels,
            // On the Deployment, not its pod template: recording the snapshot never
            // restarts Jenkins by itself (a stack's first snapshot, after an upgrade).
            annotations:
                args.lastSnapshot !== undefined
                    ? { "jenkins-ceph/snapshot": args.lastSnapshot }
                    : undefined,
        },
        spec: {
            replicas: 1,
            // One pod at a time: an RBD volume attaches to one node only.
            strategy: { type: "Recreate" },
            selector: { matchLabels: labels },
            template: {
                metadata: {
                    labels,
                    annotations: args.config
                        ? { "jenkins-ceph/config-checksum": args.config.checksum }
                        : undefined,
                },
                spec: createPodSpec(args),
            },
        },
    };
}

export type AgentListenerServiceType = "ClusterIP" | "NodePort" | "LoadBalancer";

export function createServiceArgs(
    name: string,
    namespace: pulumi.Input<string>,
    port: { name: string; port: number },
    type: AgentListenerServiceType = "ClusterIP",
) {
    return {
        metadata: { name, namespace, labels: { ...APP_LABEL } },
        spec: {
            type,
            selector: { ...APP_LABEL },
            ports: [{ name: port.name, port: port.port, targetPort: port.name, protocol: "TCP" }],
        },
    };
}
