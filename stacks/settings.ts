// Stack config -> one typed, validated Settings object. Every problem of a config is
// collected and reported together, before the program registers any resource: each
// setting's shape (schema.ts), then the rules across settings (crossRules.ts), worded
// by problems.ts.
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import * as rules from "./rules";
import { cephSchema, jenkinsSchema, modeSchema, rbdHostSchema, volumeSchema } from "./schema";
import { MIB, parseStorageQuantity } from "./quantity";
import { ConfigError, closest, Problems } from "./problems";
import { crossFieldRules } from "./crossRules";

export { ConfigError };

/** Config as the language host hands it over: full keys, string values, which are secret. */
export interface RawStackConfig {
    project: string;
    stack: string;
    values: Readonly<Record<string, string>>;
    secretKeys: ReadonlySet<string>;
}

type CephFields = Omit<z.output<typeof cephSchema>, "provisioner" | "clusterId"> & {
    monitors: string[];
};
/** ceph-csi: a clusterID is always there (validation refuses a csi stack without one). */
type CsiCephSettings = CephFields & { provisioner: "csi"; clusterId: string };
type InTreeCephSettings = CephFields & { provisioner: "in-tree" };
type CephSettings = CsiCephSettings | InTreeCephSettings;

type VolumeSettings = z.output<typeof volumeSchema> & {
    /** Exact size in MiB (static volumes must be whole MiB; dynamic ones are rounded up). */
    sizeMiB: bigint;
    protect: boolean;
};
type JenkinsSettings = z.output<typeof jenkinsSchema> & {
    /** JAVA_OPTS as the container gets it: defaults (unless replaced) then the stack's. */
    javaOptsResolved: string;
};
type RbdHostSettings = z.output<typeof rbdHostSchema> & {
    privateKey: pulumi.Output<string>;
};

interface CommonSettings {
    project: string;
    stack: string;
    ceph: CephSettings;
    jenkins: JenkinsSettings;
    cephUserKey: pulumi.Output<string>;
}

/** Dynamic volumes: the provisioner creates the image (in-tree: as ceph.adminId). */
interface DynamicSettings extends CommonSettings {
    mode: "dynamic";
    /** The provisioner names the image and the PV; the class's policy decides on delete. */
    volume: Omit<VolumeSettings, "image" | "pvName" | "deleteImageOnDestroy">;
    /** in-tree only: the key the provisioner creates images with. */
    cephAdminKey?: pulumi.Output<string>;
}

/** Static volumes: this program creates, adopts and grows the image with rbd. */
interface StaticSettings extends CommonSettings {
    mode: "static";
    /** This stack names the image and the PV; a static PV is always Retain. */
    volume: Omit<VolumeSettings, "reclaimPolicy">;
    /** Where `rbd` runs; undefined = on the machine running Pulumi. */
    rbdHost?: RbdHostSettings;
}

export type Settings = DynamicSettings | StaticSettings;

type SecretKey = (typeof SECRET_KEYS)[number];

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
};

/**
 * The secret settings a stack needs, from its raw config: the one place this is decided
 * (validation requires them; the offline render stands in for the missing ones).
 */
export function neededSecrets(raw: Pick<RawStackConfig, "project" | "values">): SecretKey[] {
    const v = (key: string) => raw.values[`${raw.project}:${key}`];
    let provisioner: unknown;
    try {
        provisioner = (JSON.parse(v("ceph") ?? "{}") as { provisioner?: unknown }).provisioner;
    } catch {
        provisioner = undefined; // reported by validation
    }
    const needed: SecretKey[] = ["cephUserKey"];
    if (provisioner === "in-tree" && v("mode") === "dynamic") needed.push("cephAdminKey");
    if (v("rbdHost") !== undefined) needed.push("rbdHostKey");
    return needed;
}

const OBJECT_KEYS = ["ceph", "volume", "jenkins", "rbdHost"] as const;
/** The provider setting that makes a key rotation an in-place update of the Secret. */
export const SECRET_MUTABLE_KEY = "kubernetes:enableSecretMutable";
const SECRET_KEYS = ["cephUserKey", "cephAdminKey", "rbdHostKey"] as const;
const KNOWN_KEYS = new Set<string>(["mode", ...OBJECT_KEYS, ...SECRET_KEYS]);

function parseObject(problems: Problems, raw: RawStackConfig, key: string): unknown {
    const text = raw.values[`${raw.project}:${key}`];
    if (text === undefined) return undefined;
    try {
        return JSON.parse(text) as unknown;
    } catch {
        problems.add(
            key,
            "is not a structured value (set it as YAML in the stack file, or with --path)",
        );
        return null;
    }
}

function parseWith<T extends z.ZodTypeAny>(
    problems: Problems,
    key: string,
    schema: T,
    value: unknown,
): z.output<T> | undefined {
    const r = schema.safeParse(value);
    if (r.success) return r.data as z.output<T>;
    problems.fromZod(key, r.error);
    return undefined;
}

/** A secret setting: must be stored encrypted; the value is never put in a message. */
function secretValue(
    problems: Problems,
    raw: RawStackConfig,
    key: string,
    check: (v: string) => string | undefined,
): string | undefined {
    const full = `${raw.project}:${key}`;
    const v = raw.values[full];
    if (v === undefined) return undefined;
    if (!raw.secretKeys.has(full)) {
        problems.add(
            key,
            "is stored in plaintext; it must be a secret",
            `pulumi config set --secret ${key} (it prompts for the value, which stays out of your shell history)`,
        );
        return undefined;
    }
    const reason = check(v);
    if (reason) {
        problems.add(key, reason);
        return undefined;
    }
    return v.trim() + (key === "rbdHostKey" ? "\n" : "");
}

function sshKey(v: string): string | undefined {
    return /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(v)
        ? undefined
        : "is not a PEM or OpenSSH private key";
}

export function parseSettings(raw: RawStackConfig): Settings {
    const problems = new Problems(raw.project);
    const prefix = `${raw.project}:`;

    for (const full of Object.keys(raw.values)) {
        if (!full.startsWith(prefix)) continue;
        const key = full.slice(prefix.length);
        if (!KNOWN_KEYS.has(key)) {
            const guess = closest(key, [...KNOWN_KEYS]);
            problems.add(
                key,
                `unknown setting${guess ? ` (did you mean "${guess}"?)` : ""}; known: ${[...KNOWN_KEYS].join(", ")}`,
                guess ? `${raw.project}:${guess}` : undefined,
            );
        }
    }

    // Pulumi.yaml sets this for every stack. Without it the Kubernetes provider treats
    // Secrets as immutable: a new cephUserKey would replace the Secret and, through
    // deleteBeforeReplace, the PV that names it (refused outright on protected stacks).
    const secretMutable = raw.values[SECRET_MUTABLE_KEY];
    if (secretMutable !== undefined && secretMutable !== "true") {
        problems.addKey(
            SECRET_MUTABLE_KEY,
            `is "${secretMutable}"; it must stay true (Pulumi.yaml sets it), or rotating cephUserKey replaces the Secret and the PV that uses it`,
            `pulumi config rm ${SECRET_MUTABLE_KEY}`,
        );
    }

    const modeRaw = raw.values[`${prefix}mode`];
    const mode =
        modeRaw === undefined
            ? (problems.add("mode", "is required"), undefined)
            : parseWith(problems, "mode", modeSchema, modeRaw);

    const cephIn = parseObject(problems, raw, "ceph");
    const ceph =
        cephIn === undefined
            ? (problems.add("ceph", "is required"), undefined)
            : parseWith(problems, "ceph", cephSchema, cephIn);
    const volume = parseWith(
        problems,
        "volume",
        volumeSchema,
        parseObject(problems, raw, "volume") ?? {},
    );
    const jenkins = parseWith(
        problems,
        "jenkins",
        jenkinsSchema,
        parseObject(problems, raw, "jenkins") ?? {},
    );
    const rbdHostIn = parseObject(problems, raw, "rbdHost");
    const rbdHost =
        rbdHostIn === undefined
            ? undefined
            : parseWith(problems, "rbdHost", rbdHostSchema, rbdHostIn);

    const userKey = secretValue(problems, raw, "cephUserKey", rules.cephKey);
    const adminKey = secretValue(problems, raw, "cephAdminKey", rules.cephKey);
    const hostKey = secretValue(problems, raw, "rbdHostKey", sshKey);
    const hostKeySet = raw.values[`${prefix}rbdHostKey`] !== undefined;
    for (const key of neededSecrets(raw)) {
        if (raw.values[`${prefix}${key}`] === undefined) {
            const [why, example] = NEEDED_WHY[key];
            problems.add(key, `is required ${why}`, example);
        }
    }

    const javaOptsResolved = crossFieldRules(problems, {
        mode,
        ceph,
        volume,
        jenkins,
        rbdHostSet: rbdHostIn !== undefined,
        hostKeySet,
    });

    if (problems.list.length > 0 || !mode || !ceph || !volume || !jenkins || !userKey) {
        throw new ConfigError(problems.list);
    }

    const common: CommonSettings & { volume: VolumeSettings } = {
        project: raw.project,
        stack: raw.stack,
        // Validated above: csi stacks have a clusterId.
        ceph: { ...ceph, monitors: ceph.monitors ?? [] } as CephSettings,
        volume: {
            ...volume,
            sizeMiB: sizeInMiB(volume.size),
            protect: volume.protect ?? raw.stack !== "dev",
        },
        jenkins: { ...jenkins, javaOptsResolved },
        cephUserKey: pulumi.secret(userKey),
    };
    if (mode === "dynamic") {
        return {
            ...common,
            mode,
            cephAdminKey:
                adminKey && ceph.provisioner === "in-tree" ? pulumi.secret(adminKey) : undefined,
        };
    }
    return {
        ...common,
        mode,
        rbdHost:
            rbdHost && hostKey ? { ...rbdHost, privateKey: pulumi.secret(hostKey) } : undefined,
    };
}

function sizeInMiB(size: string): bigint {
    const q = parseStorageQuantity(size);
    if (!("bytes" in q)) throw new Error(`unreachable: ${size} validated`);
    return (q.bytes + MIB - 1n) / MIB;
}
