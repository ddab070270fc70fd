// Jenkins configured as code: the pinned plugin list, the configuration-as-code (JCasC)
// files and the agents' pod template, as pure builders. The layout follows the Jenkins
// Helm chart's (plugins.txt for jenkins-plugin-cli, a directory of JCasC YAML, the admin
// credentials read from files in $SECRETS); nothing here has run against a live Jenkins.
import { createHash } from "crypto";
import * as YAML from "yaml";
import { AGENT_PORT, HTTP_PORT } from "./names";
import { stackSetsJenkins } from "./cascMerge";

/**
 * What this program's own configuration needs, at versions the Jenkins chart pins for
 * the 2.5xx line. A stack's `jenkins.plugins` may pin another version of either.
 */
const CASC_PLUGIN = "configuration-as-code:1985.vdda_32d0c4ea_b_";
const KUBERNETES_PLUGIN = "kubernetes:4371.vb_33b_086d54a_1";
/** The metrics endpoint (jenkins.prometheus); a stack may pin another version. */
const PROMETHEUS_PLUGIN = "prometheus:784.vea_eca_f6592eb_";

/** The label the Kubernetes plugin puts on every agent pod (its default podLabels). */
export const AGENT_POD_LABEL = { jenkins: "slave" };

/** Where the controller finds what the ConfigMaps and the Secret hold. */
export const CONFIG_PATHS = {
    casc: "/var/jenkins_config/casc",
    pluginFile: "/var/jenkins_config/plugins",
    /** JCasC resolves ${name} from the file of that name here (its SECRETS variable). */
    secrets: "/run/secrets/jenkins-ceph",
};

export const ADMIN_USER_KEY = "jenkins-admin-user";
export const ADMIN_PASSWORD_KEY = "jenkins-admin-password";

export interface AgentConfig {
    /** Where agent pods run. */
    namespace: string;
    /** The image of the one template "default", when `templates` is empty. */
    image: string;
    /** The stack's pod templates; empty: the one template "default". */
    templates: AgentTemplate[];
}

/** A pod template of the Kubernetes cloud (the chart's agent.podTemplates). */
export interface AgentTemplate {
    name: string;
    /** The Jenkins labels that pick it (space-separated); only jobs that ask for one use it. Undefined: jobs without a label. */
    label?: string;
    image: string;
    resources: {
        requests: { cpu: string; memory: string };
        limits: { cpu?: string; memory: string };
    };
    /** Node labels the agent pod must run on; empty: any node. */
    nodeSelector: Record<string, string>;
}

/** The template an agents-enabled stack gets without templates of its own. */
function defaultTemplate(image: string): AgentTemplate {
    return {
        name: "default",
        image,
        resources: { requests: { cpu: "500m", memory: "512Mi" }, limits: { memory: "512Mi" } },
        nodeSelector: {},
    };
}

export interface ConfigAsCodeArgs {
    adminUser: string;
    /** The URL Jenkins tells users and agents (Manage Jenkins > Location). */
    url: string;
    /** Where Jenkins serves under ("" = at /): agents dial the web port there. */
    uriPrefix: string;
    /** The Services agents dial: the web port, then the inbound agent port. */
    serviceHost: string;
    agentServiceHost: string;
    agents?: AgentConfig;
    /** The stack's own JCasC files, name -> YAML. */
    userFiles: Record<string, string>;
}

/**
 * plugins.txt: the program's base set (configuration-as-code when configured as code,
 * kubernetes with agents, prometheus with jenkins.prometheus) and the stack's pins, which win for the same id. Sorted so that
 * the same set always gives the same file (and the same checksum).
 */
export function pluginsTxt(
    user: string[],
    opts: { asCode: boolean; agents: boolean; prometheus?: boolean },
): string {
    const byId = new Map<string, string>();
    const base = [
        ...(opts.asCode ? [CASC_PLUGIN] : []),
        ...(opts.agents ? [KUBERNETES_PLUGIN] : []),
        ...(opts.prometheus ? [PROMETHEUS_PLUGIN] : []),
    ];
    for (const p of [...base, ...user]) byId.set(p.split(":")[0], p);
    return [...byId.keys()]
        .sort()
        .map((id) => `${byId.get(id)}\n`)
        .join("");
}

/**
 * An agent's pod: the plugin merges its own jnlp container settings and workspace volume
 * into this. Restricted Pod Security: non-root, no privilege escalation, no capabilities,
 * RuntimeDefault seccomp; no service account token (a build needs no API access).
 */
export function agentPodSpec(t: AgentTemplate) {
    return {
        automountServiceAccountToken: false,
        ...(Object.keys(t.nodeSelector).length ? { nodeSelector: t.nodeSelector } : {}),
        securityContext: {
            runAsNonRoot: true,
            runAsUser: 1000,
            runAsGroup: 1000,
            fsGroup: 1000,
            seccompProfile: { type: "RuntimeDefault" },
        },
        containers: [
            {
                name: "jnlp",
                image: t.image,
                securityContext: {
                    allowPrivilegeEscalation: false,
                    capabilities: { drop: ["ALL"] },
                    runAsNonRoot: true,
                },
                resources: t.resources,
            },
        ],
    };
}

/** One template in JCasC's terms: a labelled one serves only the jobs that ask for its label. */
function cascTemplate(t: AgentTemplate, namespace: string) {
    return {
        name: t.name,
        ...(t.label ? { label: t.label, nodeUsageMode: "EXCLUSIVE" } : {}),
        namespace,
        yamlMergeStrategy: "merge",
        yaml: YAML.stringify({ apiVersion: "v1", kind: "Pod", spec: agentPodSpec(t) }),
    };
}

function kubernetesCloud(args: ConfigAsCodeArgs, agents: AgentConfig) {
    const templates = agents.templates.length ? agents.templates : [defaultTemplate(agents.image)];
    return {
        kubernetes: {
            name: "kubernetes",
            serverUrl: "https://kubernetes.default",
            namespace: agents.namespace,
            jenkinsUrl: `http://${args.serviceHost}:${HTTP_PORT}${args.uriPrefix}`,
            jenkinsTunnel: `${args.agentServiceHost}:${AGENT_PORT}`,
            containerCapStr: "10",
            podLabels: Object.entries(AGENT_POD_LABEL).map(([key, value]) => ({ key, value })),
            templates: templates.map((t) => cascTemplate(t, agents.namespace)),
        },
    };
}

/**
 * The program's JCasC file: one admin (password from the mounted Secret), logged-in users
 * may do anything and anonymous users nothing, no builds on the controller, the URL, and
 * with agents the Kubernetes cloud. Login (securityRealm) and authorisation are the
 * stack's when one of its files sets them: the base then leaves that part out, since JCasC
 * would merge the two into one realm with two kinds and refuse it (cascMerge.ts).
 */
function baseCasc(args: ConfigAsCodeArgs): string {
    const own = (key: string) => !stackSetsJenkins(args.userFiles, key);
    const realm = {
        local: {
            allowsSignup: false,
            users: [
                {
                    id: args.adminUser,
                    name: "Jenkins Admin",
                    password: `\${${ADMIN_PASSWORD_KEY}}`,
                },
            ],
        },
    };
    const doc = {
        jenkins: {
            numExecutors: 0,
            ...(own("securityRealm") ? { securityRealm: realm } : {}),
            ...(own("authorizationStrategy")
                ? {
                      authorizationStrategy: {
                          loggedInUsersCanDoAnything: { allowAnonymousRead: false },
                      },
                  }
                : {}),
            ...(args.agents ? { clouds: [kubernetesCloud(args, args.agents)] } : {}),
        },
        unclassified: { location: { url: args.url } },
    };
    return YAML.stringify(doc);
}

/** The program's own JCasC file's name in the directory. */
export const BASE_CASC_FILE = "jenkins-ceph.yaml";

/** The JCasC directory's files: the program's first, then the stack's. */
export function cascFiles(args: ConfigAsCodeArgs): Record<string, string> {
    const files: Record<string, string> = { [BASE_CASC_FILE]: baseCasc(args) };
    for (const [name, text] of Object.entries(args.userFiles)) files[`${name}.yaml`] = text;
    return files;
}

/** A digest of what Jenkins reads only at start: in the pod template, a change rolls the pod. */
export function configChecksum(parts: Record<string, string>): string {
    const h = createHash("sha256");
    for (const key of Object.keys(parts).sort()) h.update(`${key}\0${parts[key]}\0`);
    return h.digest("hex");
}
