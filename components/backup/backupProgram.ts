// The backup program (jenkinsBackup.py beside this file) and its settings, for the two ways
// it runs: the CronJob (jenkinsBackups.ts), which reads its settings from a mounted file and
// its secrets from a mounted Secret, and the CLIs (cli/backup.ts), which send the program
// with its settings, secrets included, on standard input, locally or to rbdHost over SSH.
import * as pulumi from "@pulumi/pulumi";
import { shippedFile } from "../shippedFile";
import type { RbdClient } from "../rbd/rbdScript";
import type { BackupSettings } from "../../settings/settings";

const PROGRAM_FILE = "jenkinsBackup.py";

/** A backup's ID, <chain>-<n>: jenkinsBackup.py's BACKUP_ID (test/backupProgram.spec.ts keeps them one). */
export const BACKUP_ID = /^([0-9]{8}T[0-9]{6}Z)-([1-9][0-9]*)$/;

/** jenkinsBackup.py's text. */
export function backupProgramText(): string {
    return shippedFile("backup", PROGRAM_FILE);
}

/** What the program backs up and where to: every setting but the secrets. */
export interface BackupTarget<I extends pulumi.Input<string> = string> {
    client: RbdClient;
    /** pool/image of Jenkins' home ("" while a dynamic claim is not bound). */
    image: I;
    /** rbd image features of an image a restore creates (ceph.imageFeatures). */
    features: string;
    backup: Pick<BackupSettings, "s3" | "keep" | "chainLength">;
}

/** The secrets, as text: only ever on standard input or in a mounted Secret. */
export interface BackupSecrets {
    cephKey: string;
    accessKey: string;
    secretKey: string;
    encryptionKey?: string;
}

function settingsObject(t: BackupTarget) {
    const [pool, image] = t.image.split("/");
    return {
        monitors: t.client.monitors,
        user: t.client.userId,
        timeoutSeconds: t.client.timeoutSeconds,
        pool: pool ?? "",
        image: image ?? "",
        features: t.features,
        chainLength: t.backup.chainLength,
        keep: t.backup.keep,
        s3: {
            endpoint: t.backup.s3.endpoint,
            bucket: t.backup.s3.bucket,
            prefix: t.backup.s3.prefix,
            region: t.backup.s3.region,
        },
    };
}

/** Where the CronJob mounts the backup Secret, and the file of each key in it. */
export const SECRET_MOUNT = "/run/secrets/backup";
export const SECRET_FILES = {
    key: "ceph-key",
    "s3.accessKey": "s3-access-key",
    "s3.secretKey": "s3-secret-key",
    encryptionKey: "encryption-key",
} as const;

/** The CronJob's settings file: no secret, only the files that hold them. */
export function cronJobSettings(
    t: BackupTarget<pulumi.Input<string>>,
    encrypted: boolean,
): pulumi.Output<string> {
    const files = Object.entries(SECRET_FILES)
        .filter(([field]) => encrypted || field !== "encryptionKey")
        .map(([field, file]): [string, string] => [field, `${SECRET_MOUNT}/${file}`]);
    return pulumi
        .output(t.image)
        .apply((image) =>
            JSON.stringify(
                { ...settingsObject({ ...t, image }), secretFiles: Object.fromEntries(files) },
                null,
                1,
            ),
        );
}

/**
 * The program for `python3 -` on standard input: one line of settings with the secrets,
 * then the program. Nothing of it reaches argv or the environment.
 */
export function stdinProgram(t: BackupTarget, secrets: BackupSecrets): string {
    const o = settingsObject(t);
    const settings = {
        ...o,
        key: secrets.cephKey,
        s3: { ...o.s3, accessKey: secrets.accessKey, secretKey: secrets.secretKey },
        ...(secrets.encryptionKey ? { encryptionKey: secrets.encryptionKey } : {}),
    };
    const encoded = Buffer.from(JSON.stringify(settings)).toString("base64");
    return `STDIN_SETTINGS = "${encoded}"\n${backupProgramText()}`;
}
