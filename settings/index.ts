// The one place that reads Pulumi's stack config. Components take typed args, never config.
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as path from "path";
import { ConfigError, parseSettings, RawStackConfig, Settings } from "./settings";
import { checkHomeChange, previousHome } from "./homeGuard";
import { Problems } from "./problems";
import { configKeyWords } from "./words";
import { accessOf, guardOwnership } from "../components/cluster/ownership";
import { readObject } from "../components/cluster/clusterReader";
import { runRbdStepNow, secretValue } from "../components/rbd/rbdRemoval";
import { rbdProgram } from "../components/rbd/rbdScript";
import { cephConnection } from "../components/jenkinsOnCeph";

/**
 * The keys the stack stores encrypted. The language host passes them to the program in
 * PULUMI_CONFIG_SECRET_KEYS beside the values in PULUMI_CONFIG (which allConfig reads);
 * the SDK has no public call for it, and without it a plaintext key would pass.
 */
function secretConfigKeys(): Set<string> {
    const raw = process.env.PULUMI_CONFIG_SECRET_KEYS;
    const keys: unknown = raw ? JSON.parse(raw) : [];
    return new Set(Array.isArray(keys) ? keys.map(String) : []);
}

function readStackConfig(): RawStackConfig {
    const values = pulumi.runtime.allConfig();
    const secretKeys = secretConfigKeys();
    const stack = pulumi.getStack();
    // The CLI runs the program in the project directory, beside the stack file it read.
    const file = path.join(process.cwd(), `Pulumi.${stack}.yaml`);
    const stackFileText = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined;
    return { project: pulumi.getProject(), stack, values, secretKeys, stackFileText };
}

/** The stack's Settings; a bad config is one RunError: a clean message, no stack trace. */
export function loadStackSettings(): Settings {
    try {
        return parseSettings(readStackConfig());
    } catch (e) {
        if (e instanceof ConfigError) throw new pulumi.RunError(e.message);
        throw e;
    }
}

/** The outputs the home check reads from the stack's last run (homeGuard.previousHome). */
const HOME_OUTPUTS = [
    "snapshots",
    "cephSecretNamespace",
    "home",
    "mode",
    "namespace",
    "pvcName",
    "pvName",
    "rbdImage",
    "storageClassName",
];

/**
 * The settings after the check of a change of Jenkins' home against the stack's last
 * outputs (a StackReference to itself: the last `pulumi up` of this very stack). A change
 * that would start Jenkins on a new empty volume, or that the API server would refuse, is
 * one RunError before any other resource is registered.
 */
export async function checkedAgainstLastRun(s: Settings): Promise<Settings> {
    const ref = new pulumi.StackReference("jenkins-ceph-last-run", {
        name: `${pulumi.getOrganization()}/${s.project}/${s.stack}`,
    });
    const outputs: Record<string, unknown> = {};
    for (const key of HOME_OUTPUTS) {
        const d = await ref.getOutputDetails(key);
        outputs[key] = d.value ?? d.secretValue;
    }
    const prev = previousHome(outputs);
    if (prev?.mode === "static" && prev.pvSource === undefined && prev.pvName) {
        prev.pvSource = await livePvSource(prev.pvName);
    }
    const check = checkHomeChange(prev, s);
    if (check.refusals.length > 0) throw refusal(s.project, check.refusals);
    if (check.adoptOnly && s.mode === "static" && !(await imageExists(s))) {
        throw refusal(s.project, [
            [
                "volume.image",
                `"${s.volume.image}" does not exist in pool ${s.ceph.pool}, and Jenkins' home was another image: refusing to start Jenkins on a new empty image; name an image that exists (adoption), bring the data back with npm run restore, or set volume.startEmpty to true to begin anew`,
                undefined,
            ],
        ]);
    }
    for (const note of check.notes) void pulumi.log.warn(note);
    if (s.volume.startEmpty) {
        void pulumi.log.warn(
            "volume.startEmpty is true: a change of Jenkins' home is let through and may start Jenkins on an empty volume; set it back to false after this pulumi up",
        );
    }
    if (s.mode !== "static" || !check.adoptOnly) return s;
    return { ...s, volume: { ...s.volume, adoptOnly: true } };
}

/**
 * Every Kubernetes object the stack creates is checked first against the cluster the
 * provider uses (components/ownership.ts): one another stack or a person made is refused.
 */
export function guardStackObjects(s: Settings): void {
    guardOwnership(clusterSettings(), `${pulumi.getOrganization()}/${s.project}/${s.stack}`);
}

/**
 * Whether the static image exists, asked of Ceph at preview (rbd's read-only inspect step,
 * where the stack runs rbd): a rename onto a missing image is then refused before the
 * preview ends, not only by rbd at up. Unknown (Ceph not reachable from here) counts as
 * existing, and rbd's own check at up still refuses to create it empty.
 */
async function imageExists(s: Extract<Settings, { mode: "static" }>): Promise<boolean> {
    const key = await secretValue(s.ceph.userKey);
    const host = s.rbdHost && {
        ...s.rbdHost,
        privateKey: await secretValue(s.rbdHost.privateKey),
    };
    const params = {
        ...cephConnection(s.ceph).rbdParams({
            image: s.volume.image,
            sizeMiB: s.volume.sizeMiB,
            deleteOnDestroy: false,
            adoptOnly: true,
        }),
        words: configKeyWords(s.project),
    };
    const r = runRbdStepNow("inspect", rbdProgram(params, key), host);
    if (r.code === 0 && /^exists: no$/m.test(r.stdout)) return false;
    if (r.code !== 0) {
        void pulumi.log.warn(
            `could not ask Ceph whether ${s.ceph.pool}/${s.volume.image} exists (${r.stderr.trim().split("\n").pop() ?? ""}); pulumi up refuses to create it empty all the same`,
        );
    }
    return true;
}

/** The provider's cluster, as the stack's kubernetes config names it. */
function clusterSettings() {
    const k8s = new pulumi.Config("kubernetes");
    return { kubeconfig: k8s.get("kubeconfig"), context: k8s.get("context") };
}

/**
 * The rbd or csi source of the PV a stack made by an earlier version runs on, read from
 * the cluster (its outputs do not hold it), so that a change of it is refused in our
 * words and not the API server's; undefined when the cluster cannot be asked.
 */
async function livePvSource(pvName: string): Promise<unknown> {
    const access = accessOf(clusterSettings());
    if (access instanceof Error) return undefined;
    const pv = (await readObject(
        access,
        `/api/v1/persistentvolumes/${encodeURIComponent(pvName)}`,
    ).catch(() => undefined)) as { spec?: { csi?: unknown; rbd?: unknown } } | undefined;
    if (!pv?.spec) return undefined;
    return pv.spec.csi ? { csi: pv.spec.csi } : pv.spec.rbd ? { rbd: pv.spec.rbd } : undefined;
}

/** Refusals of the settings as one RunError, worded like every other config problem. */
function refusal(project: string, refusals: [string, string, string | undefined][]) {
    const problems = new Problems(project);
    for (const [path, reason, example] of refusals) problems.add(path, reason, example);
    return new pulumi.RunError(new ConfigError(problems.list).message);
}
