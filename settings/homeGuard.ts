// The volume Jenkins' home is on, as the last `pulumi up` left it, against what the
// current settings would put Jenkins on. A change that would start Jenkins on a new empty
// volume in place of the one it has, or that the API server would refuse (a claim's spec
// and a PV's source are immutable), is refused here, at preview, before any resource is
// registered; each refusal names the setting and the deliberate way.
//
// The previous home comes from the stack's own last outputs (a StackReference to itself,
// read in index.ts): stacks made before the `home` output existed still say mode,
// namespace, pvcName, pvName, rbdImage and storageClassName.
import type { Settings } from "./settings";
import { parseStorageQuantity } from "./quantity";
import { cephConnection } from "../components/jenkinsOnCeph";

/** What identifies Jenkins' volume; the `home` stack output. */
export interface HomeIdentity {
    mode: "static" | "dynamic";
    namespace: string;
    claimName: string;
    accessMode?: string;
    /** Dynamic: the class the claim is provisioned from. */
    storageClassName?: string;
    /** Static: the PV, its provisioner and its image (pool/image). */
    pvName?: string;
    provisioner?: string;
    rbdImage?: string;
    /** Where the Ceph Secrets are, which every PV made so far names; none with a cluster class. */
    secretNamespace?: string;
    /** Static: the PV's rbd or csi source; the Kubernetes provider replaces a PV when it changes. */
    pvSource?: unknown;
    /**
     * Read from the flat outputs of a stack an earlier version of this program last
     * updated: its stored delete steps still follow the settings of their day.
     */
    legacy?: { snapshots: boolean };
}

/** The identity the current settings give Jenkins' volume. */
export function homeIdentity(s: Settings): HomeIdentity {
    const common = {
        mode: s.mode,
        namespace: s.jenkins.namespace,
        claimName: s.volume.claimName,
        accessMode: s.volume.accessMode,
        secretNamespace: s.ceph.provisioner === "existing" ? undefined : s.ceph.secretNamespace,
    };
    if (s.mode === "dynamic") return { ...common, storageClassName: s.ceph.storageClassName };
    return {
        ...common,
        pvName: s.volume.pvName,
        provisioner: s.ceph.provisioner,
        rbdImage: `${s.ceph.pool}/${s.volume.image}`,
        pvSource: cephConnection(s.ceph).volumeSource(s.volume.image),
    };
}

/** The leaves of a value as "path: value", to show which part of a PV source changes. */
function leaves(v: unknown, at = ""): Map<string, string> {
    const out = new Map<string, string>();
    if (v && typeof v === "object" && !Array.isArray(v)) {
        for (const [k, x] of Object.entries(v)) {
            for (const [p, y] of leaves(x, at ? `${at}.${k}` : k)) out.set(p, y);
        }
    } else {
        out.set(at, JSON.stringify(v));
    }
    return out;
}

/** The setting behind a field of a PV source, for the refusal. */
function settingOfSource(field: string): string {
    const last = field.split(".").at(-1) ?? "";
    const map: Record<string, string> = {
        namespace: "ceph.secretNamespace",
        monitors: "ceph.monitors",
        pool: "ceph.pool",
        image: "volume.image",
        volumeHandle: "volume.image",
        fsType: "ceph.fsType",
        imageFeatures: "ceph.imageFeatures",
        clusterID: "ceph.clusterId",
        driver: "ceph.csiDriver",
        user: "ceph.user",
    };
    return map[last] ?? "ceph";
}

/** The previous home from the stack's last outputs; undefined for a new stack. */
export function previousHome(outputs: Record<string, unknown>): HomeIdentity | undefined {
    const home = outputs.home as HomeIdentity | undefined;
    if (home && typeof home === "object" && home.mode) return home;
    const mode = outputs.mode;
    if (mode !== "static" && mode !== "dynamic") return undefined;
    const str = (k: string) => {
        const v = outputs[k];
        return typeof v === "string" ? v : undefined;
    };
    return {
        mode,
        namespace: str("namespace") ?? "",
        claimName: str("pvcName") ?? "",
        storageClassName: mode === "dynamic" ? str("storageClassName") : undefined,
        pvName: str("pvName"),
        rbdImage: mode === "static" ? str("rbdImage") : undefined,
        // Before ceph.secretNamespace existed, the Secrets lived in Jenkins' namespace.
        secretNamespace: str("cephSecretNamespace") ?? str("namespace"),
        legacy: { snapshots: Array.isArray(outputs.snapshots) },
    };
}

interface HomeCheck {
    /** [setting path, sentence, example] for each change refused. */
    refusals: [string, string, string][];
    /** Static: the image named now is not the previous home, so it must already exist. */
    adoptOnly: boolean;
    /** What the run prints about the change it lets through. */
    notes: string[];
}

const START_EMPTY =
    "to begin with an empty home on purpose, set volume.startEmpty to true for that one `pulumi up`";

/** The setting behind each field of the identity, for the upgrade refusal. */
const LEGACY_KEYS: Record<string, string> = {
    mode: "mode",
    namespace: "jenkins.namespace",
    claimName: "volume.claimName",
    storageClassName: "ceph.storageClassName",
    pvName: "volume.pvName",
    rbdImage: "volume.image",
};

/** The checks of a change of home, in the order a reader meets the settings. */
export function checkHomeChange(prev: HomeIdentity | undefined, s: Settings): HomeCheck {
    const cur = homeIdentity(s);
    const out: HomeCheck = { refusals: [], adoptOnly: false, notes: [] };
    if (!prev) return out;
    const legacy = legacyRefusal(prev, cur, s);
    if (legacy) return { ...out, refusals: [legacy] };
    const startEmpty = s.volume.startEmpty;
    if (prev.accessMode && prev.accessMode !== cur.accessMode) {
        out.refusals.push([
            "volume.accessMode",
            `${from(prev.accessMode, cur.accessMode)}: a claim's access modes cannot change once it exists (the API server refuses it), and a new claim would be a new volume`,
            prev.accessMode,
        ]);
    }
    if (prev.mode !== cur.mode) {
        if (!startEmpty) {
            out.refusals.push([
                "mode",
                `${from(prev.mode, cur.mode)}: Jenkins would start on another volume than its home ${describe(prev)}, and the claim cannot change in place; keep mode ${prev.mode} (npm run restore brings back a snapshot), or ${START_EMPTY}`,
                prev.mode,
            ]);
        }
        return out;
    }
    if (cur.mode === "dynamic") {
        const r = startEmpty ? undefined : dynamicRefusal(prev, cur);
        if (r) return { ...out, refusals: [...out.refusals, r] };
        return { ...out, refusals: [...out.refusals, ...secretMove(prev, cur)] };
    }
    out.refusals.push(...staticRefusals(prev, cur));
    if (out.refusals.length === 0) out.refusals.push(...secretMove(prev, cur));
    if (prev.rbdImage !== cur.rbdImage && !startEmpty) {
        out.adoptOnly = true;
        out.notes.push(
            `volume.image ${from(prev.rbdImage, cur.rbdImage)}: ${cur.rbdImage} is adopted if it exists; pulumi up refuses to create it empty (set volume.startEmpty to true for that), and ${prev.rbdImage} is kept with its data`,
        );
    }
    return out;
}

type Refusal = [string, string, string];

/** The PVs made so far name the Secret where it was: moving it stops them from mounting. */
function secretMove(prev: HomeIdentity, cur: HomeIdentity): Refusal[] {
    if (!prev.secretNamespace || !cur.secretNamespace) return [];
    if (prev.secretNamespace === cur.secretNamespace) return [];
    return [
        [
            "ceph.secretNamespace",
            `${from(prev.secretNamespace, cur.secretNamespace)}: the Ceph Secrets would move, but the PersistentVolumes made so far name them where they are and would no longer mount (and their source cannot change in place); set ceph.secretNamespace to "${prev.secretNamespace}"`,
            prev.secretNamespace,
        ],
    ];
}

const from = (a?: string, b?: string) => `changes from "${a ?? ""}" to "${b ?? ""}"`;

/** A stack an earlier version last updated: a change waits for one unchanged up. */
function legacyRefusal(prev: HomeIdentity, cur: HomeIdentity, s: Settings): Refusal | undefined {
    if (!prev.legacy) return undefined;
    const changed = (
        ["mode", "namespace", "claimName", "storageClassName", "pvName", "rbdImage"] as const
    ).find((k) => prev[k] !== undefined && prev[k] !== cur[k]);
    const offNow = prev.legacy.snapshots && !s.volume.snapshots.enabled;
    if (!changed && !offNow) return undefined;
    return [
        changed ? LEGACY_KEYS[changed] : "volume.snapshots.enabled",
        `changes what the stack's last pulumi up, by an earlier version of this program, set up; that version's stored delete steps follow the settings of their day and could delete data on this change, so run one pulumi up with the settings unchanged first (it stores this version's steps), then make the change`,
        "the setting's value from the last pulumi up",
    ];
}

/** Dynamic: a new claim, in another namespace or of another class, is a new empty volume. */
function dynamicRefusal(prev: HomeIdentity, cur: HomeIdentity): Refusal | undefined {
    const [path, a, b] =
        prev.namespace !== cur.namespace
            ? ["jenkins.namespace", prev.namespace, cur.namespace]
            : prev.claimName !== cur.claimName
              ? ["volume.claimName", prev.claimName, cur.claimName]
              : (prev.storageClassName ?? cur.storageClassName) !== cur.storageClassName
                ? ["ceph.storageClassName", prev.storageClassName, cur.storageClassName]
                : [];
    if (!path) return undefined;
    return [
        path,
        `${from(a, b)}: the claim would be replaced by a new, empty one (and under reclaimPolicy Delete the provisioner deletes the old image with Jenkins' data); keep "${a}", or ${START_EMPTY}`,
        a ?? "",
    ];
}

/**
 * Static. A namespace move would run the new Jenkins beside the old one, on one image.
 * The Kubernetes provider replaces a PV whose source changes, and a claim whose volume
 * does; under the same name that deletes the object Jenkins runs on (it hangs on the
 * pvc-protection finalizer, or the PV goes). A new name makes it a second object.
 */
function staticRefusals(prev: HomeIdentity, cur: HomeIdentity): Refusal[] {
    if (prev.namespace !== cur.namespace) {
        return [
            [
                "jenkins.namespace",
                `${from(prev.namespace, cur.namespace)}: in static mode the new Jenkins would start in the new namespace while the old one still runs, both on rbd image ${prev.rbdImage ?? cur.rbdImage}; move it in two steps: pulumi destroy --run-program (the image is kept), then pulumi up with the new namespace (the image is adopted)`,
                prev.namespace,
            ],
        ];
    }
    const source = sourceChange(prev, cur);
    if (source && prev.pvName === cur.pvName) {
        const [path, what, example] = source;
        return [
            [
                path,
                `${what}: the PersistentVolume "${cur.pvName}" cannot change its rbd source in place (the API server refuses it, and a replacement under the same name would delete the PV Jenkins runs on); to make that change, give volume.pvName and volume.claimName new names as well (the old PV is Retain and the image stays), or change it back`,
                example,
            ],
        ];
    }
    if (prev.pvName !== cur.pvName && prev.claimName === cur.claimName) {
        return [
            [
                "volume.pvName",
                `${from(prev.pvName, cur.pvName)}: the claim "${cur.claimName}" cannot be bound to another PersistentVolume in place (the API server refuses it); give volume.claimName a new name as well, or change it back`,
                prev.pvName ?? "",
            ],
        ];
    }
    if (prev.claimName !== cur.claimName && prev.pvName === cur.pvName) {
        return [
            [
                "volume.claimName",
                `${from(prev.claimName, cur.claimName)}: the PersistentVolume "${cur.pvName}" is pre-bound to the claim, and the provider would replace it under the same name; give volume.pvName a new name as well, or change it back`,
                prev.claimName,
            ],
        ];
    }
    return [];
}

/** What of the static PV's source changes: [setting, what, a right value], or undefined. */
function sourceChange(prev: HomeIdentity, cur: HomeIdentity): Refusal | undefined {
    const poolOf = (i?: string) => i?.split("/")[0];
    if (prev.rbdImage !== cur.rbdImage) {
        const path = poolOf(prev.rbdImage) === poolOf(cur.rbdImage) ? "volume.image" : "ceph.pool";
        return [path, from(prev.rbdImage, cur.rbdImage), prev.rbdImage ?? ""];
    }
    if (prev.provisioner !== undefined && prev.provisioner !== cur.provisioner) {
        return ["ceph.provisioner", from(prev.provisioner, cur.provisioner), prev.provisioner];
    }
    if (prev.pvSource === undefined) return undefined;
    const before = leaves(prev.pvSource);
    const changed = [...leaves(cur.pvSource)].find(([k, v]) => before.get(k) !== v);
    if (!changed) return undefined;
    const [field, value] = changed;
    return [
        settingOfSource(field),
        `changes the PV's ${field} from ${before.get(field) ?? "nothing"} to ${value}`,
        "the value of the last pulumi up",
    ];
}

function describe(h: HomeIdentity): string {
    return h.rbdImage
        ? `(rbd image ${h.rbdImage}, claim ${h.namespace}/${h.claimName})`
        : `(claim ${h.namespace}/${h.claimName})`;
}

/**
 * A shrink of the home the last `pulumi up` left at `lastSize` (its `volumeSize` output):
 * rbd never shrinks an image and the API server refuses a smaller claim, each halfway
 * through `up`; refused here, in every run, before anything is registered. Only for the
 * same home (a new image's size is asked of Ceph at preview, settings/rbdPlan.ts).
 */
export function shrinkRefusal(
    prev: HomeIdentity | undefined,
    lastSize: unknown,
    s: Settings,
): [string, string, string] | undefined {
    if (!prev || prev.mode !== s.mode || typeof lastSize !== "string") return undefined;
    const cur = homeIdentity(s);
    if (s.mode === "static" && prev.rbdImage !== cur.rbdImage) return undefined;
    const last = parseStorageQuantity(lastSize);
    const want = parseStorageQuantity(s.volume.size);
    if (!("bytes" in last) || !("bytes" in want) || want.bytes >= last.bytes) return undefined;
    const what = s.mode === "static" ? `rbd image ${cur.rbdImage}` : `claim ${cur.claimName}`;
    return [
        "volume.size",
        `is ${s.volume.size}, below the ${lastSize} the last pulumi up gave Jenkins' home (${what}): neither an rbd image nor a claim can shrink without cutting off data (rbd and the API server refuse it); set volume.size to at least ${lastSize}`,
        lastSize,
    ];
}
