// How the takeover reads the world before it decides anything: the stack's objects by
// name (the real program rendered offline), what the cluster holds under those names and
// on the image, the stack's state, and rbd's facts about the image. Read-only; the one
// server call that looks like a write is a server-side dry run.
import * as YAML from "yaml";
import type { Stack } from "@pulumi/pulumi/automation";
import type { Settings } from "../settings/settings";
import { render } from "./render";
import { CEPH_SECRET_NAMES } from "../components/ceph/cephConnection";
import { kubectl, Refusal, runRbdStep } from "./shared";
import { describe, KubeObject, Observed, Target } from "./takeoverPlan";
import { ImageFacts, parseInspect } from "../components/rbd/imageFacts";

/** kubectl with the stack's context; a failure is a refusal with kubectl's first line. */
export class Cluster {
    constructor(readonly context?: string) {}

    run(args: string[], input?: string): string {
        const r = kubectl(args, this.context, input);
        if (!r.ok) {
            // kubectl's own complaint is on stderr (stdout may say what it did first).
            throw new Refusal(
                `kubectl ${args.slice(0, 3).join(" ")} failed: ${(r.stderr || r.out).split("\n")[0]}`,
            );
        }
        return r.stdout;
    }

    /** One object, or undefined; Secrets lose their data here, before anything keeps them. */
    get(kind: string, name: string, namespace?: string): KubeObject | undefined {
        const ns = namespace ? ["-n", namespace] : [];
        const out = this.run(["get", kind, name, ...ns, "--ignore-not-found", "-o", "json"]);
        if (!out.trim()) return undefined;
        const o = JSON.parse(out) as KubeObject & { data?: unknown; stringData?: unknown };
        delete o.data;
        delete o.stringData;
        return o;
    }

    list(kind: string, namespace?: string): KubeObject[] {
        const ns = namespace ? ["-n", namespace] : [];
        return (JSON.parse(this.run(["get", kind, ...ns, "-o", "json"])) as { items: KubeObject[] })
            .items;
    }

    /** Whether the API server would let a server-side apply of `manifest` take the object. */
    applies(manifest: unknown): { ok: boolean; why: string } {
        const r = kubectl(
            [
                "apply",
                "--server-side",
                "--dry-run=server",
                "--field-manager=jenkins-ceph-takeover",
                "-f",
                "-",
            ],
            this.context,
            YAML.stringify(manifest),
        );
        return { ok: r.ok, why: r.out.split("\n")[0] };
    }
}

/** rbd's facts about the image: existence, id, size, watchers. */
export async function inspectImage(s: Settings, pool: string, image: string): Promise<ImageFacts> {
    const r = await runRbdStep("inspect", s, { pool, image });
    if (!r.ok) throw new Refusal(`${r.error}; nothing was changed`);
    return parseInspect(r.stdout);
}

/** kubectl's name for an object's resource: Deployment.apps, Namespace. */
function resourceOf(m: KubeObject): string {
    const group = m.apiVersion.includes("/") ? m.apiVersion.split("/")[0] : "";
    return group ? `${m.kind}.${group}` : m.kind;
}

interface Observation {
    seen: Observed;
    /** Why an object Pulumi would adopt cannot be taken as it is, one sentence each. */
    adoptionProblems: (adopted: KubeObject[]) => string[];
}

/** Everything planTakeover needs, read from the cluster, Ceph and the stack's state. */
export async function observe(
    k: Cluster,
    s: Settings,
    t: Target,
    stack: Stack,
    workDir: string,
): Promise<Observation> {
    // What the stack will create, by name (offline: the real program under mocks).
    const rendered = (await render(stack.name, workDir)).manifests as unknown as KubeObject[];
    const exported = (await stack.exportStack()).deployment as
        { resources?: { outputs?: { metadata?: { uid?: string } } }[] } | undefined;
    const managedUids = new Set(
        (exported?.resources ?? [])
            .map((r) => r.outputs?.metadata?.uid)
            .filter((u): u is string => !!u),
    );
    const sameNamed = rendered
        .map((m) => k.get(resourceOf(m), m.metadata.name, m.metadata.namespace))
        .filter((o): o is KubeObject => !!o);
    const namespaceExists = sameNamed.some(
        (o) => o.kind === "Namespace" && o.metadata.name === t.namespace,
    );
    const seen: Observed = {
        sameNamed,
        pvs: k.list("persistentvolumes"),
        pods: namespaceExists ? k.list("pods", t.namespace) : [],
        replicaSets: namespaceExists ? k.list("replicasets.apps", t.namespace) : [],
        cephSecrets: namespaceExists
            ? CEPH_SECRET_NAMES.map((n) => k.get("secret", n, t.namespace)).filter(
                  (o): o is KubeObject => !!o,
              )
            : [],
        managedUids,
        image: await inspectImage(s, t.pool, t.image),
    };
    const adoptionProblems = (adopted: KubeObject[]) =>
        adopted.flatMap((o) => {
            const m = rendered.find(
                (r) => r.kind === o.kind && r.metadata.name === o.metadata.name,
            );
            const r = k.applies(m);
            return r.ok
                ? []
                : [
                      `${describe(o)} exists and Pulumi could not take it over as it is (${r.why}); nothing was changed. ` +
                          `Remove the conflicting fields, or the object if it holds nothing.`,
                  ];
        });
    return { seen, adoptionProblems };
}
