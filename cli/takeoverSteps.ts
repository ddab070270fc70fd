// How the takeover does each planned step, with the checks that must be made at the
// moment of acting (the PV's policy right before its deletion, the image's watchers
// after Jenkins stopped), and how a refusal puts back what it touched (Jenkins' replicas).
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import type { Stack } from "@pulumi/pulumi/automation";
import type { Settings } from "../settings/settings";
import { Refusal, waitUntil } from "./shared";
import { Cluster, inspectImage } from "./takeoverCluster";
import { claimOf, KubeObject, pvImage, Step, Target } from "./takeoverPlan";

/**
 * The line of a failed `pulumi up` that says why: the first error detail, past the
 * engine's summaries ("2 errors occurred:", "update failed").
 */
export function upFailure(message: string): string {
    const candidates = message
        .split("\n")
        .map((l) => /\berror: (.*)$/.exec(l)?.[1] ?? /^\s*\* (.*)$/.exec(l)?.[1])
        .filter(
            (l): l is string => !!l && !/^\d+ errors? occurred:?$|^update failed$/.test(l.trim()),
        );
    return (candidates[0] ?? message.split("\n")[0]).trim();
}

/** A manifest `kubectl create -f` accepts again: no server fields, no binding to the old uids. */
export function recreatable(o: KubeObject): Record<string, unknown> {
    const m = structuredClone(o);
    const meta = m.metadata as Record<string, unknown>;
    for (const k of [
        "uid",
        "resourceVersion",
        "creationTimestamp",
        "managedFields",
        "generation",
        "finalizers",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "ownerReferences",
    ]) {
        delete meta[k];
    }
    const annotations = meta.annotations as Record<string, string> | undefined;
    for (const k of Object.keys(annotations ?? {})) {
        if (/^(pv|kubectl|deployment)\.kubernetes\.io\//.test(k)) delete annotations![k];
    }
    if (m.kind === "PersistentVolume" && m.spec?.claimRef) {
        const { namespace, name } = m.spec.claimRef;
        m.spec.claimRef = { namespace, name };
    }
    if (m.kind === "Service") {
        delete m.spec?.clusterIP;
        delete m.spec?.clusterIPs;
    }
    delete m.status;
    return m as unknown as Record<string, unknown>;
}

/** Where the backup step saves an object: KIND-NAMESPACE-NAME.yaml ("cluster" for no namespace). */
export function backupFile(dir: string, kind: string, name: string, namespace?: string): string {
    return path.join(dir, `${kind}-${namespace ?? "cluster"}-${name}.yaml`);
}

interface StepContext {
    k: Cluster;
    settings: Settings;
    target: Target;
    stack: Stack;
    backupDir: string;
    timeoutSeconds: number;
}

export class TakeoverSteps {
    /** Jenkins as found, while it is scaled down and not yet deleted. */
    private scaled?: { deployment: KubeObject; replicas: number };

    constructor(private readonly c: StepContext) {}

    private get at(): string {
        return `${this.c.target.pool}/${this.c.target.image}`;
    }

    /** Scales Jenkins back after a refusal; says what happened, for the refusal's text. */
    putBack(): string {
        if (!this.scaled) return "";
        const { deployment: d, replicas } = this.scaled;
        const ns = d.metadata.namespace!;
        try {
            this.c.k.run([
                "-n",
                ns,
                "scale",
                `deployment/${d.metadata.name}`,
                `--replicas=${replicas}`,
            ]);
            return ` Jenkins was scaled back to ${replicas}.`;
        } catch (e) {
            return ` Jenkins could not be scaled back (${(e as Error).message}): kubectl -n ${ns} scale deployment/${d.metadata.name} --replicas=${replicas}`;
        }
    }

    async run(st: Step): Promise<void> {
        switch (st.do) {
            case "backup":
                return this.backup(st.objects);
            case "scale-down":
                return this.scaleDown(st.deployment, st.replicas);
            case "check-closed":
                return this.checkClosed();
            case "delete":
                return this.delete(st.object);
            case "up":
                return this.up();
            case "verify":
                return this.verify(st.imageId);
        }
    }

    private backup(objects: KubeObject[]): void {
        fs.mkdirSync(this.c.backupDir, { recursive: true });
        for (const o of objects) {
            const file = backupFile(
                this.c.backupDir,
                o.kind,
                o.metadata.name,
                o.metadata.namespace,
            );
            // A run after an interruption keeps the first, fuller copy.
            if (!fs.existsSync(file)) fs.writeFileSync(file, YAML.stringify(recreatable(o)));
        }
        console.log(`     saved in ${path.relative(process.cwd(), this.c.backupDir) || "."}`);
    }

    private async scaleDown(d: KubeObject, replicas: number): Promise<void> {
        const { k, target: t, timeoutSeconds } = this.c;
        k.run([
            "-n",
            d.metadata.namespace!,
            "scale",
            `deployment/${d.metadata.name}`,
            "--replicas=0",
        ]);
        if (replicas > 0) this.scaled = { deployment: d, replicas };
        const holders = () =>
            k.list("pods", t.namespace).filter((p) => claimOf(p).includes(t.claimName));
        if (await waitUntil(timeoutSeconds * 1000, () => holders().length === 0)) return;
        throw new Refusal(
            `pod ${holders()
                .map((p) => p.metadata.name)
                .join(
                    ", ",
                )} still runs after ${timeoutSeconds}s and holds the volume; nothing was deleted.${this.putBack()}`,
        );
    }

    private async checkClosed(): Promise<void> {
        const now = await inspectImage(this.c.settings, this.c.target.pool, this.c.target.image);
        if (now.exists && now.watchers.length) {
            throw new Refusal(
                `rbd image ${this.at} is still open by ${now.watchers.join(" ")} (a node that has not unmapped it); nothing was deleted.${this.putBack()} ` +
                    `Wait for the node to unmap it (rbd status ${this.at}), then run the takeover again.`,
            );
        }
    }

    private delete(o: KubeObject): void {
        const { k, timeoutSeconds } = this.c;
        if (o.kind === "PersistentVolume") {
            // Asked again right before: only a Retain PV is ever deleted.
            const now = k.get("persistentvolume", o.metadata.name);
            if (!now) return;
            if (now.spec?.persistentVolumeReclaimPolicy !== "Retain") {
                throw new Refusal(
                    `PersistentVolume ${o.metadata.name} is no longer Retain; stopped before deleting it. ` +
                        `kubectl patch pv ${o.metadata.name} -p '{"spec":{"persistentVolumeReclaimPolicy":"Retain"}}', then run again.`,
                );
            }
        }
        if (o.kind === "Deployment") this.scaled = undefined;
        const ns = o.metadata.namespace ? ["-n", o.metadata.namespace] : [];
        k.run([
            "delete",
            o.kind.toLowerCase(),
            o.metadata.name,
            ...ns,
            "--ignore-not-found",
            "--cascade=foreground",
            "--wait=true",
            `--timeout=${timeoutSeconds}s`,
        ]);
    }

    private async up(): Promise<void> {
        const { stack, backupDir } = this.c;
        await stack.up({ onOutput: (o) => process.stdout.write(o) }).catch((e: Error) => {
            throw new Refusal(
                `pulumi up did not finish (${upFailure(e.message)}). Nothing of the image is lost: no PV, or the stack's own, ` +
                    `stands for it now; fix the cause and run the takeover again` +
                    (fs.existsSync(backupDir)
                        ? ` (the old objects are saved in ${backupDir})`
                        : "") +
                    ".",
            );
        });
    }

    private async verify(imageId: string): Promise<void> {
        const { k, target: t, stack } = this.c;
        const pv = k.get("persistentvolume", t.pvName);
        const src = pv && pvImage(pv);
        if (!pv || pv.status?.phase !== "Bound" || src?.pool !== t.pool || src.image !== t.image) {
            throw new Refusal(
                `PersistentVolume ${t.pvName} is not Bound on rbd image ${this.at} after pulumi up (${pv ? `phase ${pv.status?.phase}` : "missing"}); run the takeover again to finish`,
            );
        }
        const now = await inspectImage(this.c.settings, t.pool, t.image);
        if (!now.exists || now.id !== imageId) {
            throw new Refusal(
                `rbd image ${this.at} now has id ${now.exists ? now.id : "(missing)"}, not ${imageId}: it is not the image Jenkins had; stop and check it before anything else`,
            );
        }
        const preview = await stack.preview();
        // A read changes nothing (the stack reads its own last outputs, settings/index.ts).
        const changed = Object.entries(preview.changeSummary).filter(
            ([op, n]) => op !== "same" && op !== "read" && (n ?? 0) > 0,
        );
        if (changed.length) {
            throw new Refusal(
                `pulumi preview after the takeover still shows changes (${changed.map(([op, n]) => `${op} ${n}`).join(", ")}); run pulumi preview --diff to see them`,
            );
        }
        console.log(
            `     PV ${t.pvName} is Bound to ${t.namespace}/${t.claimName} on rbd image ${this.at}, rbd id ${now.id} as before; pulumi preview: no changes`,
        );
    }
}
