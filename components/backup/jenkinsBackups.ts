// Scheduled backups of Jenkins' home to S3 (docs/backups.md): the backup program
// (jenkinsBackup.py) run by a CronJob in the key's namespace, which Jenkins cannot start
// pods in. The Ceph key and the S3 credentials reach the pod only as a mounted Secret there;
// librbd talks to the monitors directly, so the pod maps nothing and needs no privilege.
import * as pulumi from "@pulumi/pulumi";
import { ConfigMap, Secret } from "@pulumi/kubernetes/core/v1";
import { CronJob } from "@pulumi/kubernetes/batch/v1";
import type * as inputs from "@pulumi/kubernetes/types/input";
import { restrictedContainerSecurity } from "../jenkins/jenkinsPod";
import {
    backupProgramText,
    BackupTarget,
    cronJobSettings,
    SECRET_FILES,
    SECRET_MOUNT,
} from "./backupProgram";

export interface JenkinsBackupsArgs {
    /** The key's namespace (ceph.secretNamespace): never one where Jenkins starts pods. */
    namespace: string;
    /** What is backed up, and where to. */
    target: BackupTarget<pulumi.Input<string>>;
    /** The backup CronJob's schedule (cron). */
    schedule: string;
    /** A second CronJob's schedule, for the restore test (`verify`); default none. */
    verifySchedule?: string;
    /** The schedules' time zone; default the controller's (UTC). */
    timeZone?: string;
    /** A pinned image with rbd and python3. */
    image: string;
    cephKey: pulumi.Input<string>;
    accessKey: pulumi.Input<string>;
    secretKey: pulumi.Input<string>;
    /** Set: each backup is encrypted with it (gpg, AES-256) before it leaves. */
    encryptionKey?: pulumi.Input<string>;
    dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** The Ceph image's own user (ceph, uid 167): it owns nothing here, and is not root. */
const CEPH_UID = 167;
const PROGRAM_DIR = "/opt/jenkins-backup";

export class JenkinsBackups extends pulumi.ComponentResource {
    constructor(name: string, args: JenkinsBackupsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jenkins-ceph:index:JenkinsBackups", name, {}, opts);
        const child = { parent: this, dependsOn: args.dependsOn };
        const metadata = { name, namespace: args.namespace, labels: LABELS };
        const secret = new Secret(
            `${name}-secret`,
            { metadata, stringData: secretData(args) },
            child,
        );
        const encrypted = args.encryptionKey !== undefined;
        const program = new ConfigMap(
            `${name}-program`,
            {
                metadata,
                data: {
                    "jenkinsBackup.py": backupProgramText(),
                    "settings.json": cronJobSettings(args.target, encrypted),
                },
            },
            child,
        );
        const deps = { ...child, dependsOn: [secret, program] };
        new CronJob(`${name}-cronjob`, cronJob(args, name, "backup", args.schedule), deps);
        if (args.verifySchedule) {
            const verify = `${name}-verify`;
            new CronJob(
                `${verify}-cronjob`,
                cronJob(args, name, "verify", args.verifySchedule, verify),
                deps,
            );
        }
        this.registerOutputs({});
    }
}

const LABELS = {
    "app.kubernetes.io/name": "jenkins-backup",
    "app.kubernetes.io/part-of": "jenkins-ceph",
};

function secretData(args: JenkinsBackupsArgs): Record<string, pulumi.Input<string>> {
    const data: Record<string, pulumi.Input<string>> = {
        [SECRET_FILES.key]: args.cephKey,
        [SECRET_FILES["s3.accessKey"]]: args.accessKey,
        [SECRET_FILES["s3.secretKey"]]: args.secretKey,
    };
    if (args.encryptionKey !== undefined) data[SECRET_FILES.encryptionKey] = args.encryptionKey;
    return data;
}

/**
 * One CronJob of the backup program: concurrency forbidden, no retry (a failed backup is a
 * failed Job, its one sentence the pod's termination message), restricted Pod Security.
 */
export function cronJob(
    args: Pick<JenkinsBackupsArgs, "namespace" | "image" | "timeZone">,
    resources: string,
    step: "backup" | "verify",
    schedule: string,
    name = resources,
): inputs.batch.v1.CronJob {
    return {
        metadata: { name, namespace: args.namespace, labels: LABELS },
        spec: {
            schedule,
            timeZone: args.timeZone,
            concurrencyPolicy: "Forbid",
            startingDeadlineSeconds: 3600,
            successfulJobsHistoryLimit: 3,
            failedJobsHistoryLimit: 3,
            jobTemplate: {
                metadata: { labels: LABELS },
                spec: {
                    backoffLimit: 0,
                    template: {
                        metadata: { labels: LABELS },
                        spec: podSpec(args.image, resources, step),
                    },
                },
            },
        },
    };
}

function podSpec(
    image: string,
    resources: string,
    step: "backup" | "verify",
): inputs.core.v1.PodSpec {
    const command = ["python3", `${PROGRAM_DIR}/jenkinsBackup.py`, step];
    return {
        restartPolicy: "Never",
        automountServiceAccountToken: false,
        enableServiceLinks: false,
        securityContext: {
            runAsNonRoot: true,
            runAsUser: CEPH_UID,
            runAsGroup: CEPH_UID,
            // The Secret's files are the group's to read, and no one else's.
            fsGroup: CEPH_UID,
            seccompProfile: { type: "RuntimeDefault" },
        },
        containers: [
            {
                name: step,
                image,
                command: [
                    ...command,
                    ...(step === "backup" ? ["--yes"] : []),
                    "--config",
                    `${PROGRAM_DIR}/settings.json`,
                ],
                env: [
                    { name: "HOME", value: "/tmp" },
                    { name: "TMPDIR", value: "/tmp" },
                ],
                securityContext: restrictedContainerSecurity(CEPH_UID),
                terminationMessagePolicy: "FallbackToLogsOnError",
                resources: {
                    requests: { cpu: "100m", memory: "128Mi" },
                    limits: { memory: "512Mi" },
                },
                volumeMounts: [
                    { name: "program", mountPath: PROGRAM_DIR, readOnly: true },
                    { name: "secrets", mountPath: SECRET_MOUNT, readOnly: true },
                    { name: "tmp", mountPath: "/tmp" },
                ],
            },
        ],
        volumes: [
            { name: "program", configMap: { name: resources } },
            { name: "secrets", secret: { secretName: resources, defaultMode: 0o440 } },
            { name: "tmp", emptyDir: { sizeLimit: "64Mi" } },
        ],
    };
}
