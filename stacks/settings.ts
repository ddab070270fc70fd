// Stack config -> one typed, validated Settings object. Every problem of a config is
// collected and reported together, before the program registers any resource.
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import * as rules from "./rules";
import {
    cephSchema,
    exampleFor,
    jenkinsSchema,
    modeSchema,
    rbdHostSchema,
    volumeSchema,
} from "./schema";
import { MIB, parseStorageQuantity } from "./quantity";
import { defaultJavaOpts, heapFlagBytes, javaOptsOrderErrors, splitOpts } from "./javaOpts";

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
    volume: VolumeSettings;
    jenkins: JenkinsSettings;
    cephUserKey: pulumi.Output<string>;
}

/** Dynamic volumes: the provisioner creates the image (in-tree: as ceph.adminId). */
interface DynamicSettings extends CommonSettings {
    mode: "dynamic";
    /** in-tree only: the key the provisioner creates images with. */
    cephAdminKey?: pulumi.Output<string>;
}

/** Static volumes: this program creates, adopts and grows the image with rbd. */
interface StaticSettings extends CommonSettings {
    mode: "static";
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

export class ConfigError extends Error {
    constructor(public readonly problems: string[]) {
        super(
            `The stack configuration has ${problems.length} problem(s); nothing was changed:\n` +
                problems.map((p) => `  - ${p}`).join("\n"),
        );
        this.name = "ConfigError";
    }
}

const OBJECT_KEYS = ["ceph", "volume", "jenkins", "rbdHost"] as const;
/** The provider setting that makes a key rotation an in-place update of the Secret. */
export const SECRET_MUTABLE_KEY = "kubernetes:enableSecretMutable";
const SECRET_KEYS = ["cephUserKey", "cephAdminKey", "rbdHostKey"] as const;
const KNOWN_KEYS = new Set<string>(["mode", ...OBJECT_KEYS, ...SECRET_KEYS]);

class Problems {
    readonly list: string[] = [];
    constructor(private readonly project: string) {}

    add(path: string, reason: string, example = exampleFor(path)): void {
        this.addKey(`${this.project}:${path}`, reason, example);
    }

    /** A key outside this project's namespace, e.g. a provider's. */
    addKey(fullKey: string, reason: string, example?: string): void {
        const ex = example ? ` Example: ${example}` : "";
        this.list.push(`${fullKey}: ${reason}.${ex}`);
    }

    fromZod(prefix: string, error: z.ZodError): void {
        for (const issue of error.issues) {
            const path = issue.path.reduce<string>(
                (p, seg) => (typeof seg === "number" ? `${p}[${seg}]` : `${p}.${String(seg)}`),
                prefix,
            );
            if (issue.code === "unrecognized_keys") {
                for (const key of issue.keys) {
                    const known = knownFields(prefix, issue.path);
                    const guess = closest(key, known);
                    this.add(
                        `${path}.${key}`,
                        `unknown setting${guess ? ` (did you mean "${guess}"?)` : ""}; known: ${known.join(", ")}`,
                        guess ? `"${guess}"` : undefined,
                    );
                }
                continue;
            }
            this.add(path, zodReason(issue));
        }
    }
}

function zodReason(issue: z.ZodIssue): string {
    switch (issue.code) {
        case "invalid_type":
            return issue.received === "undefined" ? "is required" : `expected ${issue.expected}`;
        case "invalid_enum_value":
            return `must be one of ${issue.options.map(String).join(", ")}`;
        case "too_small":
        case "too_big":
            return `is out of range (${issue.message})`;
        default:
            return issue.message;
    }
}

function knownFields(prefix: string, path: PropertyKey[]): string[] {
    const root: Record<string, z.ZodTypeAny> = {
        ceph: cephSchema,
        volume: volumeSchema,
        jenkins: jenkinsSchema,
        rbdHost: rbdHostSchema,
    };
    let schema: z.ZodTypeAny | undefined = root[prefix];
    for (const seg of path) {
        schema = unwrap(schema);
        if (schema instanceof z.ZodObject)
            schema = (schema.shape as Record<string, z.ZodTypeAny>)[String(seg)];
    }
    schema = unwrap(schema);
    return schema instanceof z.ZodObject ? Object.keys(schema.shape as object) : [];
}

function unwrap(s: z.ZodTypeAny | undefined): z.ZodTypeAny | undefined {
    let cur = s;
    for (;;) {
        if (cur instanceof z.ZodDefault) cur = cur.removeDefault() as z.ZodTypeAny;
        else if (cur instanceof z.ZodOptional) cur = cur.unwrap() as z.ZodTypeAny;
        else if (cur instanceof z.ZodEffects) cur = cur.innerType() as z.ZodTypeAny;
        else return cur;
    }
}

/** The known name within edit distance 2, for "did you mean". */
function closest(word: string, candidates: string[]): string | undefined {
    const dist = (a: string, b: string): number => {
        const d = Array.from({ length: a.length + 1 }, (_, i) => [
            i,
            ...Array<number>(b.length).fill(0),
        ]);
        for (let j = 1; j <= b.length; j++) d[0][j] = j;
        for (let i = 1; i <= a.length; i++) {
            for (let j = 1; j <= b.length; j++) {
                const cost = a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1;
                d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
            }
        }
        return d[a.length][b.length];
    };
    const scored = candidates.map((c) => ({ c, d: dist(word, c) })).sort((x, y) => x.d - y.d);
    return scored.length && scored[0].d <= 2 ? scored[0].c : undefined;
}

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

    if (ceph) {
        const csi = ceph.provisioner === "csi";
        if (csi && !ceph.clusterId)
            problems.add("ceph.clusterId", "is required with the csi provisioner");
        if (!csi && ceph.imageFeatures !== "layering") {
            problems.add("ceph.imageFeatures", "the in-tree provisioner supports only layering");
        }
        if (ceph.csi.install && !csi) {
            problems.add(
                "ceph.csi.install",
                "installs ceph-csi, which the in-tree provisioner does not use; set ceph.provisioner to csi or install to false",
                "false",
            );
        }
        const needsMonitors = !csi || mode === "static" || ceph.csi.install;
        if (ceph.monitors === undefined && needsMonitors) {
            const why = !csi
                ? "with the in-tree provisioner"
                : mode === "static"
                  ? "in static mode (rbd runs against them)"
                  : "when ceph.csi.install is true (they go into the driver's ceph-csi-config)";
            problems.add("ceph.monitors", `is required ${why}`);
        } else if (ceph.monitors !== undefined && ceph.monitors.length === 0) {
            problems.add("ceph.monitors", "is empty");
        }
    }

    if (volume) {
        if (mode === "static") {
            const q = parseStorageQuantity(volume.size);
            if ("bytes" in q && q.bytes % MIB !== 0n) {
                problems.add(
                    "volume.size",
                    `"${volume.size}" is not a whole number of MiB, which rbd needs`,
                );
            }
        }
        if (volume.reclaimPolicy === "Delete" && mode === "static") {
            problems.add(
                "volume.reclaimPolicy",
                "static PVs are always Retain (ceph-csi requires it); use volume.deleteImageOnDestroy to remove the image on destroy",
                "Retain",
            );
        }
        if (volume.deleteImageOnDestroy && mode === "dynamic") {
            problems.add(
                "volume.deleteImageOnDestroy",
                "applies to static mode only; in dynamic mode volume.reclaimPolicy decides",
                "false",
            );
        }
    }

    if (hostKeySet && rbdHostIn === undefined) {
        problems.add("rbdHostKey", "is set but rbdHost is not", undefined);
    }

    let javaOptsResolved = "";
    if (jenkins) {
        const tokens = [
            ...(jenkins.replaceDefaultJavaOpts ? [] : defaultJavaOpts(jenkins.timezone)),
            ...splitOpts(jenkins.javaOpts),
        ];
        for (const e of javaOptsOrderErrors(tokens)) problems.add("jenkins.javaOpts", e);
        const { requests, limits } = jenkins.resources;
        const reqMem = parseStorageQuantity(requests.memory);
        const limMem = parseStorageQuantity(limits.memory);
        if ("bytes" in reqMem && "bytes" in limMem) {
            if (reqMem.bytes !== limMem.bytes) {
                problems.add(
                    "jenkins.resources.requests.memory",
                    `must equal limits.memory (${limits.memory}): the heap is sized from the limit, and a ` +
                        "smaller request lets the node overcommit and OOM-kill Jenkins",
                    limits.memory,
                );
            }
            for (const h of heapFlagBytes(tokens)) {
                if (h.bytes >= limMem.bytes) {
                    problems.add(
                        "jenkins.javaOpts",
                        `${h.flag} does not fit the memory limit ${limits.memory}; prefer -XX:MaxRAMPercentage`,
                    );
                }
            }
        }
        javaOptsResolved = tokens.join(" ");
    }

    if (problems.list.length > 0 || !mode || !ceph || !volume || !jenkins || !userKey) {
        throw new ConfigError(problems.list);
    }

    const common: CommonSettings = {
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
