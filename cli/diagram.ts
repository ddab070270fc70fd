// The picture of what a stack makes, for `npm run render`: its namespaces with their
// objects, the cluster-wide class or PV, the rbd image and snapshot steps in Ceph, and
// what points at what. Laid out by Graphviz (@viz-js/viz, its WebAssembly build), so
// nothing is placed by hand; written as SVG beside the manifests.
import { PvSourceSpec, rbdImageOfPv } from "../components/ceph/pvImage";
import { instance } from "@viz-js/viz";
import { rbdParameter } from "../components/rbd/rbdScript";
import type { RegisteredResource } from "./mockRuntime";

type Manifest = Record<string, unknown> & {
    kind?: string;
    metadata?: { name?: string; namespace?: string };
    spec?: Record<string, unknown>;
};

const id = (kind: string, ns: string | undefined, name: string) => `"${kind}/${ns ?? ""}/${name}"`;
const esc = (s: string) => s.replace(/["\\]/g, "\\$&");

function nodeOf(m: Manifest): string {
    const name = m.metadata?.name ?? "?";
    return `${id(String(m.kind), m.metadata?.namespace, name)} [label="${esc(`${m.kind}\n${name}`)}"]`;
}

/** Arrows from an object to those it names: claim, volume, class, Secrets, Service backends. */
function edgesOf(m: Manifest, all: Manifest[]): string[] {
    const ns = m.metadata?.namespace;
    const self = id(String(m.kind), ns, m.metadata?.name ?? "?");
    const out: string[] = [];
    const to = (kind: string, n: string | undefined, name: unknown, label = "") => {
        if (typeof name !== "string" || name === "") return;
        if (!all.some((o) => o.kind === kind && o.metadata?.name === name)) return;
        out.push(`${self} -> ${id(kind, n, name)}${label ? ` [label="${esc(label)}"]` : ""}`);
    };
    const spec = (m.spec ?? {}) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    if (m.kind === "Deployment") {
        for (const v of spec.template?.spec?.volumes ?? [])
            to("PersistentVolumeClaim", ns, v.persistentVolumeClaim?.claimName, "mounts");
    }
    if (m.kind === "PersistentVolumeClaim") {
        to("PersistentVolume", undefined, spec.volumeName, "bound");
        if (!spec.volumeName)
            to("StorageClass", undefined, spec.storageClassName, "provisioned by");
    }
    if (m.kind === "PersistentVolume") {
        const ref = spec.csi?.nodeStageSecretRef ?? spec.rbd?.secretRef;
        to("Secret", ref?.namespace ?? spec.claimRef?.namespace, ref?.name, "key");
    }
    if (m.kind === "StorageClass") {
        const p = (m as { parameters?: Record<string, string> }).parameters ?? {};
        for (const [k, v] of Object.entries(p)) {
            if (!/secret-?name$/i.test(k) && k !== "userSecretName" && k !== "adminSecretName")
                continue;
            const nsKey = Object.keys(p).find((x) => x === k.replace(/name$/i, "namespace"));
            to(
                "Secret",
                (nsKey && p[nsKey]) || p.userSecretNamespace || p.adminSecretNamespace,
                v,
                "key",
            );
        }
    }
    if (m.kind === "Service") {
        const sel = JSON.stringify(spec.selector ?? {});
        for (const d of all.filter((o) => o.kind === "Deployment" && o.metadata?.namespace === ns))
            if (sel === JSON.stringify((d.spec as any)?.selector?.matchLabels ?? {}))
                // eslint-disable-line @typescript-eslint/no-explicit-any
                out.push(
                    `${self} -> ${id("Deployment", ns, d.metadata?.name ?? "?")} [label="selects"]`,
                );
    }
    if (m.kind === "Ingress") {
        for (const r of spec.rules ?? [])
            for (const p of r.http?.paths ?? [])
                to("Service", ns, p.backend?.service?.name, "routes");
    }
    return out;
}

/** The rbd steps (image, snapshots) as nodes in a Ceph cluster box, pointing at the image. */
function cephPart(steps: RegisteredResource[], manifests: Manifest[]): string[] {
    const lines: string[] = [];
    const images = new Map<string, string>();
    for (const s of steps) {
        const program = typeof s.inputs.stdin === "string" ? s.inputs.stdin : undefined;
        if (!program) continue;
        const pool = rbdParameter(program, "RBD_POOL");
        const image = rbdParameter(program, "RBD_IMAGE");
        const snapshot = s.inputs.create === "sh -s snapshot";
        const imageId = `"rbd/${pool ?? ""}/${image ?? "(provisioned)"}"`;
        images.set(
            imageId,
            pool && image ? `rbd image\n${pool}/${image}` : "rbd image\n(the provisioner's)",
        );
        const step = `"step/${s.name}"`;
        lines.push(
            `${step} [shape=note label="${esc(`${snapshot ? "snapshot step" : "rbd step"}\n${s.name}`)}"]`,
            `${step} -> ${imageId} [label="${snapshot ? "snapshots" : "creates, grows"}"]`,
        );
    }
    for (const pv of manifests.filter((m) => m.kind === "PersistentVolume")) {
        const source = rbdImageOfPv(pv.spec as PvSourceSpec);
        if (!source) continue;
        const { pool, image } = source;
        const imageId = `"rbd/${pool}/${image}"`;
        images.set(imageId, `rbd image\n${pool}/${image}`);
        lines.push(
            `${id("PersistentVolume", undefined, pv.metadata?.name ?? "?")} -> ${imageId} [label="is"]`,
        );
    }
    const provisioned = [...images.keys()].filter((k) => k.endsWith('/(provisioned)"'));
    for (const sc of manifests.filter((m) => m.kind === "StorageClass"))
        for (const k of provisioned)
            lines.push(
                `${id("StorageClass", undefined, sc.metadata?.name ?? "?")} -> ${k} [label="provisions"]`,
            );
    if (images.size === 0) return lines;
    const box = [...images].map(([k, label]) => `${k} [shape=cylinder label="${esc(label)}"]`);
    return ['subgraph "cluster_ceph" { label="Ceph"; style=dashed;', ...box, "}", ...lines];
}

/** The stack as Graphviz DOT: one box per namespace, cluster-wide objects beside them. */
export function stackDot(
    stack: string,
    manifests: Manifest[],
    steps: RegisteredResource[],
): string {
    const shown = manifests.filter((m) => m.kind !== "Namespace");
    const byNs = new Map<string, Manifest[]>();
    for (const m of shown) {
        const ns = m.metadata?.namespace ?? "";
        byNs.set(ns, [...(byNs.get(ns) ?? []), m]);
    }
    const lines = [
        `digraph "${esc(stack)}" {`,
        'rankdir=LR; node [shape=box style=rounded fontname="Helvetica" fontsize=11]; edge [fontname="Helvetica" fontsize=9];',
    ];
    for (const [ns, objects] of byNs) {
        if (ns) lines.push(`subgraph "cluster_${esc(ns)}" { label="namespace ${esc(ns)}";`);
        lines.push(...objects.map(nodeOf));
        if (ns) lines.push("}");
    }
    // One arrow per pair: a class names the same Secret for each of its three uses.
    lines.push(...new Set(shown.flatMap((m) => edgesOf(m, shown))));
    lines.push(...cephPart(steps, shown), "}");
    return lines.join("\n");
}

/** The DOT laid out as SVG. */
export async function toSvg(dot: string): Promise<string> {
    const viz = await instance();
    return viz.renderString(dot, { format: "svg" });
}
