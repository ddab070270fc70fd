// How a stack is put together from its Settings: the one composition that index.ts,
// `npm run render` (through index.ts) and the scale bench use.
import * as pulumi from "@pulumi/pulumi";
import { CephConnection, CsiCephConnection, InTreeCephConnection } from "./ceph/cephConnection";
import { CephCsiDriver } from "./ceph/cephCsiDriver";
import { CephStorage } from "./ceph/cephStorage";
import { Jenkins, JenkinsArgs } from "./jenkins/jenkins";
import { JenkinsNamespace } from "./jenkins/jenkinsNamespace";
import { JenkinsVolume, JenkinsVolumeArgs } from "./ceph/jenkinsVolume";
import { pluginsTxt } from "./jenkins/jenkinsConfig";
import { javaOptsFor } from "./jenkins/javaOpts";
import type { RbdWords } from "./rbd/rbdScript";
import type { SnapshotInfo } from "./rbd/jenkinsSnapshot";
import type { SnapshotArgs } from "./ceph/jenkinsVolume";
import type { BackupSettings, Settings } from "../settings/settings";
import { JenkinsBackups, JenkinsBackupsArgs } from "./backup/jenkinsBackups";
import type { BackupTarget } from "./backup/backupProgram";
import { defaultSecretNamespace } from "../settings/defaults";
import { HomeIdentity, homeIdentity } from "../settings/homeGuard";
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";

type CephSettings = Exclude<Settings["ceph"], { provisioner: "existing" }>;

/** The Ceph connection the settings describe; its fields are named as the settings are. */
export function cephConnection(ceph: CephSettings): CephConnection {
    return ceph.provisioner === "csi"
        ? new CsiCephConnection(ceph)
        : new InTreeCephConnection(ceph);
}

/** What one Jenkins on Ceph exports (a stack's outputs); only those that apply to it. */
export interface JenkinsOnCephOutputs {
    mode: Settings["mode"];
    namespace: pulumi.Output<string>;
    pvcName: pulumi.Output<string>;
    /** Static mode: the PV this stack manages. */
    pvName?: pulumi.Output<string>;
    /** The rbd image (pool/image) of Jenkins' home: static, or dynamic with snapshots. */
    rbdImage?: pulumi.Input<string>;
    /** Dynamic mode: the class the claim is provisioned from. */
    storageClassName?: pulumi.Output<string>;
    /** Where the Ceph Secrets are (none with ceph.existingStorageClass). */
    cephSecretNamespace?: string;
    serviceName: pulumi.Output<string>;
    url: pulumi.Output<string>;
    /** With ingress.host: the URL users open (https when ingress.tlsSecretName is set). */
    externalUrl?: string;
    /** This program's snapshots of Jenkins' home, oldest first (volume.snapshots). */
    snapshots?: pulumi.Output<SnapshotInfo[]>;
    /** Setup wizard only (no jenkins.adminPassword): how to read the first password. */
    initialAdminPasswordCommand?: pulumi.Output<string>;
    /** Configured as code: the admin's user id (the password is the stack's secret). */
    adminUser?: string;
    /** What identifies Jenkins' volume; the next run checks a change of it (homeGuard.ts). */
    home: HomeIdentity;
    /** volume.size as this run set it; the next preview reports an image resized outside (settings/rbdPlan.ts). */
    volumeSize: string;
}

/** The csi driver, the Secrets and the class of the stack's own Ceph; undefined with a class the cluster has. */
function cephParts(
    s: Settings,
    prefix: string,
    jenkinsNs: JenkinsNamespace,
    child: pulumi.ComponentResourceOptions,
) {
    if (s.ceph.provisioner === "existing") return undefined;
    const ceph = s.ceph;
    const connection = cephConnection(ceph);
    // ceph.csi.install: the driver, with the stack's monitors in its ceph-csi-config.
    const driver =
        ceph.provisioner === "csi" && ceph.csi.install
            ? [
                  new CephCsiDriver(
                      `${prefix}ceph-csi-rbd`,
                      {
                          namespace: ceph.csi.namespace,
                          chartVersion: ceph.csi.chartVersion,
                          chartPath: ceph.csi.chartPath,
                          provisionerReplicas: ceph.csi.provisionerReplicas,
                          driverName: ceph.csiDriver,
                          clusterId: ceph.clusterId,
                          monitors: ceph.monitors,
                          protect: s.volume.protect,
                      },
                      child,
                  ),
              ]
            : [];
    const inJenkinsNs = ceph.secretNamespace === s.jenkins.namespace;
    if (inJenkinsNs) {
        void pulumi.log.warn(
            `ceph.secretNamespace is Jenkins' own namespace (${ceph.secretNamespace}): anything that can create pods there, Jenkins' agents included, can mount the Ceph key. Use it only to keep an existing stack's PVs working; see docs/where-the-key-lives.md.`,
        );
    }
    const storage = new CephStorage(
        `${prefix}ceph`,
        {
            connection,
            createSecretNamespace: !inJenkinsNs && driver.length === 0,
            storageClass:
                s.mode === "dynamic"
                    ? { name: ceph.storageClassName, reclaimPolicy: s.volume.reclaimPolicy }
                    : undefined,
            dependsOn: [...driver, ...(inJenkinsNs ? [jenkinsNs] : [])],
        },
        child,
    );
    return { ceph, connection, dependsOn: [storage, ...driver] };
}

/**
 * The same settings under other Kubernetes names (`<name>-<tag>`), so that several
 * instances can live in one program and one cluster (examples/two-teams, the scale bench).
 */
export function instanceSettings(s: Settings, tag: string): Settings {
    const jenkins = { ...s.jenkins, namespace: `${s.jenkins.namespace}-${tag}` };
    const names = {
        storageClassName: `${s.ceph.storageClassName}-${tag}`,
        secretNamespace: defaultSecretNamespace(jenkins.namespace),
    };
    if (s.mode === "static") {
        // Never two controllers on one image: each instance has its own image and PV.
        const volume = {
            ...s.volume,
            image: `${s.volume.image}-${tag}`,
            pvName: `${s.volume.pvName}-${tag}`,
        };
        return { ...s, jenkins, volume, ceph: { ...s.ceph, ...names } };
    }
    const ceph = s.ceph.provisioner === "existing" ? s.ceph : { ...s.ceph, ...names };
    return { ...s, jenkins, ceph };
}

/** JAVA_OPTS as the pod gets it (components/jenkins/javaOpts.ts). */
function javaOptsOf(s: Settings): string {
    const j = s.jenkins;
    return javaOptsFor({
        extra: j.javaOpts,
        replaceDefaults: j.replaceDefaultJavaOpts,
        timezone: j.timezone,
        configuredAsCode: j.configuredAsCode,
    }).join(" ");
}

const sha256 = (v: string) => createHash("sha256").update(v).digest("hex");

/**
 * What Jenkins runs on, by area: a change in any of them restarts Jenkins on different
 * software, so the snapshot step takes a snapshot first. Never includes a secret.
 */
export function snapshotFingerprints(s: Settings): SnapshotArgs["fingerprints"] {
    const j = s.jenkins;
    const asCode = j.configuredAsCode;
    return {
        image: sha256(j.image),
        plugins: sha256(
            pluginsTxt(j.plugins, {
                asCode,
                agents: j.agents.enabled,
                prometheus: j.prometheus.enabled,
            }),
        ),
        // The controller's environment is part of how it runs; empty, it leaves the digest
        // as it was before containerEnv existed (no snapshot on upgrade).
        javaopts: sha256(
            `${javaOptsOf(s)}\n${j.jenkinsOpts}${j.jenkinsUriPrefix ? `\n--prefix=${j.jenkinsUriPrefix}` : ""}${j.containerEnv.length ? `\n${JSON.stringify(j.containerEnv)}` : ""}`,
        ),
        casc: sha256(
            JSON.stringify({
                asCode,
                user: j.adminUser,
                casc: j.casc,
                // Without templates, the digest is what it was before they existed.
                agents: j.agents.templates.length
                    ? j.agents
                    : { ...j.agents, templates: undefined },
                ingress: j.ingress,
            }),
        ),
    };
}

/** Whether `rbd` is on this machine's PATH (where the snapshot step runs unless rbdHost says). */
function rbdOnPath(): boolean {
    return (process.env.PATH ?? "")
        .split(path.delimiter)
        .some((d) => d !== "" && fs.existsSync(path.join(d, "rbd")));
}

/** What the settings allow but a user should hear about on every run. */
function warnAbout(s: Settings, snapshots: SnapshotArgs | undefined): void {
    if (s.rbdHost?.insecureIgnoreHostKey) {
        void pulumi.log.warn(
            `rbdHost.insecureIgnoreHostKey is true: the rbd program and the Ceph key go to whatever answers at ${s.rbdHost.host}:${s.rbdHost.port}; pin its key with rbdHost.hostKey (ssh-keyscan -p ${s.rbdHost.port} ${s.rbdHost.host})`,
        );
    }
    if (snapshots && !s.rbdHost && !rbdOnPath()) {
        void pulumi.log.warn(
            "volume.snapshots: rbd is not on this machine's PATH, so the snapshot before Jenkins restarts will fail; install ceph-common here, set rbdHost to a host that has it, or set volume.snapshots.enabled to false",
        );
    }
}

/** Jenkins' home: a static image and PV, or a claim provisioned from a class. */
function volumeArgs(
    s: Settings,
    ns: JenkinsNamespace,
    parts: ReturnType<typeof cephParts>,
): JenkinsVolumeArgs {
    const snapshots: SnapshotArgs | undefined =
        parts && s.volume.snapshots.enabled
            ? {
                  fingerprints: snapshotFingerprints(s),
                  keep: s.volume.snapshots.keep,
                  connection: parts.connection,
              }
            : undefined;
    warnAbout(s, snapshots);
    const common = {
        namespace: ns.name,
        claimName: s.volume.claimName,
        size: s.volume.size,
        accessMode: s.volume.accessMode,
        protect: s.volume.protect,
        dependsOn: parts?.dependsOn,
        snapshots,
        rbdHost: s.rbdHost,
    };
    if (s.mode === "dynamic") {
        return {
            ...common,
            mode: "dynamic",
            // This stack's class (the claim waits for it through dependsOn), or the cluster's.
            storageClassName: s.ceph.storageClassName,
            reclaimPolicy: parts ? s.volume.reclaimPolicy : undefined,
            // Backups name the image the provisioner made.
            readImage: parts !== undefined && s.backup !== undefined,
        };
    }
    if (!parts) throw new Error("unreachable: static settings always have the stack's own Ceph");
    return {
        ...common,
        mode: "static",
        connection: parts.connection,
        pvName: s.volume.pvName,
        storageClassName: s.ceph.storageClassName,
        image: {
            image: s.volume.image,
            sizeMiB: s.volume.sizeMiB,
            deleteOnDestroy: s.volume.deleteImageOnDestroy,
            adoptOnly: s.volume.adoptOnly,
        },
    };
}

/**
 * What a backup of Jenkins' home reads and where it writes: the CronJob's and the CLIs'.
 * `image` is pool/image: a static stack's own, or the one the provisioner made for the
 * claim (the stack's rbdImage output; "" while the claim is not bound).
 */
export function backupTarget<I extends pulumi.Input<string>>(
    s: Settings,
    b: BackupSettings,
    image: I,
): BackupTarget<I> {
    if (s.ceph.provisioner === "existing") throw new Error("unreachable: backup is refused");
    return {
        client: cephConnection(s.ceph).rbdClient,
        image,
        features: s.ceph.imageFeatures,
        backup: b,
    };
}

/** A static home's pool/image, as backups and the rbdImage output name it. */
export function staticImage(s: Settings & { mode: "static" }): string {
    return `${s.ceph.pool}/${s.volume.image}`;
}

/** The backup CronJob of Jenkins' home, beside the key it reads (components/backup). */
function backupArgs(
    s: Settings,
    b: BackupSettings,
    parts: NonNullable<ReturnType<typeof cephParts>>,
    image: pulumi.Input<string>,
): JenkinsBackupsArgs {
    return {
        namespace: parts.ceph.secretNamespace,
        target: backupTarget(s, b, image),
        schedule: b.schedule,
        verifySchedule: b.verifySchedule,
        timeZone: b.timeZone,
        image: b.image,
        cephKey: parts.ceph.userKey,
        accessKey: b.accessKey,
        secretKey: b.secretKey,
        encryptionKey: b.encryptionKey,
        dependsOn: parts.dependsOn,
    };
}

/** The controller: its pod, configuration, Services and what exposes it. */
function jenkinsArgs(s: Settings, ns: JenkinsNamespace, home: JenkinsVolume): JenkinsArgs {
    const j = s.jenkins;
    return {
        name: j.name,
        namespace: ns.name,
        image: j.image,
        nodeAffinity: j.nodeAffinity,
        tolerations: j.tolerations,
        priorityClassName: j.priorityClassName,
        javaOpts: javaOptsOf(s),
        jenkinsOpts: j.jenkinsOpts,
        uriPrefix: j.jenkinsUriPrefix ?? "",
        resources: j.resources,
        infra: j.infra,
        containerEnv: j.containerEnv,
        initContainerEnv: j.initContainerEnv,
        pluginDownload: j.pluginDownload,
        imagePullSecretName: j.imagePullSecretName,
        configAutoReload: j.configAutoReload.enabled
            ? { image: j.configAutoReload.image }
            : undefined,
        agentListenerServiceType: j.agentListenerServiceType,
        claimName: home.claimName,
        ingress: j.ingress,
        agents: j.agents.enabled
            ? {
                  namespace: j.agents.namespace,
                  image: j.agents.image,
                  templates: j.agents.templates,
              }
            : undefined,
        adminUser: j.adminUser,
        configuredAsCode: j.configuredAsCode,
        adminPassword: j.adminPassword,
        adminExistingSecret: j.adminExistingSecret,
        existingSecrets: j.existingSecrets,
        plugins: j.plugins,
        casc: j.casc,
        secrets: j.secrets,
        pdb: j.pdb,
        networkPolicy: j.networkPolicy,
        prometheus: j.prometheus.enabled
            ? {
                  scrapeInterval: j.prometheus.scrapeInterval,
                  serviceMonitor: j.prometheus.serviceMonitor === true,
                  serviceMonitorLabels: j.prometheus.serviceMonitorLabels,
                  scraperNamespace: j.prometheus.scraperNamespace,
              }
            : undefined,
        lastSnapshot: home.snapshots?.apply((l) => l.at(-1)?.name ?? ""),
        dependsOn: [home],
    };
}

/**
 * Registers every resource of one Jenkins on Ceph: `prefix` goes in front of each child's
 * name, `child` are the options every top-level child gets (its parent).
 */
function compose(
    { settings: s, words }: JenkinsOnCephArgs,
    prefix: string,
    child: pulumi.ComponentResourceOptions,
): JenkinsOnCephOutputs {
    const ns = new JenkinsNamespace(
        `${prefix}${s.jenkins.namespace}`,
        { name: s.jenkins.namespace, podSecurity: s.jenkins.podSecurity },
        // Deleting the namespace would delete the claim with it.
        { ...child, protect: s.volume.protect },
    );
    const parts = cephParts(s, prefix, ns, child);
    const home = new JenkinsVolume(
        `${prefix}jenkins-home`,
        { ...volumeArgs(s, ns, parts), words },
        child,
    );
    const jenkins = new Jenkins(`${prefix}jenkins`, jenkinsArgs(s, ns, home), child);
    if (s.backup && parts) {
        const image = s.mode === "static" ? staticImage(s) : home.provisionedImage;
        if (!image) throw new Error("unreachable: a dynamic volume with backups reads its image");
        new JenkinsBackups(`${prefix}jenkins-backup`, backupArgs(s, s.backup, parts, image), child);
    }
    const outputs: JenkinsOnCephOutputs = {
        mode: s.mode,
        namespace: ns.name,
        pvcName: home.claimName,
        pvName: home.volume?.metadata.name,
        rbdImage: s.mode === "static" ? staticImage(s) : home.provisionedImage,
        storageClassName: s.mode === "dynamic" ? pulumi.output(s.ceph.storageClassName) : undefined,
        cephSecretNamespace: parts?.ceph.secretNamespace,
        snapshots: home.snapshots,
        serviceName: jenkins.serviceName,
        url: jenkins.url,
        externalUrl: jenkins.externalUrl,
        initialAdminPasswordCommand: jenkins.initialAdminPasswordCommand,
        adminUser: s.jenkins.adminPassword ? s.jenkins.adminUser : undefined,
        home: homeIdentity(s),
        volumeSize: s.volume.size,
    };
    // An undefined output makes the engine warn on every run ("Undefined value ...").
    return Object.fromEntries(
        Object.entries(outputs).filter(([, v]) => v !== undefined),
    ) as unknown as JenkinsOnCephOutputs;
}

export interface JenkinsOnCephArgs {
    /**
     * What to deploy: the validated settings (settings/settings.ts, documented key by key
     * in docs/settings.md), with every default applied. A program makes them from its stack
     * config with loadStackSettings(), which refuses bad input with the key's name.
     */
    settings: Settings;
    /**
     * Put in front of every child's name, so that several instances live in one stack.
     * Default: `<name>-`. index.ts passes "" so that stacks made before the component
     * keep their resource names.
     */
    childPrefix?: string;
    /**
     * How the rbd steps' messages name the settings. Default: the settings' own paths
     * ("volume.size"); index.ts passes the stack's config keys ("jenkins-ceph:volume.size").
     */
    words?: RbdWords;
}

/**
 * Jenkins on Kubernetes with its home on Ceph RBD: the namespaces, the Ceph Secrets and
 * class or PV, the claim, the rbd image and snapshot steps, the Deployment and Services.
 * `outputs` are what a stack exports (README, "Stack outputs").
 */
export class JenkinsOnCeph extends pulumi.ComponentResource {
    public readonly outputs: JenkinsOnCephOutputs;

    constructor(name: string, args: JenkinsOnCephArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jenkins-ceph:index:JenkinsOnCeph", name, {}, opts);
        // Before the component, these were the stack's own children: the alias keeps the
        // URNs of such stacks, so an upgrade replaces nothing.
        const child = { parent: this, aliases: [{ parent: pulumi.rootStackResource }] };
        this.outputs = compose(args, args.childPrefix ?? `${name}-`, child);
        this.registerOutputs(this.outputs);
    }
}
