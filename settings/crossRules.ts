// The rules that relate one setting to another (a mode, a provisioner, a limit, which
// secrets a stack needs): the superRefine of the stack's strict root (settings.ts). They
// run even when a setting failed its own shape, so every problem is reported at once.
import { defaultSecretNamespace } from "./defaults";
import { z } from "zod";
import { STACK_FIELDS } from "./schema";
import { MIB, parseStorageQuantity } from "./quantity";
import { heapFlagBytes, heapFlagErrors, javaOptsOrderErrors, jenkinsOptsErrors } from "./javaOpts";
import { javaOptsFor, splitOpts } from "../components/jenkins/javaOpts";
import {
    ADMIN_PASSWORD_KEY,
    ADMIN_USER_KEY,
    BASE_CASC_FILE,
    cascFiles,
} from "../components/jenkins/jenkinsConfig";
import { cascCollisions, configuredAsCode } from "../components/jenkins/cascMerge";
import { CONTROLLER_ENV } from "../components/jenkins/jenkinsPod";
import * as YAML from "yaml";

/** A setting that failed its own schema: present, with only its input to relate. */
export class InvalidSetting {
    constructor(readonly input: unknown) {}
}

export type StackFields = { [K in keyof typeof STACK_FIELDS]: z.output<(typeof STACK_FIELDS)[K]> };
/** What the rules see: each setting's value, undefined when absent, or InvalidSetting. */
export type LooseFields = { [K in keyof StackFields]: StackFields[K] | InvalidSetting };

type Add = (path: string, reason: string, example?: string) => void;

const ok = <T>(v: T | InvalidSetting): T | undefined =>
    v instanceof InvalidSetting ? undefined : v;

type SecretKey =
    "cephUserKey" | "cephAdminKey" | "rbdHostKey" | "backupAccessKey" | "backupSecretKey";

const NEEDED_WHY: Record<SecretKey, [why: string, example: string | undefined]> = {
    cephUserKey: [
        "(the key of the Ceph user in ceph.user)",
        "ceph auth get-key client.kube | pulumi config set --secret cephUserKey",
    ],
    cephAdminKey: [
        "with the in-tree provisioner in dynamic mode (it creates rbd images as ceph.adminId)",
        "ceph auth get-key client.admin | pulumi config set --secret cephAdminKey",
    ],
    rbdHostKey: ["when rbdHost is set (the SSH private key for it)", undefined],
    backupAccessKey: [
        "when backup is set (the S3 access key id)",
        "pulumi config set --secret backupAccessKey",
    ],
    backupSecretKey: [
        "when backup is set (the S3 secret key)",
        "pulumi config set --secret backupSecretKey",
    ],
};

/**
 * The secret settings a stack needs: the one place this is decided (the rules require
 * them; the offline render stands in for the missing ones). Takes the settings before or
 * after their own schema, so a setting that is present counts even when it is wrong.
 */
export function neededSecrets(s: {
    mode?: unknown;
    ceph?: unknown;
    rbdHost?: unknown;
    backup?: unknown;
}): SecretKey[] {
    const ceph =
        typeof s.ceph === "object" && s.ceph !== null
            ? (s.ceph as { provisioner?: unknown; existingStorageClass?: unknown })
            : {};
    const provisioner = ceph.provisioner;
    const needed: SecretKey[] = [];
    // A class the cluster already has (Rook) needs no key from this stack.
    if (ceph.existingStorageClass === undefined || s.mode !== "dynamic") needed.push("cephUserKey");
    if (provisioner === "in-tree" && s.mode === "dynamic") needed.push("cephAdminKey");
    if (s.rbdHost !== undefined) needed.push("rbdHostKey");
    if (s.backup !== undefined) needed.push("backupAccessKey", "backupSecretKey");
    return needed;
}

/**
 * JAVA_OPTS as the container gets it: the defaults (unless replaced), the wizard switched
 * off when Jenkins is configured as code, then the stack's own.
 */
function javaOptsTokens(jenkins: StackFields["jenkins"], configuredAsCode: boolean): string[] {
    return javaOptsFor({
        extra: jenkins.javaOpts,
        replaceDefaults: jenkins.replaceDefaultJavaOpts,
        timezone: jenkins.timezone,
        configuredAsCode,
    });
}

/** ceph.existingStorageClass: the class is the cluster's; nothing of this stack's Ceph applies. */
function existingClassRules(
    ceph: StackFields["ceph"],
    mode: StackFields["mode"] | undefined,
    volume: StackFields["volume"] | undefined,
    add: Add,
): void {
    if (mode === "static") {
        add(
            "ceph.existingStorageClass",
            "applies to dynamic mode only: a static volume is this stack's own rbd image, which needs ceph.pool, ceph.user and the key",
            "leave it out, or set mode to dynamic",
        );
    }
    if (volume?.snapshots.enabled ?? true) {
        add(
            "volume.snapshots.enabled",
            "must be false with ceph.existingStorageClass: this stack has no Ceph key or monitors to run rbd with (snapshot the image with the cluster's own tools)",
            "false",
        );
    }
    if (ceph.csi.install) {
        add(
            "ceph.csi.install",
            "installs a driver for this stack's own class; with ceph.existingStorageClass the cluster's driver serves the claim",
            "false",
        );
    }
    for (const field of ["monitors", "pool", "user", "clusterId", "secretNamespace"] as const) {
        if (ceph[field] !== undefined && mode !== "static") {
            add(
                `ceph.${field}`,
                "has no effect with ceph.existingStorageClass (the class holds the connection)",
                "leave it out",
            );
        }
    }
}

/** Namespaces Kubernetes itself uses: the program labels and fills none of them. */
const SYSTEM_NAMESPACES = ["kube-system", "kube-public", "kube-node-lease", "default"];

/**
 * Every namespace setting against every other: none is a system namespace, no namespace
 * where a Ceph key lives is one where Jenkins can start pods (its agents' namespace), the
 * driver's privileged namespace holds neither Jenkins nor its agents, and no object gets
 * two Namespace resources. Each refusal names both keys.
 */
function namespaceRules(
    ceph: StackFields["ceph"] | undefined,
    jenkins: StackFields["jenkins"],
    add: Add,
): void {
    const own = ceph && ceph.existingStorageClass === undefined;
    const driver = own && ceph.provisioner === "csi" && ceph.csi.install;
    const agents = jenkins.agents.enabled;
    const agentsNs = jenkins.agents.namespace ?? jenkins.namespace;
    const secretNs = own
        ? (ceph.secretNamespace ??
          defaultSecretNamespace(jenkins.namespace, driver ? ceph.csi.namespace : undefined))
        : undefined;
    const named: [string, string | undefined][] = [
        ["jenkins.namespace", jenkins.namespace],
        ["jenkins.agents.namespace", jenkins.agents.namespace],
        ["ceph.secretNamespace", own ? ceph.secretNamespace : undefined],
        ["ceph.csi.namespace", driver ? ceph.csi.namespace : undefined],
    ];
    for (const [key, ns] of named) {
        if (ns !== undefined && SYSTEM_NAMESPACES.includes(ns)) {
            add(
                key,
                `is "${ns}", a namespace Kubernetes itself uses; this program labels and fills the namespaces it is given, so give one of its own`,
            );
        }
    }
    const secretKey =
        ceph?.secretNamespace !== undefined
            ? "ceph.secretNamespace"
            : "ceph.secretNamespace (its default)";
    if (agents && secretNs !== undefined && agentsNs === secretNs) {
        add(
            jenkins.agents.namespace !== undefined
                ? "jenkins.agents.namespace"
                : "ceph.secretNamespace",
            `is the namespace of the Ceph key (${secretKey} is "${secretNs}"): any pipeline could start a pod there that mounts the key; give Jenkins' agents and ${secretKey} different namespaces`,
        );
    }
    if (driver && ceph.csi.namespace === jenkins.namespace) {
        add(
            "ceph.csi.namespace",
            `is jenkins.namespace ("${jenkins.namespace}"): the driver's namespace must allow privileged pods, which Jenkins' must not; give them different namespaces`,
        );
    } else if (driver && agents && ceph.csi.namespace === agentsNs) {
        add(
            "jenkins.agents.namespace",
            `is ceph.csi.namespace ("${agentsNs}"), which allows privileged pods: any pipeline could start one; give them different namespaces`,
        );
    }
    if (jenkins.agents.namespace !== undefined && jenkins.agents.namespace === jenkins.namespace) {
        add(
            "jenkins.agents.namespace",
            `is jenkins.namespace ("${jenkins.namespace}"): leave it out for that (agents then run beside Jenkins); setting it makes a second Namespace resource for the same namespace`,
            "leave it out",
        );
    }
}

const NEEDS_AS_CODE =
    "is read only by JCasC files, which need configuration as code (jenkins.adminPassword, jenkins.adminExistingSecret, or a securityRealm of the stack's own)";
const ADMIN_EXAMPLE = "pulumi config set --secret jenkins.adminPassword";

/**
 * The names of JCasC's secret files: jenkinsSecrets, existing Secrets' keys and the
 * admin's; a name two sources give is refused (one file would hide the other).
 */
function secretFileNames(
    jenkins: StackFields["jenkins"],
    own: string[],
    add: Add,
): ReadonlySet<string> {
    const names = new Set(own);
    if (jenkins.adminExistingSecret !== undefined)
        names.add(ADMIN_USER_KEY).add(ADMIN_PASSWORD_KEY);
    jenkins.existingSecrets.forEach((e, i) => {
        if (names.has(e.keyName))
            add(
                `jenkins.existingSecrets[${i}].keyName`,
                `${e.keyName} is a secret file another source gives already (jenkinsSecrets, an earlier entry or the admin's); give each name once`,
            );
        names.add(e.keyName);
    });
    return names;
}

/** Adds every cross-field problem through `add`. */
export function crossFieldRules(s: LooseFields, add: Add): void {
    const mode = ok(s.mode);
    const ceph = ok(s.ceph);
    const volume = ok(s.volume);
    const jenkins = ok(s.jenkins);
    const input = (v: unknown) => (v instanceof InvalidSetting ? v.input : v);
    for (const key of neededSecrets({
        mode: input(s.mode),
        ceph: input(s.ceph),
        rbdHost: s.rbdHost,
        backup: s.backup,
    })) {
        if (s[key] === undefined) {
            const [why, example] = NEEDED_WHY[key];
            add(key, `is required ${why}`, example);
        }
    }
    if (ceph?.existingStorageClass !== undefined) existingClassRules(ceph, mode, volume, add);
    else if (ceph) cephRules(ceph, mode, volume, jenkins, add);
    if (volume) volumeRules(volume, mode, add);
    rbdHostRules(s, add);
    backupRules(s, add);
    if (jenkins) {
        namespaceRules(ceph, jenkins, add);
        const hasAdminPassword = s["jenkins.adminPassword"] !== undefined;
        const asCode = configuredAsCode({ ...jenkins, hasAdminPassword });
        const secrets = secretFileNames(jenkins, Object.keys(ok(s.jenkinsSecrets) ?? {}), add);
        if (s.jenkinsSecrets !== undefined && !asCode)
            add("jenkinsSecrets", NEEDS_AS_CODE, ADMIN_EXAMPLE);
        if (hasAdminPassword && jenkins.adminExistingSecret !== undefined) {
            add(
                "jenkins.adminExistingSecret",
                "names a second source of the admin's password beside jenkins.adminPassword; keep one",
                "pulumi config rm jenkins.adminPassword",
            );
        }
        jenkinsRules(jenkins, asCode, secrets, add);
    }
}

/** The stack's own Ceph: what each provisioner needs, and where the monitors are needed. */
function cephRules(
    ceph: StackFields["ceph"],
    mode: StackFields["mode"] | undefined,
    volume: StackFields["volume"] | undefined,
    jenkins: StackFields["jenkins"] | undefined,
    add: Add,
): void {
    for (const field of ["pool", "user"] as const) {
        if (ceph[field] === undefined) add(`ceph.${field}`, "is required");
    }
    const csi = ceph.provisioner === "csi";
    if (csi && !ceph.clusterId) add("ceph.clusterId", "is required with the csi provisioner");
    if (!csi && ceph.imageFeatures !== "layering") {
        add("ceph.imageFeatures", "the in-tree provisioner supports only layering");
    }
    if (ceph.csi.install && !csi) {
        add(
            "ceph.csi.install",
            "installs ceph-csi, which the in-tree provisioner does not use; set ceph.provisioner to csi or install to false",
            "false",
        );
    }
    const snapshots = volume?.snapshots.enabled ?? true;
    const needsMonitors = !csi || mode === "static" || ceph.csi.install || snapshots;
    if (ceph.monitors === undefined && needsMonitors) {
        const why = !csi
            ? "with the in-tree provisioner"
            : mode === "static"
              ? "in static mode (rbd runs against them)"
              : ceph.csi.install
                ? "when ceph.csi.install is true (they go into the driver's ceph-csi-config)"
                : "for the snapshots before Jenkins restarts (rbd runs against them); or set volume.snapshots.enabled to false";
        add("ceph.monitors", `is required ${why}`);
    } else if (ceph.monitors !== undefined && ceph.monitors.length === 0) {
        add("ceph.monitors", "is empty");
    }
    const jenkinsNs = jenkins?.namespace;
    if (ceph.secretNamespace === undefined && jenkinsNs && !(csi && ceph.csi.install)) {
        const dflt = defaultSecretNamespace(jenkinsNs);
        if (dflt.length > 63) {
            add(
                "ceph.secretNamespace",
                `is required when jenkins.namespace is longer than 58 characters (the default, ${dflt}, is longer than 63)`,
            );
        }
    }
}

/** Sizes rbd can make, and the settings of one mode set in the other. */
function volumeRules(
    volume: StackFields["volume"],
    mode: StackFields["mode"] | undefined,
    add: Add,
): void {
    if (mode === "static") {
        const q = parseStorageQuantity(volume.size);
        if ("bytes" in q && q.bytes % MIB !== 0n) {
            add("volume.size", `"${volume.size}" is not a whole number of MiB, which rbd needs`);
        }
        // The rbd program computes bytes in the shell's signed 64-bit arithmetic.
        if ("bytes" in q && q.bytes >= 2n ** 63n) {
            add(
                "volume.size",
                `"${volume.size}" is larger than an rbd image this program can size (less than 8Ei)`,
            );
        }
    }
    if (volume.reclaimPolicy === "Delete" && mode === "static") {
        add(
            "volume.reclaimPolicy",
            "static PVs are always Retain (ceph-csi requires it); use volume.deleteImageOnDestroy to remove the image on destroy",
            "Retain",
        );
    }
    if (volume.deleteImageOnDestroy && mode === "dynamic") {
        add(
            "volume.deleteImageOnDestroy",
            "applies to static mode only; in dynamic mode volume.reclaimPolicy decides",
            "false",
        );
    }
}

/** rbd over SSH: the key with the host, and the host's key pinned. */
function rbdHostRules(s: LooseFields, add: Add): void {
    if (s.rbdHostKey !== undefined && s.rbdHost === undefined) {
        add("rbdHostKey", "is set but rbdHost is not");
    }
    const rbdHost = ok(s.rbdHost);
    if (rbdHost && ok(s.ceph)?.existingStorageClass !== undefined) {
        add(
            "rbdHost",
            "has no effect with ceph.existingStorageClass (this stack runs no rbd step)",
            "leave it out",
        );
    }
    if (rbdHost && rbdHost.hostKey === undefined && !rbdHost.insecureIgnoreHostKey) {
        add(
            "rbdHost.hostKey",
            `is required: without the host's key pinned, the rbd program and the Ceph key go to whatever answers at ${rbdHost.host}; get it with ssh-keyscan -p ${rbdHost.port} -t ed25519 ${rbdHost.host} (and check its fingerprint with the host's owner)`,
        );
    } else if (rbdHost && rbdHost.hostKey !== undefined && rbdHost.insecureIgnoreHostKey) {
        add(
            "rbdHost.insecureIgnoreHostKey",
            "contradicts rbdHost.hostKey; leave it out",
            "leave it out",
        );
    }
}

/** Backups read the stack's own image with its key, from a namespace Jenkins cannot use. */
function backupRules(s: LooseFields, add: Add): void {
    for (const key of ["backupAccessKey", "backupSecretKey", "backupEncryptionKey"] as const) {
        if (s[key] !== undefined && s.backup === undefined) add(key, "is set but backup is not");
    }
    if (s.backup === undefined) return;
    const ceph = ok(s.ceph);
    const jenkins = ok(s.jenkins);
    if (ceph?.existingStorageClass !== undefined) {
        add(
            "backup",
            "needs the stack's own Ceph key and image; with ceph.existingStorageClass this stack has neither (back up through the cluster's own tools)",
            "leave it out",
        );
    }
    if (ceph && jenkins && (ceph.secretNamespace ?? "") === jenkins.namespace) {
        add(
            "backup",
            `would put the S3 credentials and the Ceph key in Jenkins' own namespace (${jenkins.namespace}), where Jenkins can start pods that read them; leave ceph.secretNamespace at its default`,
            "pulumi config rm --path ceph.secretNamespace",
        );
    }
}

/** What configuration as code and agents need, and what the JVM and the API server refuse. */
function jenkinsRules(
    jenkins: StackFields["jenkins"],
    asCode: boolean,
    secrets: ReadonlySet<string>,
    add: Add,
): void {
    if (Object.keys(jenkins.casc).length > 0 && !asCode) {
        add(
            "jenkins.casc",
            "needs an admin: configuration as code replaces the setup wizard, which is what creates the first admin otherwise; set jenkins.adminPassword, name jenkins.adminExistingSecret, or bring a securityRealm in a JCasC file",
            ADMIN_EXAMPLE,
        );
    }
    if (jenkins.existingSecrets.length > 0 && !asCode)
        add("jenkins.existingSecrets", NEEDS_AS_CODE, ADMIN_EXAMPLE);
    if (jenkins.agents.namespace !== undefined && !jenkins.agents.enabled) {
        add("jenkins.agents.namespace", "applies only with jenkins.agents.enabled: true", "true");
    }
    if (jenkins.agents.templates.length > 0 && !(jenkins.agents.enabled && asCode)) {
        add(
            "jenkins.agents.templates",
            "apply only with jenkins.agents.enabled: true and configuration as code (jenkins.adminPassword, jenkins.adminExistingSecret, or a securityRealm of the stack's own): the program writes them into the Kubernetes cloud's JCasC",
            "pulumi config set --secret jenkins.adminPassword",
        );
    }
    const tokens = javaOptsTokens(jenkins, asCode);
    for (const e of javaOptsOrderErrors(tokens)) add("jenkins.javaOpts", e);
    for (const e of heapFlagErrors(tokens)) add("jenkins.javaOpts", e);
    for (const e of jenkinsOptsErrors(splitOpts(jenkins.jenkinsOpts)))
        add("jenkins.jenkinsOpts", e, "--sessionTimeout=1440");
    resourceRules(jenkins.resources, tokens, add);
    pluginDownloadRules(jenkins, asCode, add);
    prometheusRules(jenkins, asCode, add);
    if (jenkins.configAutoReload.enabled && !asCode)
        add(
            "jenkins.configAutoReload.enabled",
            "reloads JCasC files, which need configuration as code (jenkins.adminPassword, jenkins.adminExistingSecret, or a securityRealm of the stack's own)",
            ADMIN_EXAMPLE,
        );
    // JCasC reads the controller's variables too: the stack's containerEnv is known.
    const known = new Set([...secrets, ...jenkins.containerEnv.map((e) => e.name)]);
    if (asCode) cascRules(jenkins, known, add);
}

/** The metrics endpoint is a plugin, which only the installer puts in; the policy must let scrapes in. */
function prometheusRules(jenkins: StackFields["jenkins"], asCode: boolean, add: Add): void {
    const p = jenkins.prometheus;
    if (!p.enabled) {
        const set =
            p.serviceMonitor !== undefined ||
            p.scraperNamespace !== undefined ||
            Object.keys(p.serviceMonitorLabels).length > 0;
        if (set)
            add(
                "jenkins.prometheus",
                "sets a ServiceMonitor or scraper field without enabled: true",
                '{"enabled": true}',
            );
        return;
    }
    if (!asCode && jenkins.plugins.length === 0)
        add(
            "jenkins.prometheus.enabled",
            "needs the prometheus plugin, which the plugin installer puts in only with pinned plugins or configuration as code; a wizard-managed Jenkins installs it from Manage Jenkins > Plugins instead",
            '["git:5.7.0"]',
        );
    if (jenkins.networkPolicy && p.scraperNamespace === undefined)
        add(
            "jenkins.prometheus.scraperNamespace",
            "is required with jenkins.networkPolicy, which would drop Prometheus' scrapes: name the namespace Prometheus runs in",
            "monitoring",
        );
    if (!jenkins.networkPolicy && p.scraperNamespace !== undefined)
        add(
            "jenkins.prometheus.scraperNamespace",
            "applies only with jenkins.networkPolicy",
            '{"ingressNamespace": "ingress-nginx"}',
        );
}

/** The installer's settings need an installer: pinned plugins, or configuration as code. */
function pluginDownloadRules(jenkins: StackFields["jenkins"], asCode: boolean, add: Add): void {
    const d = jenkins.pluginDownload;
    if (d.noProxy.length > 0 && d.proxy === undefined)
        add(
            "jenkins.pluginDownload.noProxy",
            "applies only with jenkins.pluginDownload.proxy",
            "http://proxy.example.com:3128",
        );
    if (asCode || jenkins.plugins.length > 0) return;
    const why =
        "has no effect: no plugin is pinned and Jenkins is not configured as code, so no installer runs (the setup wizard downloads from inside Jenkins); pin plugins in jenkins.plugins, or remove it";
    const set = d.updateCenter ?? d.downloadSite ?? d.proxy ?? d.noProxy[0];
    if (set !== undefined) add("jenkins.pluginDownload", why, '["git:5.7.0"]');
    if (jenkins.initContainerEnv.length > 0) add("jenkins.initContainerEnv", why, '["git:5.7.0"]');
}

/**
 * What else JCasC resolves ${NAME} from in the controller: the program's own files in the
 * Secret (the admin's), the variables the pod sets (jenkinsPod.ts), and those the
 * jenkins/jenkins image sets (its Dockerfile; HOSTNAME and HOME from the runtime).
 */
const KNOWN_NAMES = [
    ADMIN_USER_KEY,
    ADMIN_PASSWORD_KEY,
    ...CONTROLLER_ENV,
    "JENKINS_HOME",
    "JENKINS_UC",
    "JENKINS_UC_EXPERIMENTAL",
    "JENKINS_INCREMENTALS_REPO_MIRROR",
    "JENKINS_VERSION",
    "COPY_REFERENCE_FILE_LOG",
    "REF",
    "JAVA_HOME",
    "LANG",
    "PATH",
    "HOME",
    "HOSTNAME",
];

/**
 * The ${NAME} a JCasC file reads that no secret file provides. JCasC's own syntax: ^${...}
 * is an escaped literal, ${NAME:-default} has a default, ${decodeBase64:...} and other
 * prefixed lookups (a colon) are JCasC's own.
 */
function unresolvedReferences(text: string, secrets: ReadonlySet<string>): string[] {
    const found = new Set<string>();
    for (const m of text.matchAll(/(\^?)\$\{([^}]*)\}/g)) {
        const [, escaped, inner] = m;
        if (escaped || inner.includes(":")) continue;
        if (!secrets.has(inner) && !KNOWN_NAMES.includes(inner)) found.add(inner);
    }
    return [...found];
}

/**
 * The stack's JCasC files merged with the program's, as the plugin merges its directory
 * (components/jenkins/cascMerge.ts): a collision would stop Jenkins at its start.
 */
function cascRules(jenkins: StackFields["jenkins"], secrets: ReadonlySet<string>, add: Add): void {
    for (const [name, text] of Object.entries(jenkins.casc)) {
        for (const ref of unresolvedReferences(text, secrets)) {
            add(
                `jenkins.casc.${name}`,
                `reads \${${ref}}, which no secret provides (JCasC would leave it empty or stop); add it to jenkinsSecrets, or give a default as \${${ref}:-value}`,
                `pulumi config set --secret --path 'jenkinsSecrets.${ref}'`,
            );
        }
    }
    const files = cascFiles({
        adminUser: jenkins.adminUser,
        url: "http://jenkins.example:8080/",
        uriPrefix: jenkins.jenkinsUriPrefix ?? "",
        serviceHost: "jenkins",
        agentServiceHost: "jenkins-agent",
        agents: jenkins.agents.enabled ? { ...jenkins.agents, namespace: "agents" } : undefined,
        userFiles: jenkins.casc,
    });
    const docs = Object.entries(files).map(([file, text]) => ({
        file,
        doc: YAML.parse(text) as unknown,
    }));
    for (const c of cascCollisions(docs)) {
        const [a, b] = c.files;
        const stackFile = (b === BASE_CASC_FILE ? a : b).replace(/\.yaml$/, "");
        const other =
            a === BASE_CASC_FILE
                ? "the program's own file (jenkins-ceph.yaml: the admin, the URL, the agents' cloud)"
                : `jenkins.casc.${a.replace(/\.yaml$/, "")}`;
        add(
            `jenkins.casc.${stackFile}`,
            `${c.path} ${c.reason}; the other file is ${other}`,
            "leave that key to one file (securityRealm and authorizationStrategy may be the stack's: the program's file then leaves them out)",
        );
    }
}

/** CPU request within its limit, memory request equal to the limit, a heap that fits it. */
function resourceRules(
    { requests, limits }: StackFields["jenkins"]["resources"],
    javaOpts: string[],
    add: Add,
): void {
    const millicores = (q: string) => (q.endsWith("m") ? Number(q.slice(0, -1)) : Number(q) * 1000);
    if (millicores(requests.cpu) > millicores(limits.cpu)) {
        add(
            "jenkins.resources.requests.cpu",
            `(${requests.cpu}) is more than limits.cpu (${limits.cpu}), which the API server refuses`,
            limits.cpu,
        );
    }
    const reqMem = parseStorageQuantity(requests.memory);
    const limMem = parseStorageQuantity(limits.memory);
    if (!("bytes" in reqMem && "bytes" in limMem)) return;
    if (reqMem.bytes !== limMem.bytes) {
        add(
            "jenkins.resources.requests.memory",
            `must equal limits.memory (${limits.memory}): the heap is sized from the limit, and a ` +
                "smaller request lets the node overcommit and OOM-kill Jenkins",
            limits.memory,
        );
    }
    for (const h of heapFlagBytes(javaOpts)) {
        if (h.bytes >= limMem.bytes) {
            add(
                "jenkins.javaOpts",
                `${h.flag} does not fit the memory limit ${limits.memory}; prefer -XX:MaxRAMPercentage`,
            );
        }
    }
}
