// Stack configs for the tests: a valid base per mode/provisioner, and distinctive fake keys
// (valid cephx shape) so a leak is easy to find.
import { RunOptions } from "../cli/mockRuntime";

/** A well-formed cephx key whose secret bytes spell `label` (16 characters). */
export function fakeCephKey(label: string): string {
    const b = Buffer.alloc(28);
    b.writeUInt16LE(1, 0);
    b.writeUInt32LE(0x6a000000, 2);
    b.writeUInt16LE(16, 10);
    Buffer.from(label.padEnd(16, "!").slice(0, 16)).copy(b, 12);
    return b.toString("base64");
}

export const FAKE_USER_KEY = fakeCephKey("jenkinsCephUSER!");
export const FAKE_ADMIN_KEY = fakeCephKey("jenkinsCephADMIN");
export const FAKE_SSH_KEY =
    "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAAFAKESSHKEYFAKESSHKEYFAKESSHKEY\n-----END OPENSSH PRIVATE KEY-----";

/** An ssh-keyscan line for a host key (a real ed25519 public key; the host is made up). */
export const FAKE_HOST_KEY_LINE =
    "ceph-admin.example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFw5rBO73XLyTtnXg6/qKj3HVb7AvHue1K4d1x2Q3QMx";

/** Distinctive S3 credentials and a backup passphrase, so that a leak is easy to find. */
export const FAKE_S3_ACCESS_KEY = "AKIAJENKINSCEPHFAKE1";
export const FAKE_S3_SECRET_KEY = "jenkinsCephS3SecretKEY/fake+0123456789abcd";
export const FAKE_BACKUP_KEY = "jenkinsCephBackupPassphrase-fake";

/** A static stack that backs up to S3, with every backup secret (encryption on). */
export function backupStack(provisioner: Provisioner = "in-tree"): StackInput {
    const base = baseStack("static", provisioner);
    return {
        ...base,
        values: {
            ...base.values,
            backup: { s3: { endpoint: "https://s3.example.com", bucket: "jenkins-backups" } },
        },
        secrets: {
            ...base.secrets,
            backupAccessKey: FAKE_S3_ACCESS_KEY,
            backupSecretKey: FAKE_S3_SECRET_KEY,
            backupEncryptionKey: FAKE_BACKUP_KEY,
        },
    };
}

/**
 * A stack's JCasC file with its own login: the LDAP realm as the configuration-as-code
 * plugin documents it (its demos/ldap/README.md, first sample), its bind password read as
 * ${LDAP_PASSWORD} (jenkinsSecrets).
 */
export const LDAP_REALM_CASC = [
    "jenkins:",
    "  securityRealm:",
    "    ldap:",
    "      configurations:",
    "        - server: ldap.acme.com",
    "          rootDN: dc=acme,dc=fr",
    "          managerPasswordSecret: ${LDAP_PASSWORD}",
    "",
].join("\n");

export type Mode = "dynamic" | "static";
export type Provisioner = "csi" | "in-tree";

export interface StackInput {
    stack?: string;
    values: Record<string, unknown>;
    secrets?: Record<string, string>;
}

export function baseStack(mode: Mode, provisioner: Provisioner): StackInput {
    const ceph: Record<string, unknown> = {
        provisioner,
        monitors: ["192.168.30.23:6789", "192.168.30.24:6789", "192.168.30.25:6789"],
        pool: "kubes",
        user: "kube",
        // The 2018 site's monitors: a test reaches only 127.0.0.1, so no preview asks them
        // (test/cephAtPreview.spec.ts, test/ceph/rbd.ts and the e2e turn the read on).
        readAtPreview: false,
    };
    if (provisioner === "csi") ceph.clusterId = "b9127830-b0cc-4e34-aa47-9d1a2e9949a8";
    const secrets: Record<string, string> = { cephUserKey: FAKE_USER_KEY };
    if (provisioner === "in-tree") secrets.cephAdminKey = FAKE_ADMIN_KEY;
    return { stack: "test", values: { mode, ceph }, secrets };
}

/** As the CLI hands config to the program: full keys, JSON for objects. */
export function toRunOptions(input: StackInput, project = "jenkins-ceph"): RunOptions {
    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    for (const [k, v] of Object.entries(input.values)) {
        if (v === undefined) continue;
        // A key with a namespace (a provider's, e.g. kubernetes:...) is passed as it is.
        config[k.includes(":") ? k : `${project}:${k}`] =
            typeof v === "string" ? v : JSON.stringify(v);
    }
    for (const [k, v] of Object.entries(input.secrets ?? {})) {
        config[`${project}:${k}`] = v;
        secretKeys.push(`${project}:${k}`);
    }
    return { stack: input.stack ?? "test", config, secretKeys };
}

export const COMBINATIONS: [Mode, Provisioner][] = [
    ["dynamic", "csi"],
    ["dynamic", "in-tree"],
    ["static", "csi"],
    ["static", "in-tree"],
];
