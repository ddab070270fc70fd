// The one place that reads Pulumi's stack config. Components take typed args, never config.
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as path from "path";
import { ConfigError, parseSettings, RawStackConfig, Settings } from "./settings";
import {
    checkHomeChange,
    HomeIdentity,
    homeIdentity,
    previousHome,
    shrinkRefusal,
} from "./homeGuard";
import { Problems } from "./problems";
import { accessOf, guardOwnership } from "../components/cluster/ownership";
import { readObject } from "../components/cluster/clusterReader";
import { snapshotFingerprints } from "../components/jenkinsOnCeph";
import { HomeRead, readHome, ReadNeeds, readsAtPreview } from "./cephAtPreview";
import { rbdPlan, RbdPlanInput } from "./rbdPlan";
import { parseStorageQuantity } from "./quantity";

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

/** The outputs the home check and the preview read use from the stack's last run. */
const LAST_RUN_OUTPUTS = [
    "snapshots",
    "cephSecretNamespace",
    "home",
    "mode",
    "namespace",
    "pvcName",
    "pvName",
    "rbdImage",
    "storageClassName",
    "volumeSize",
];

/** The checked settings, and the preview's verdict on what rbd will do. */
export interface CheckedSettings {
    settings: Settings;
    /**
     * Settles once Ceph has answered the preview read (settings/cephAtPreview.ts), after
     * printing what rbd will do; rejects with a RunError when `up` would refuse the change.
     * Resolved at once when nothing is read (an update, or ceph.readAtPreview false).
     */
    cephVerdict: Promise<void>;
}

/**
 * The settings after the check of a change of Jenkins' home against the stack's last
 * outputs (a StackReference to itself: the last `pulumi up` of this very stack). A change
 * that would start Jenkins on a new empty volume, or that the API server would refuse, is
 * one RunError before any other resource is registered. At preview, Ceph is then asked
 * while the program registers its resources; the program waits for that verdict only at
 * the end, so the read costs the preview no wait of its own (a preview changes nothing
 * either way).
 */
export async function checkedAgainstLastRun(given: Settings): Promise<CheckedSettings> {
    const s = await withServiceMonitorDecided(given);
    const outputs = await lastRunOutputs(s);
    const prev = previousHome(outputs);
    const sameImage =
        s.mode === "static" &&
        prev?.mode === "static" &&
        prev.rbdImage === homeIdentity(s).rbdImage;
    const read = readsAtPreview(s)
        ? readHome(s, clusterSettings(), readNeeds(s, sameImage))
        : undefined;
    if (prev?.mode === "static" && prev.pvSource === undefined && prev.pvName) {
        prev.pvSource = await livePvSource(prev.pvName);
    }
    const check = checkHomeChange(prev, s);
    const shrink = check.adoptOnly ? undefined : shrinkRefusal(prev, outputs.volumeSize, s);
    if (shrink) check.refusals.push(shrink);
    if (check.refusals.length > 0) throw refusal(s.project, check.refusals);
    for (const note of check.notes) void pulumi.log.warn(note);
    if (s.volume.startEmpty) {
        void pulumi.log.warn(
            "volume.startEmpty is true: a change of Jenkins' home is let through and may start Jenkins on an empty volume; set it back to false after this pulumi up",
        );
    }
    const cephVerdict = read
        ? read.then((r) =>
              reportPlan(s, r, { outputs, prev, sameImage, adoptOnly: check.adoptOnly }),
          )
        : Promise.resolve();
    // Until the program awaits it, a refusal is not an unhandled rejection.
    cephVerdict.catch(() => undefined);
    if (s.mode !== "static" || !check.adoptOnly) return { settings: s, cephVerdict };
    return { settings: { ...s, volume: { ...s.volume, adoptOnly: true } }, cephVerdict };
}

/** Watchers matter only for an image the stack adopts; image-meta only with snapshots. */
function readNeeds(s: Settings, sameImage: boolean): ReadNeeds {
    return { watchers: s.mode === "static" && !sameImage, meta: s.volume.snapshots.enabled };
}

/** What the stack's last run left, as the preview's plan reads it. */
interface LastRun {
    outputs: Record<string, unknown>;
    prev: HomeIdentity | undefined;
    /** Static: the image named now is the one the last up ran Jenkins on. */
    sameImage: boolean;
    /** Static: Jenkins' home was another image, so this one must exist (homeGuard.ts). */
    adoptOnly: boolean;
}

async function lastRunOutputs(s: Settings): Promise<Record<string, unknown>> {
    const ref = new pulumi.StackReference("jenkins-ceph-last-run", {
        name: `${pulumi.getOrganization()}/${s.project}/${s.stack}`,
    });
    const outputs: Record<string, unknown> = {};
    for (const key of LAST_RUN_OUTPUTS) {
        const d = await ref.getOutputDetails(key);
        outputs[key] = d.value ?? d.secretValue;
    }
    return outputs;
}

/**
 * What rbd will do, one info line each, and the drift, one warning each; a change rbd
 * would refuse at up is refused now. When Ceph could not be asked, one warning says what
 * was not checked (up still guards).
 */
function reportPlan(s: Settings, read: HomeRead, last: LastRun): void {
    if (read.refused) throw refusal(s.project, [[...read.refused, undefined]]);
    const at = `${read.pool}/${read.image ?? "(the claim's image)"}`;
    if (read.notChecked !== undefined) {
        void pulumi.log.warn(
            `rbd: Ceph was not asked about ${at} at preview (${read.notChecked}); its size, features, watchers and snapshots were not checked, and pulumi up still refuses a shrink or an empty home on its own`,
        );
        return;
    }
    const plan = rbdPlan(planInput(s, read, last));
    for (const d of plan.drift) void pulumi.log.warn(`rbd drift: ${d}`);
    if (plan.refusals.length > 0) throw refusal(s.project, plan.refusals);
    for (const line of plan.lines) void pulumi.log.info(`rbd: ${line}`);
}

function planInput(s: Settings, read: HomeRead, last: LastRun): RbdPlanInput {
    const { outputs, prev } = last;
    const size = outputs.volumeSize;
    const lastSize = parseStorageQuantity(typeof size === "string" ? size : "");
    const lastSnapshots = Array.isArray(outputs.snapshots)
        ? (outputs.snapshots as { name?: unknown }[]).map((x) => String(x.name))
        : undefined;
    const isHome =
        s.mode === "static" ? last.sameImage : prev?.mode === "dynamic" && read.image !== undefined;
    const snapshots = s.volume.snapshots.enabled
        ? { fingerprints: snapshotFingerprints(s), keep: s.volume.snapshots.keep }
        : undefined;
    return {
        mode: s.mode,
        pool: read.pool,
        image: read.image,
        facts: read.facts,
        wantBytes: Number(s.volume.sizeMiB) * 1024 ** 2,
        features: s.ceph.provisioner === "existing" ? "" : s.ceph.imageFeatures,
        isHome,
        mustExist: last.adoptOnly,
        last: {
            sizeBytes: "bytes" in lastSize ? Number(lastSize.bytes) : undefined,
            snapshots: lastSnapshots,
        },
        claimRequestBytes: read.claimRequestBytes,
        snapshots,
        startEmpty: s.volume.startEmpty,
    };
}

/**
 * Every Kubernetes object the stack creates is checked first against the cluster the
 * provider uses (components/ownership.ts): one another stack or a person made is refused.
 */
export function guardStackObjects(s: Settings): void {
    guardOwnership(clusterSettings(), `${pulumi.getOrganization()}/${s.project}/${s.stack}`);
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

const SERVICE_MONITOR_CRD =
    "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/servicemonitors.monitoring.coreos.com";

/**
 * jenkins.prometheus.serviceMonitor unset: a ServiceMonitor where the cluster has its CRD
 * (the Prometheus operator's), decided here once; the component gets a yes or a no.
 */
async function withServiceMonitorDecided(s: Settings): Promise<Settings> {
    const p = s.jenkins.prometheus;
    if (!p.enabled || p.serviceMonitor !== undefined) return s;
    const access = accessOf(clusterSettings());
    const found =
        access instanceof Error
            ? access
            : await readObject(access, SERVICE_MONITOR_CRD, 10_000).then(
                  (crd) => crd !== undefined,
                  (e: Error) => e,
              );
    if (found instanceof Error) {
        void pulumi.log.warn(
            `jenkins.prometheus: the cluster could not be asked whether it has the ServiceMonitor CRD (${found.message.split("\n")[0]}), so no ServiceMonitor is made; the web Service keeps its scrape annotations (set jenkins.prometheus.serviceMonitor to decide)`,
        );
    }
    const serviceMonitor = found === true;
    return { ...s, jenkins: { ...s.jenkins, prometheus: { ...p, serviceMonitor } } };
}

/** Refusals of the settings as one RunError, worded like every other config problem. */
function refusal(project: string, refusals: [string, string, string | undefined][]) {
    const problems = new Problems(project);
    for (const [path, reason, example] of refusals) problems.add(path, reason, example);
    return new pulumi.RunError(new ConfigError(problems.list).message);
}
