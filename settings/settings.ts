// Stack config -> one typed, validated Settings object. The stack is one strict zod root
// over STACK_FIELDS (schema.ts) with the cross-field rules as its superRefine
// (crossRules.ts); problems.ts words the issues. Every problem of a config is reported
// together, before the program registers any resource.
import { configuredAsCode } from "../components/jenkins/cascMerge";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import {
    NotStructured,
    SECRET_KEYS,
    SecretStructured,
    STACK_FIELDS,
    STRUCTURED_KEYS,
} from "./schema";
import { MIB, parseStorageQuantity } from "./quantity";
import { defaultSecretNamespace } from "./defaults";
import { closest, ConfigError, Problems } from "./problems";
import { ambiguousNumbers } from "./stackFile";
import { crossFieldRules, InvalidSetting, LooseFields, StackFields } from "./crossRules";

export { ConfigError };

/** Config as the language host hands it over: full keys, string values, which are secret. */
export interface RawStackConfig {
    project: string;
    stack: string;
    values: Readonly<Record<string, string>>;
    secretKeys: ReadonlySet<string>;
    /** The stack file's text, where the program can read it: checked for ambiguous numbers. */
    stackFileText?: string;
}

type CephFields = Omit<
    StackFields["ceph"],
    "provisioner" | "clusterId" | "monitors" | "pool" | "user" | "secretNamespace"
> & {
    monitors: string[];
    pool: string;
    user: string;
    /** Where the Ceph Secrets live (resolved): by default a namespace Jenkins cannot read. */
    secretNamespace: string;
    userKey: pulumi.Output<string>;
};
/** ceph-csi: a clusterID is always there (validation refuses a csi stack without one). */
type CsiCephSettings = CephFields & { provisioner: "csi"; clusterId: string };
type InTreeCephSettings = CephFields & {
    provisioner: "in-tree";
    /** Dynamic mode only: the key the provisioner creates images with (as adminId). */
    adminKey?: pulumi.Output<string>;
};
type CephSettings = CsiCephSettings | InTreeCephSettings;
/** ceph.existingStorageClass: a class the cluster has (Rook); no Secret, key or class here. */
interface ExistingClassSettings {
    provisioner: "existing";
    storageClassName: string;
}

type VolumeSettings = StackFields["volume"] & {
    /** Exact size in MiB (static volumes must be whole MiB; dynamic ones are rounded up). */
    sizeMiB: bigint;
    protect: boolean;
    /**
     * Static: the image is not the home the stack had (homeGuard.ts), so rbd must adopt it
     * and never create it empty. Set by the home check, false before it.
     */
    adoptOnly: boolean;
};
type JenkinsSettings = Omit<StackFields["jenkins"], "adminPassword"> & {
    /** The program's local admin's password; unset with an admin of adminExistingSecret or the stack's own login. */
    adminPassword?: pulumi.Output<string>;
    /** JCasC and no setup wizard (components/jenkins/cascMerge.ts configuredAsCode decides). */
    configuredAsCode: boolean;
    /** jenkinsSecrets: each a file JCasC resolves as ${NAME} (names are not secret, values are). */
    secrets: Record<string, pulumi.Output<string>>;
};
type RbdHostSettings = NonNullable<StackFields["rbdHost"]> & {
    privateKey: pulumi.Output<string>;
};

type BackupFields = NonNullable<StackFields["backup"]>;
/** Backups to S3 (docs/backups.md), every secret an Output. */
export type BackupSettings = Omit<BackupFields, "s3"> & {
    s3: Required<BackupFields["s3"]>;
    accessKey: pulumi.Output<string>;
    secretKey: pulumi.Output<string>;
    /** Set: every backup is encrypted with it before it leaves (gpg, AES-256). */
    encryptionKey?: pulumi.Output<string>;
};

interface CommonSettings {
    project: string;
    stack: string;
    jenkins: JenkinsSettings;
    /** Where every `rbd` step runs; undefined = on the machine running Pulumi. */
    rbdHost?: RbdHostSettings;
    /** Backups to S3 (never with ceph.existingStorageClass). */
    backup?: BackupSettings;
}

/** Dynamic volumes: the provisioner creates the image (in-tree: as ceph.adminId). */
interface DynamicSettings extends CommonSettings {
    mode: "dynamic";
    /** The provisioner names the image and the PV; the class's policy decides on delete. */
    volume: Omit<VolumeSettings, "image" | "pvName" | "deleteImageOnDestroy">;
    ceph: CephSettings | ExistingClassSettings;
}

/** Static volumes: this program creates, adopts and grows the image with rbd. */
interface StaticSettings extends CommonSettings {
    mode: "static";
    /** This stack names the image and the PV; a static PV is always Retain. */
    volume: Omit<VolumeSettings, "reclaimPolicy">;
    ceph: CephSettings;
}

export type Settings = DynamicSettings | StaticSettings;

/**
 * The provider settings Pulumi.yaml sets for every stack, and what breaks without them:
 * the provider would replace a Secret or ConfigMap whose data changes, and with it (through
 * deleteBeforeReplace) what names it.
 */
export const MUTABLE_KEYS: Record<string, string> = {
    "kubernetes:enableSecretMutable":
        "rotating cephUserKey replaces the Secret and the PV that uses it",
    "kubernetes:enableConfigMapMutable":
        "a plugin or JCasC change replaces its ConfigMap and the Jenkins Deployment",
};

/**
 * A setting's own problems are issues of the root, and its value becomes InvalidSetting,
 * so that the cross-field rules still run (zod skips a refinement once a field aborts).
 */
function soft<T extends z.ZodTypeAny>(schema: T) {
    return z.unknown().transform((v, ctx): z.output<T> | InvalidSetting => {
        const r = schema.safeParse(v);
        if (r.success) return r.data as z.output<T>;
        for (const issue of r.error.issues) ctx.addIssue(issue);
        return new InvalidSetting(v);
    });
}

const stackSchema = z
    .object(
        Object.fromEntries(Object.entries(STACK_FIELDS).map(([k, f]) => [k, soft(f)])) as Record<
            keyof typeof STACK_FIELDS,
            ReturnType<typeof soft>
        >,
    )
    .strict()
    .superRefine((fields, ctx) =>
        crossFieldRules(fields as LooseFields, (path, message, example) =>
            ctx.addIssue({ code: "custom", path: path.split("."), message, params: { example } }),
        ),
    );

/**
 * This project's settings as the root schema takes them: structured ones parsed from their
 * JSON text, secret ones with whether they were stored encrypted.
 */
export function stackInput(raw: Pick<RawStackConfig, "project" | "values" | "secretKeys">) {
    const prefix = `${raw.project}:`;
    const input: Record<string, unknown> = {};
    for (const [full, text] of Object.entries(raw.values)) {
        if (!full.startsWith(prefix)) continue;
        const key = full.slice(prefix.length);
        if (SECRET_KEYS.has(key)) {
            input[key] = { value: text, secret: raw.secretKeys.has(full) };
        } else if (STRUCTURED_KEYS.has(key) && raw.secretKeys.has(full)) {
            // Set with --secret --path: its value never reaches a message or a resource.
            input[key] = new SecretStructured();
        } else if (STRUCTURED_KEYS.has(key)) {
            try {
                input[key] = JSON.parse(text) as unknown;
            } catch {
                input[key] = new NotStructured();
            }
        } else {
            input[key] = text;
        }
    }
    return input;
}

export function parseSettings(raw: RawStackConfig): Settings {
    const problems = new Problems(raw.project);

    for (const [key, breaks] of Object.entries(MUTABLE_KEYS)) {
        const v = raw.values[key];
        if (v !== undefined && v !== "true") {
            problems.addKey(
                key,
                `is "${v}"; it must stay true (Pulumi.yaml sets it), or ${breaks}`,
                `pulumi config rm ${key}`,
            );
        }
    }
    for (const [path, reason, example] of ambiguousNumbers(raw.stackFileText ?? "", raw.project)) {
        problems.add(path, reason, example);
    }
    for (const full of Object.keys(raw.values)) {
        const [ns, ...rest] = full.split(":");
        if (ns === raw.project || rest.length === 0) continue;
        if (closest(ns, [raw.project]) === raw.project) {
            problems.addKey(
                full,
                `is in the config namespace "${ns}", which nothing reads (did you mean "${raw.project}"?); as it is, this setting is ignored`,
                `${raw.project}:${rest.join(":")}`,
            );
        }
    }
    const r = stackSchema.safeParse(stackInput(raw));
    if (!r.success) problems.fromZod(r.error);
    if (!r.success || problems.list.length > 0) throw new ConfigError(problems.list);
    // A successful parse has no InvalidSetting: each one comes with an issue.
    return toSettings(r.data as StackFields, raw);
}

function toSettings(f: StackFields, raw: RawStackConfig): Settings {
    const common: CommonSettings & { volume: VolumeSettings } = {
        project: raw.project,
        stack: raw.stack,
        volume: {
            ...f.volume,
            sizeMiB: sizeInMiB(f.volume.size),
            protect: f.volume.protect ?? raw.stack !== "dev",
            adoptOnly: false,
        },
        jenkins: jenkinsSettings(f),
    };
    const existing = f.ceph.existingStorageClass;
    if (f.mode === "dynamic" && existing !== undefined) {
        return {
            ...common,
            mode: f.mode,
            ceph: { provisioner: "existing", storageClassName: existing },
        };
    }
    const ceph = cephSettings(f);
    const rbdHost =
        f.rbdHost && f.rbdHostKey
            ? { ...f.rbdHost, privateKey: pulumi.secret(f.rbdHostKey) }
            : undefined;
    return { ...common, mode: f.mode, ceph, rbdHost, backup: backupSettings(f, raw) };
}

function backupSettings(f: StackFields, raw: RawStackConfig): BackupSettings | undefined {
    const b = f.backup;
    if (b === undefined) return undefined;
    if (f.backupAccessKey === undefined || f.backupSecretKey === undefined) {
        throw new Error("unreachable: the backup keys are validated");
    }
    const enc = f.backupEncryptionKey;
    return {
        ...b,
        s3: { ...b.s3, prefix: b.s3.prefix ?? `${raw.project}/${raw.stack}/` },
        accessKey: pulumi.secret(f.backupAccessKey),
        secretKey: pulumi.secret(f.backupSecretKey),
        encryptionKey: enc === undefined ? undefined : pulumi.secret(enc),
    };
}

function jenkinsSettings(f: StackFields): JenkinsSettings {
    const password = f["jenkins.adminPassword"];
    // jenkins.adminPassword inside the jenkins object is refused by the schema; drop the field.
    const jenkins: Omit<StackFields["jenkins"], "adminPassword"> & { adminPassword?: unknown } = {
        ...f.jenkins,
    };
    delete jenkins.adminPassword;
    return {
        ...jenkins,
        adminPassword: password === undefined ? undefined : pulumi.secret(password),
        configuredAsCode: configuredAsCode({
            ...jenkins,
            hasAdminPassword: password !== undefined,
        }),
        secrets: Object.fromEntries(
            Object.entries(f.jenkinsSecrets ?? {}).map(([k, v]) => [k, pulumi.secret(v)]),
        ),
    };
}

function cephSettings(f: StackFields): CephSettings {
    const c = f.ceph;
    // The cross-field rules require these whenever the stack's own Ceph is used.
    if (c.pool === undefined || c.user === undefined || f.cephUserKey === undefined) {
        throw new Error("unreachable: ceph.pool, ceph.user and cephUserKey are validated");
    }
    const installed = c.provisioner === "csi" && c.csi.install ? c.csi.namespace : undefined;
    const fields = {
        ...c,
        monitors: c.monitors ?? [],
        pool: c.pool,
        user: c.user,
        secretNamespace:
            c.secretNamespace ?? defaultSecretNamespace(f.jenkins.namespace, installed),
        userKey: pulumi.secret(f.cephUserKey),
    };
    if (c.provisioner === "in-tree") {
        // Only the in-tree provisioner creating images (dynamic mode) needs the admin key.
        const adminKey = f.mode === "dynamic" && f.cephAdminKey ? f.cephAdminKey : undefined;
        return {
            ...fields,
            provisioner: c.provisioner,
            adminKey: adminKey === undefined ? undefined : pulumi.secret(adminKey),
        };
    }
    if (c.clusterId === undefined) throw new Error("unreachable: csi needs ceph.clusterId");
    return { ...fields, provisioner: c.provisioner, clusterId: c.clusterId };
}

function sizeInMiB(size: string): bigint {
    const q = parseStorageQuantity(size);
    if (!("bytes" in q)) throw new Error(`unreachable: ${size} validated`);
    return (q.bytes + MIB - 1n) / MIB;
}
