// The shape of each structured stack setting, with defaults. Every message says what is
// wrong; settings.ts adds the full key and an example of a right value.
import { z } from "zod";
import * as rules from "./rules";
import { parseStorageQuantity } from "./quantity";
import { CONTROLLER_ENV, INIT_CONTAINER_ENV } from "../components/jenkins/jenkinsPod";

// Defaults that error examples repeat: written once here.
const CHART_VERSION = "3.13.1";
const JENKINS_IMAGE = "jenkins/jenkins:2.568.2-jdk21";
const PAUSE_IMAGE = "registry.k8s.io/pause:3.10.1";
const AGENT_IMAGE = "jenkins/inbound-agent:3324.vea_eda_e98cd69-1";
/** The Jenkins chart's config reload image (its values.yaml, sidecars.configAutoReload). */
const RELOAD_IMAGE = "kiwigrid/k8s-sidecar:1.27.6";
const CSI_NAMESPACE = "ceph-csi-rbd";
const CEPH_ID = "kube (the id without client.)";

type Check<T> = (v: T) => string | undefined;

function checked<T extends z.ZodTypeAny>(schema: T, check: Check<z.output<T>>): z.ZodEffects<T> {
    const refine = (v: z.output<T>, ctx: z.RefinementCtx): void => {
        const reason = check(v);
        if (reason) ctx.addIssue({ code: "custom", message: reason });
    };
    // zod 3 types superRefine on a generic schema loosely; the refinement itself is typed.
    return schema.superRefine(refine) as z.ZodEffects<T>;
}

const str = (check: Check<string>) => checked(z.string(), check);

const quantity = str((v) => {
    if (v.startsWith("-")) return `"${v}" is negative`;
    const q = parseStorageQuantity(v);
    return "error" in q ? q.error : undefined;
});
const cpu = str((v) =>
    /^([0-9]+m|[0-9]+(\.[0-9]+)?)$/.test(v) && !/^0+(\.0+)?m?$/.test(v)
        ? undefined
        : `"${v}" is not a CPU quantity`,
);

const IMAGE_FEATURES = [
    "layering",
    "exclusive-lock",
    "object-map",
    "fast-diff",
    "deep-flatten",
    "journaling",
] as const;

const imageFeatures = str((v) => {
    if (/\s/.test(v))
        return `"${v}" has white space; write the features comma-separated, without spaces`;
    const list = v.split(",");
    const unknown = list.filter((f) => !(IMAGE_FEATURES as readonly string[]).includes(f));
    if (unknown.length) return `unknown rbd image feature(s) ${unknown.join(", ")}`;
    // Both provisioners map the image with the kernel client (krbd), which refuses to map
    // an image with journaling: the pod would never start.
    if (list.includes("journaling")) {
        return "journaling cannot be mapped by the kernel rbd client that ceph-csi and the in-tree plugin mount with; leave it out";
    }
    const needs: [string, string][] = [
        ["object-map", "exclusive-lock"],
        ["fast-diff", "object-map"],
        ["journaling", "exclusive-lock"],
    ];
    for (const [f, dep] of needs) {
        if (list.includes(f) && !list.includes(dep)) return `feature ${f} needs ${dep}`;
    }
    return undefined;
});

const cephSchema = z
    .object({
        provisioner: z
            .enum(["csi", "in-tree"])
            .default("csi")
            .describe("csi (or in-tree, for Kubernetes up to 1.30)"),
        monitors: z
            .array(str(rules.monitor))
            .optional()
            .describe('["192.168.30.23:6789", "[2001:db8::1]:3300"]'),
        // Required unless existingStorageClass is set (a cross-field rule).
        pool: str(rules.cephName).optional().describe("kubes"),
        user: str(rules.cephUser).optional().describe(CEPH_ID),
        adminId: str(rules.cephUser).default("admin").describe(CEPH_ID),
        clusterId: str(rules.cephName)
            .optional()
            .describe("the cluster fsid from `ceph fsid`, or the Rook namespace"),
        csiDriver: str(rules.dnsSubdomain)
            .default("rbd.csi.ceph.com")
            .describe("rbd.csi.ceph.com (Rook: rook-ceph.rbd.csi.ceph.com)"),
        storageClassName: str(rules.dnsSubdomain).default("ceph").describe("ceph"),
        secretNamespace: str(rules.dnsLabel)
            .optional()
            .describe(
                "ceph-secrets (default: <jenkins.namespace>-ceph, or ceph.csi.namespace when ceph.csi.install is true)",
            ),
        existingStorageClass: str(rules.dnsSubdomain)
            .optional()
            .describe("rook-ceph-block (a class the cluster already has; dynamic mode only)"),
        fsType: z.enum(["ext4", "xfs"]).default("ext4").describe("ext4 (or xfs)"),
        imageFeatures: imageFeatures.default("layering").describe("layering"),
        timeoutSeconds: z.number().int().min(1).max(600).default(20).describe("20"),
        readAtPreview: z
            .boolean()
            .default(true)
            .describe("true (false for a runner that cannot reach the monitors)"),
        csi: z
            .object({
                install: z
                    .boolean()
                    .default(false)
                    .describe("false (true installs the ceph-csi-rbd chart)"),
                chartVersion: str((v) =>
                    /^\d+\.\d+\.\d+$/.test(v) ? undefined : `"${v}" is not a pinned chart version`,
                )
                    .default(CHART_VERSION)
                    .describe(CHART_VERSION),
                namespace: str(rules.dnsLabel).default(CSI_NAMESPACE).describe(CSI_NAMESPACE),
                provisionerReplicas: z
                    .number()
                    .int()
                    .min(1)
                    .max(5)
                    .default(1)
                    .describe("1 (3 on clusters with 3 or more nodes)"),
                chartPath: z
                    .string()
                    .min(1)
                    .optional()
                    .describe("./charts/ceph-csi-rbd (a local copy of the chart, for mirrors)"),
            })
            .strict()
            .default({}),
    })
    .strict()
    .describe(
        '{"monitors": ["10.0.0.1:6789"], "pool": "kubes", "user": "kube", "clusterId": "<fsid>"}',
    );

const volumeSchema = z
    .object({
        size: quantity.default("100Gi").describe("100Gi"),
        accessMode: checked(
            z.enum(["ReadWriteOnce", "ReadWriteOncePod", "ReadWriteMany", "ReadOnlyMany"]),
            (v) =>
                v === "ReadWriteMany" || v === "ReadOnlyMany"
                    ? `${v} is not possible for an RBD filesystem volume: an rbd image with a ` +
                      "filesystem can be mounted read-write by one node only (Kubernetes lists RBD as " +
                      "RWO/ROX, ceph-csi refuses multi-node modes unless volumeMode is Block), and a " +
                      "Jenkins home must be writable; Jenkins runs one replica with the Recreate " +
                      "strategy, so ReadWriteOnce is right"
                    : undefined,
        )
            .default("ReadWriteOnce")
            .describe("ReadWriteOnce"),
        reclaimPolicy: z.enum(["Retain", "Delete"]).default("Retain").describe("Retain"),
        image: str(rules.cephName).default("jenkins").describe("jenkins"),
        pvName: str(rules.dnsSubdomain).default("jenkins").describe("jenkins"),
        claimName: str(rules.dnsSubdomain).default("jenkins").describe("jenkins"),
        deleteImageOnDestroy: z.boolean().default(false).describe("false"),
        // A change that would put Jenkins on a new empty volume in place of its home is
        // refused (settings/homeGuard.ts) unless this says so, for that one `pulumi up`.
        startEmpty: z
            .boolean()
            .default(false)
            .describe("false (true: begin with an empty home in place of the previous one)"),
        protect: z.boolean().optional().describe("false"),
        snapshots: z
            .object({
                enabled: z
                    .boolean()
                    .default(true)
                    .describe("true (false where no machine can run rbd against the monitors)"),
                keep: z.number().int().min(1).max(100).default(5).describe("5"),
            })
            .strict()
            .default({})
            .describe('{"enabled": true, "keep": 5}'),
    })
    .strict();

const resourcesSchema = z
    .object({
        requests: z
            .object({ cpu: cpu.default("500m").describe("500m"), memory: quantity.default("4Gi") })
            .strict()
            .default({}),
        limits: z
            .object({ cpu: cpu.default("2").describe("2"), memory: quantity.default("4Gi") })
            .strict()
            .default({}),
    })
    .strict()
    .describe('{"requests": {"memory": "4Gi"}, "limits": {"memory": "4Gi"}}');

const millicores = (q: string) => (q.endsWith("m") ? Number(q.slice(0, -1)) : Number(q) * 1000);
const bytesOf = (q: string) => {
    const b = parseStorageQuantity(q);
    return "bytes" in b ? b.bytes : undefined;
};

/** An agent's jnlp container: what it asks and what caps it. */
const agentResourcesSchema = z
    .object({
        requests: z
            .object({ cpu: cpu.default("500m"), memory: quantity.default("512Mi") })
            .strict()
            .default({}),
        limits: z
            .object({
                cpu: cpu.optional().describe("2 (default: none)"),
                memory: quantity.default("512Mi"),
            })
            .strict()
            .default({}),
    })
    .strict()
    .default({})
    .superRefine(({ requests, limits }, ctx) => {
        // The API server refuses a pod whose request is above its limit.
        if (limits.cpu !== undefined && millicores(requests.cpu) > millicores(limits.cpu))
            ctx.addIssue({
                code: "custom",
                path: ["requests", "cpu"],
                message: `(${requests.cpu}) is more than limits.cpu (${limits.cpu}), which the API server refuses`,
            });
        const [req, lim] = [bytesOf(requests.memory), bytesOf(limits.memory)];
        if (req !== undefined && lim !== undefined && req > lim)
            ctx.addIssue({
                code: "custom",
                path: ["requests", "memory"],
                message: `(${requests.memory}) is more than limits.memory (${limits.memory}), which the API server refuses`,
            });
    })
    .describe('{"requests": {"cpu": "1", "memory": "2Gi"}, "limits": {"memory": "2Gi"}}');

/** One pod template of the Kubernetes cloud (the chart's agent.podTemplates). */
const agentTemplateSchema = z
    .object({
        name: str((v) =>
            /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(v)
                ? undefined
                : `"${v}" is not a template name (lower-case letters, digits and -, as pod names start with it)`,
        ).describe("maven"),
        label: str((v) =>
            /^[A-Za-z0-9_.-]+( [A-Za-z0-9_.-]+)*$/.test(v)
                ? undefined
                : `"${v}" is not a list of Jenkins labels (words separated by one space)`,
        )
            .optional()
            .describe("maven java (default: none, the template of jobs that ask for no label)"),
        image: str(rules.pinnedImage).describe(AGENT_IMAGE),
        resources: agentResourcesSchema,
        nodeSelector: z
            .record(str(rules.labelKey), str(rules.labelValue))
            .default({})
            .describe('{"kubernetes.io/arch": "amd64"}'),
    })
    .strict()
    .describe(`{"name": "maven", "label": "maven", "image": "${AGENT_IMAGE}"}`);

const tolerationSchema = z
    .object({
        key: str(rules.labelKey).optional(),
        operator: z.enum(["Exists", "Equal"]).default("Equal"),
        value: str(rules.labelValue).optional(),
        effect: z.enum(["NoSchedule", "PreferNoSchedule", "NoExecute"]).optional(),
        tolerationSeconds: z.number().int().min(0).optional(),
    })
    .strict()
    .superRefine((t, ctx) => {
        if (t.operator === "Exists" && t.value !== undefined)
            ctx.addIssue({ code: "custom", message: "takes no value with operator Exists" });
        if (t.key === undefined && t.operator !== "Exists")
            ctx.addIssue({ code: "custom", message: "without a key needs operator Exists" });
        if (t.tolerationSeconds !== undefined && t.effect !== "NoExecute")
            ctx.addIssue({ code: "custom", message: "tolerationSeconds needs effect NoExecute" });
    })
    .describe('{"key": "dedicated", "operator": "Equal", "value": "ci", "effect": "NoSchedule"}');

/** The settings the program's own variables come from (the chart sets some through the env lists). */
const CONTROLLER_ENV_SETTING: Record<string, string> = {
    JAVA_OPTS: "jenkins.javaOpts",
    JENKINS_OPTS: "jenkins.jenkinsOpts",
};
const INIT_ENV_SETTING: Record<string, string> = {
    JENKINS_UC: "jenkins.pluginDownload.updateCenter",
    JENKINS_UC_DOWNLOAD: "jenkins.pluginDownload.downloadSite",
    JENKINS_UC_DOWNLOAD_URL: "jenkins.pluginDownload.downloadSite",
    JAVA_OPTS: "jenkins.pluginDownload.proxy",
};

/** Refuses, at `[i].name`, every entry whose name an earlier entry has. */
function namesOnce(
    list: { name: string }[],
    ctx: z.RefinementCtx,
    message: (name: string) => string,
): void {
    const seen = new Set<string>();
    list.forEach(({ name }, i) => {
        if (seen.has(name))
            ctx.addIssue({ code: "custom", path: [i, "name"], message: message(name) });
        seen.add(name);
    });
}

/** Extra variables for a container: each name once, none the program sets itself. */
function envList(programs: readonly string[], settings: Record<string, string>, example: string) {
    return z
        .array(z.object({ name: str(rules.envName), value: z.string() }).strict())
        .default([])
        .superRefine((list, ctx) => {
            namesOnce(list, ctx, (name) => `sets ${name} twice`);
            list.forEach((e, i) => {
                if (!programs.includes(e.name)) return;
                const instead = settings[e.name];
                ctx.addIssue({
                    code: "custom",
                    path: [i, "name"],
                    message: instead
                        ? `sets ${e.name}, which this program sets from ${instead}; set that instead`
                        : `sets ${e.name}, which this program sets itself`,
                });
            });
        })
        .describe(example);
}

const pluginDownloadSchema = z
    .object({
        updateCenter: str(rules.httpUrl)
            .optional()
            .describe(
                "https://updates.example.com/update-center.json (default: updates.jenkins.io)",
            ),
        downloadSite: str(rules.httpUrl)
            .optional()
            .describe("https://mirror.example.com/jenkins/plugins/ (default: the update centre's)"),
        proxy: str((v) => {
            const p = rules.proxyUrl(v);
            return "error" in p ? p.error : undefined;
        })
            .transform((v) => rules.proxyUrl(v) as { host: string; port: number })
            .optional()
            .describe("http://proxy.example.com:3128 (default: none)"),
        noProxy: z
            .array(str(rules.noProxyHost))
            .default([])
            .describe('["*.example.com", "10.0.0.5"]'),
    })
    .strict()
    .default({})
    .describe('{"downloadSite": "https://mirror.example.com/jenkins/plugins/"}');

const jenkinsSchema = z
    .object({
        namespace: str(rules.dnsLabel).default("ci-infra").describe("ci-infra"),
        name: str(rules.jenkinsName).default("jenkins").describe("jenkins"),
        image: str(rules.pinnedImage).default(JENKINS_IMAGE).describe(JENKINS_IMAGE),
        nodeAffinity: z
            .record(str(rules.labelKey), str(rules.labelValue))
            .default({})
            .describe('{"cicd-services": "enabled"} (default {}: any node)'),
        tolerations: z
            .array(tolerationSchema)
            .default([])
            .describe('[{"key": "dedicated", "value": "ci", "effect": "NoSchedule"}]'),
        priorityClassName: str(rules.dnsSubdomain).optional().describe("system-cluster-critical"),
        pdb: z.boolean().default(false).describe("false"),
        networkPolicy: z
            .object({ ingressNamespace: str(rules.dnsLabel).describe("ingress-nginx") })
            .strict()
            .optional()
            .describe('{"ingressNamespace": "ingress-nginx"}'),
        javaOpts: z
            .string()
            .default("")
            .describe("-XX:+UnlockDiagnosticVMOptions -XX:G1SummarizeRSetStatsPeriod=1"),
        replaceDefaultJavaOpts: z.boolean().default(false),
        jenkinsOpts: z.string().default(""),
        timezone: str(rules.timeZone).default("UTC").describe("Asia/Seoul"),
        resources: resourcesSchema.default({}),
        infra: z
            .object({
                shareProcessNamespace: z.boolean().default(true).describe("true"),
                sidecar: z.boolean().default(true).describe("true"),
                image: str(rules.pinnedImage).default(PAUSE_IMAGE).describe(PAUSE_IMAGE),
            })
            .strict()
            .default({})
            .describe("true"),
        podSecurity: z
            .enum(["restricted", "baseline", "privileged"])
            .default("restricted")
            .describe("restricted (or baseline)"),
        ingress: z
            .object({
                host: str(rules.dnsSubdomain),
                className: str(rules.dnsSubdomain).optional(),
                tlsSecretName: str(rules.dnsSubdomain).optional(),
                annotations: z
                    .record(str(rules.labelKey), z.string())
                    .default({})
                    .describe('{"nginx.ingress.kubernetes.io/proxy-body-size": "50m"}'),
            })
            .strict()
            .optional()
            .describe('{"host": "jenkins.example.com", "className": "nginx"}'),
        agents: z
            .object({
                enabled: z.boolean().default(false),
                namespace: str(rules.dnsLabel)
                    .optional()
                    .describe("ci-agents (default: jenkins.namespace)"),
                image: str(rules.pinnedImage).default(AGENT_IMAGE).describe(AGENT_IMAGE),
                templates: z
                    .array(agentTemplateSchema)
                    .default([])
                    .superRefine((list, ctx) =>
                        namesOnce(
                            list,
                            ctx,
                            (name) =>
                                `names template ${name} twice (the Kubernetes plugin keeps one of them)`,
                        ),
                    )
                    .describe(`[{"name": "maven", "label": "maven", "image": "${AGENT_IMAGE}"}]`),
            })
            .strict()
            .default({})
            .describe('{"enabled": true}'),
        adminUser: str((v) =>
            /^[A-Za-z0-9_.@-]{1,64}$/.test(v) ? undefined : `"${v}" is not a Jenkins user id`,
        )
            .default("admin")
            .describe("admin"),
        // A password given with --path lands here, in plaintext inside the jenkins object.
        adminPassword: z
            .unknown()
            .optional()
            .superRefine((v, ctx) => {
                if (v === undefined) return;
                ctx.addIssue({
                    code: "custom",
                    message:
                        "must be its own secret key, not a field of jenkins (set it without --path)",
                    params: { example: "pulumi config set --secret jenkins.adminPassword" },
                });
            }),
        plugins: z
            .array(str(rules.pinnedPlugin))
            .default([])
            .superRefine((list, ctx) => {
                const seen = new Set<string>();
                for (const p of list) {
                    const id = p.split(":")[0];
                    // The update centre's ids are case-insensitive: Git and git are one plugin.
                    if (seen.has(id.toLowerCase()))
                        ctx.addIssue({ code: "custom", message: `lists plugin ${id} twice` });
                    seen.add(id.toLowerCase());
                }
            })
            .describe('["git:5.7.0", "workflow-aggregator:608.v67378e9d3db_1"]'),
        casc: z
            .record(str(rules.cascName), str(rules.cascYaml))
            .default({})
            .describe('{"welcome": "jenkins:\\n  systemMessage: Configured as code"}'),
        pluginDownload: pluginDownloadSchema,
        containerEnv: envList(
            CONTROLLER_ENV,
            CONTROLLER_ENV_SETTING,
            '[{"name": "http_proxy", "value": "http://proxy.example.com:3128"}]',
        ),
        initContainerEnv: envList(
            INIT_CONTAINER_ENV,
            INIT_ENV_SETTING,
            '[{"name": "JENKINS_PLUGIN_INFO", "value": "https://mirror.example.com/plugin-versions.json"}]',
        ),
        imagePullSecretName: str(rules.dnsSubdomain).optional().describe("registry-credentials"),
        configAutoReload: z
            .object({
                enabled: z.boolean().default(false),
                image: str(rules.pinnedImage).default(RELOAD_IMAGE).describe(RELOAD_IMAGE),
            })
            .strict()
            .default({})
            .describe('{"enabled": true}'),
        prometheus: z
            .object({
                enabled: z.boolean().default(false),
                scrapeInterval: str((v) =>
                    /^[1-9][0-9]*(s|m|h)$/.test(v)
                        ? undefined
                        : `"${v}" is not a duration such as 60s or 1m`,
                )
                    .default("60s")
                    .describe("60s"),
                serviceMonitor: z
                    .boolean()
                    .optional()
                    .describe("true (default: made when the cluster has the ServiceMonitor CRD)"),
                serviceMonitorLabels: z
                    .record(str(rules.labelKey), str(rules.labelValue))
                    .default({})
                    .describe('{"release": "kube-prometheus-stack"}'),
                scraperNamespace: str(rules.dnsLabel)
                    .optional()
                    .describe("monitoring (needed with jenkins.networkPolicy)"),
            })
            .strict()
            .default({})
            .describe('{"enabled": true}'),
        adminExistingSecret: str(rules.dnsSubdomain)
            .optional()
            .describe(
                "jenkins-admin-credentials (keys jenkins-admin-user and jenkins-admin-password)",
            ),
        existingSecrets: z
            .array(
                z
                    .object({
                        name: str(rules.dnsSubdomain).describe("ldap-bind"),
                        keyName: str(rules.cascSecretName).describe("LDAP_PASSWORD"),
                    })
                    .strict(),
            )
            .default([])
            .describe('[{"name": "ldap-bind", "keyName": "LDAP_PASSWORD"}]'),
        jenkinsUriPrefix: str(rules.uriPrefix)
            .optional()
            .describe("/jenkins (default: none, Jenkins at /)"),
        agentListenerServiceType: z
            .enum(["ClusterIP", "NodePort", "LoadBalancer"])
            .default("ClusterIP")
            .describe("LoadBalancer (default ClusterIP: agents in the cluster only)"),
    })
    .strict();

const rbdHostSchema = z
    .object({
        host: str(rules.host).describe("ceph-admin.example.com"),
        port: z.number().int().min(1).max(65535).default(22).describe("22"),
        user: str((v) =>
            /^[a-z_][a-z0-9_-]*[$]?$/.test(v) ? undefined : `"${v}" is not a user name`,
        ).describe("ceph-admin"),
        // Pinned: the rbd program with the Ceph key goes only to the host that shows it.
        hostKey: str((v) => {
            const k = rules.sshHostKey(v);
            return "error" in k ? k.error : undefined;
        })
            .transform((v) => (rules.sshHostKey(v) as { key: string }).key)
            .optional()
            .describe(
                'the line `ssh-keyscan -t ed25519 ceph-admin.example.com` prints, e.g. "ceph-admin.example.com ssh-ed25519 AAAAC3Nza..."',
            ),
        insecureIgnoreHostKey: z
            .boolean()
            .default(false)
            .describe(
                "false (true sends the Ceph key to whatever answers at host; warned on every run)",
            ),
    })
    .strict()
    .describe('{"host": "ceph-admin.example.com", "user": "ceph-admin"}');

// A pinned Ceph image for the backup CronJob: it has rbd and python3 (the backup program's
// only needs besides gpg), and librbd maps nothing, so the pod needs no privilege.
const BACKUP_IMAGE = "quay.io/ceph/ceph:v18.2.4";

const cronSchedule = str((v) => {
    if (/^@(yearly|annually|monthly|weekly|daily|midnight|hourly)$/.test(v)) return undefined;
    const fields = v.trim().split(/\s+/);
    if (fields.length !== 5)
        return `"${v}" is not a cron schedule of five fields (minute hour day-of-month month day-of-week)`;
    return fields.every((f) => /^[0-9*/,A-Za-z?-]+$/.test(f))
        ? undefined
        : `"${v}" has a field cron does not read`;
});

const backupKeep = z
    .union([
        z.number().int().min(1).max(1000),
        str((v) =>
            /^[1-9][0-9]{0,3}d$/.test(v)
                ? undefined
                : `"${v}" is neither a number of chains nor a number of days such as 30d`,
        ),
    ])
    .transform((v) => (typeof v === "number" ? { chains: v } : { days: Number(v.slice(0, -1)) }));

const backupSchema = z
    .object({
        s3: z
            .object({
                endpoint: str(rules.s3Endpoint).describe("https://s3.eu-west-1.amazonaws.com"),
                bucket: str(rules.s3Bucket).describe("jenkins-backups"),
                prefix: str(rules.s3Prefix)
                    .optional()
                    .describe("jenkins-ceph/prod/ (default: <project>/<stack>/)"),
                region: str(rules.s3Region).default("us-east-1").describe("us-east-1"),
            })
            .strict()
            .describe('{"endpoint": "https://s3.example.com", "bucket": "jenkins-backups"}'),
        schedule: cronSchedule.default("17 3 * * *").describe("17 3 * * * (03:17 every day)"),
        verifySchedule: cronSchedule
            .optional()
            .describe("47 4 * * 0 (a restore test every Sunday at 04:47)"),
        timeZone: str(rules.cronTimeZone).optional().describe("Europe/Berlin (default: UTC)"),
        keep: backupKeep.default(4).describe('4 (chains), or "30d" (days)'),
        chainLength: z.number().int().min(1).max(100).default(7).describe("7"),
        image: str(rules.pinnedImage).default(BACKUP_IMAGE).describe(BACKUP_IMAGE),
    })
    .strict()
    .describe(
        '{"s3": {"endpoint": "https://s3.example.com", "bucket": "jenkins-backups"}, "schedule": "17 3 * * *"}',
    );

const modeSchema = z.enum(["dynamic", "static"]).describe("dynamic (or static)");

/** A secret setting: stored encrypted, of the right form; its value never reaches a message. */
function secretSetting(key: string, check: Check<string>, suffix = "") {
    return z
        .object({ value: z.string(), secret: z.boolean() })
        .superRefine((v, ctx) => {
            const reason = v.secret
                ? check(v.value)
                : "is stored in plaintext; it must be a secret";
            if (!reason) return;
            const example = v.secret
                ? undefined
                : `pulumi config set --secret ${key} (it prompts for the value, which stays out of your shell history)`;
            ctx.addIssue({ code: "custom", message: reason, params: { example } });
        })
        .transform((v) => v.value.trim() + suffix);
}

/**
 * A map of secrets set one by one with `--secret --path 'KEY.NAME'`: the CLI marks the whole
 * key secret and hands it over as JSON. Each name must be a file name JCasC can resolve as
 * ${NAME}; no value ever reaches a message.
 */
function secretMap(key: string) {
    const example = `pulumi config set --secret --path '${key}.LDAP_PASSWORD' (it prompts)`;
    return z
        .object({ value: z.string(), secret: z.boolean() })
        .transform((v, ctx): Record<string, string> => {
            const fail = (message: string) => {
                ctx.addIssue({ code: "custom", message, params: { example } });
                return z.NEVER;
            };
            if (!v.secret)
                return fail("is stored in plaintext; every value in it must be a secret");
            let map: unknown;
            try {
                map = JSON.parse(v.value);
            } catch {
                return fail("is not a map of names to secrets");
            }
            if (typeof map !== "object" || map === null || Array.isArray(map))
                return fail("is not a map of names to secrets");
            for (const [name, value] of Object.entries(map)) {
                const bad =
                    rules.cascSecretName(name) ??
                    (typeof value === "string" && value !== ""
                        ? undefined
                        : "has an empty or non-text value");
                if (bad) return fail(`${name}: ${bad}`);
            }
            return map as Record<string, string>;
        });
}

const sshKey: Check<string> = (v) =>
    /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(v)
        ? undefined
        : "is not a PEM or OpenSSH private key";

/** A structured setting whose text was not JSON (settings.ts parses the config once). */
export class NotStructured {}

/**
 * A structured setting that holds a value set with `--secret --path`: the CLI marks the
 * whole key secret. None of its fields is secret material, and each reaches a resource
 * (and the state) as it is, so it is refused; its value is never read or echoed.
 */
export class SecretStructured {}

function structured<T extends z.ZodTypeAny>(schema: T, key: string) {
    return z.preprocess((v, ctx) => {
        if (v instanceof SecretStructured) {
            ctx.addIssue({
                code: "custom",
                message: `holds a value set with --secret (--path); nothing in ${key} is secret material, and it would reach the Deployment and the state in plaintext; set that field again without --secret, and keep secrets in cephUserKey, cephAdminKey, rbdHostKey, jenkins.adminPassword or the backup keys`,
                fatal: true,
                params: { example: `pulumi config set --path ${key}.<field> <value>` },
            });
            return z.NEVER;
        }
        if (!(v instanceof NotStructured)) return v;
        ctx.addIssue({
            code: "custom",
            message: "is not a structured value (set it as YAML in the stack file, or with --path)",
            fatal: true,
        });
        return z.NEVER;
    }, schema);
}

// Every top-level setting of a stack, in the order messages list them: the one list of
// them. settings.ts makes the strict root of these; which secrets are required depends on
// other settings, so that is a cross-field rule (crossRules.ts).
const STRUCTURED_FIELDS = {
    ceph: structured(cephSchema, "ceph"),
    volume: structured(volumeSchema.default({}), "volume"),
    jenkins: structured(jenkinsSchema.default({}), "jenkins"),
    rbdHost: structured(rbdHostSchema.optional(), "rbdHost"),
    backup: structured(backupSchema.optional(), "backup"),
};
const SECRET_FIELDS = {
    cephUserKey: secretSetting("cephUserKey", rules.cephKey).optional(),
    cephAdminKey: secretSetting("cephAdminKey", rules.cephKey).optional(),
    rbdHostKey: secretSetting("rbdHostKey", sshKey, "\n").optional(),
    // A dotted key of its own (set without --path), so that it can be a secret.
    "jenkins.adminPassword": secretSetting("jenkins.adminPassword", rules.adminPassword).optional(),
    backupAccessKey: secretSetting("backupAccessKey", rules.s3AccessKey).optional(),
    backupSecretKey: secretSetting("backupSecretKey", rules.s3SecretKey).optional(),
    backupEncryptionKey: secretSetting("backupEncryptionKey", rules.encryptionKey).optional(),
    jenkinsSecrets: secretMap("jenkinsSecrets").optional(),
};
export const STACK_FIELDS = { mode: modeSchema, ...STRUCTURED_FIELDS, ...SECRET_FIELDS };
/** Settings given as YAML objects (JSON text in the config). */
export const STRUCTURED_KEYS: ReadonlySet<string> = new Set(Object.keys(STRUCTURED_FIELDS));
/** Settings that must be secrets; the config hands them over as SecretInput. */
export const SECRET_KEYS: ReadonlySet<string> = new Set(Object.keys(SECRET_FIELDS));

/** Examples for the settings whose schema has none: the secrets. */
const SECRET_EXAMPLES: Record<string, string> = {
    cephUserKey: "AQD...== (from `ceph auth get-key client.kube`)",
    cephAdminKey: "AQD...== (from `ceph auth get-key client.admin`)",
    rbdHostKey: "the private key file: pulumi config set --secret rbdHostKey < ~/.ssh/id_ed25519",
    "jenkins.adminPassword":
        "pulumi config set --secret jenkins.adminPassword (it prompts; at least 12 characters)",
    backupAccessKey: "pulumi config set --secret backupAccessKey (the S3 access key id)",
    backupSecretKey: "pulumi config set --secret backupSecretKey (the S3 secret key)",
    backupEncryptionKey:
        "openssl rand -base64 32 | pulumi config set --secret backupEncryptionKey (keep a copy outside the stack: without it no backup can be restored)",
    jenkinsSecrets: "pulumi config set --secret --path 'jenkinsSecrets.LDAP_PASSWORD' (it prompts)",
};

/** The schema of a setting path ("ceph.monitors[0]"), or undefined past a leaf. */
export function schemaAt(path: string): z.ZodTypeAny | undefined {
    const [top, ...rest] = path.replace(/\[\d+\]/g, "").split(".");
    let cur: z.ZodTypeAny | undefined = (STACK_FIELDS as Record<string, z.ZodTypeAny>)[top];
    for (const seg of rest) {
        const obj = unwrap(cur);
        cur =
            obj instanceof z.ZodObject
                ? (obj.shape as Record<string, z.ZodTypeAny>)[seg]
                : undefined;
    }
    return cur;
}

/** The object or leaf inside the wrappers (default, optional, refinements, lists). */
export function unwrap(s: z.ZodTypeAny | undefined): z.ZodTypeAny | undefined {
    let cur = s;
    for (let inner = cur && innerOf(cur); inner; inner = innerOf(inner)) cur = inner;
    return cur;
}

/** A right value for a setting path: its field's example, else the nearest enclosing one. */
export function exampleFor(path: string): string | undefined {
    if (SECRET_EXAMPLES[path]) return SECRET_EXAMPLES[path];
    const parts = path.replace(/\[\d+\]/g, "").split(".");
    for (let n = parts.length; n > 0; n--) {
        // The example may sit on any wrapper: .default(x).describe(e) or on the inner type.
        for (let s = schemaAt(parts.slice(0, n).join(".")); s; s = innerOf(s)) {
            if (s.description) return s.description;
        }
    }
    return undefined;
}

/**
 * The schema one wrapper (default, optional, refinement) in; with `lists`, a list's
 * element too (a list's fields are its element's: "jenkins.tolerations.effect").
 */
export function innerOf(s: z.ZodTypeAny, lists = true): z.ZodTypeAny | undefined {
    if (s instanceof z.ZodArray) return lists ? (s.element as z.ZodTypeAny) : undefined;
    if (s instanceof z.ZodDefault) return s.removeDefault() as z.ZodTypeAny;
    if (s instanceof z.ZodOptional) return s.unwrap() as z.ZodTypeAny;
    if (s instanceof z.ZodEffects) return s.innerType() as z.ZodTypeAny;
    return undefined;
}
