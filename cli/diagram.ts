// The picture of what a stack makes, for `npm run render`: its namespaces with their
// objects, the cluster-wide class or PV, the rbd image and snapshot steps in Ceph, and
// what points at what. Laid out by Graphviz (@viz-js/viz, its WebAssembly build), so
// nothing is placed by hand; written as SVG beside the manifests.
import { PvSourceSpec, rbdImageOfPv } from "../components/ceph/pvImage";
import { instance } from "@viz-js/viz";
import { rbdParameter, SNAPSHOT_COMMANDS } from "../components/rbd/rbdScript";
import type { RegisteredResource } from "./mockRuntime";

interface Ref {
    name?: string;
    namespace?: string;
}

/** The fields of the objects' specs that name other objects. */
interface Spec extends PvSourceSpec {
    template?: { spec?: { volumes?: { persistentVolumeClaim?: { claimName?: string } }[] } };
    volumeName?: string;
    storageClassName?: string;
    csi?: PvSourceSpec["csi"] & { nodeStageSecretRef?: Ref };
    rbd?: PvSourceSpec["rbd"] & { secretRef?: Ref };
    claimRef?: Ref;
    selector?: Record<string, unknown> & { matchLabels?: Record<string, string> };
    rules?: { http?: { paths?: { backend?: { service?: { name?: string } } }[] } }[];
}

type Manifest = Record<string, unknown> & {
    kind?: string;
    metadata?: { name?: string; namespace?: string };
    spec?: Spec;
    parameters?: Record<string, string>;
};

const id = (kind: string, ns: string | undefined, name: string) => `"${kind}/${ns ?? ""}/${name}"`;
const esc = (s: string) => s.replace(/["\\]/g, "\\$&");

function nodeOf(m: Manifest): string {
    const name = m.metadata?.name ?? "?";
    return `${id(String(m.kind), m.metadata?.namespace, name)} [label="${esc(`${m.kind}\n${name}`)}"]`;
}

/** The Secrets a class names, with their namespaces (csi: three uses; in-tree: two ids). */
function classSecrets(p: Record<string, string>): Ref[] {
    return Object.entries(p)
        .filter(([k]) => /secret-?name$/i.test(k))
        .map(([k, name]) => ({
            name,
            namespace: p[k.replace(/name$/, "namespace")] ?? p[k.replace(/Name$/, "Namespace")],
        }));
}

/** The objects `m` names, as [kind, namespace, name, why]. */
function namedBy(
    m: Manifest,
    all: Manifest[],
): [string, string | undefined, string | undefined, string][] {
    const ns = m.metadata?.namespace;
    const spec = m.spec ?? {};
    switch (m.kind) {
        case "Deployment":
            return (spec.template?.spec?.volumes ?? []).map((v) => [
                "PersistentVolumeClaim",
                ns,
                v.persistentVolumeClaim?.claimName,
                "mounts",
            ]);
        case "PersistentVolumeClaim":
            return spec.volumeName
                ? [["PersistentVolume", undefined, spec.volumeName, "bound"]]
                : [["StorageClass", undefined, spec.storageClassName, "provisioned by"]];
        case "PersistentVolume": {
            const ref = spec.csi?.nodeStageSecretRef ?? spec.rbd?.secretRef;
            return [["Secret", ref?.namespace ?? spec.claimRef?.namespace, ref?.name, "key"]];
        }
        case "StorageClass":
            return classSecrets(m.parameters ?? {}).map((r) => [
                "Secret",
                r.namespace,
                r.name,
                "key",
            ]);
        case "Service": {
            const sel = JSON.stringify(spec.selector ?? {});
            return all
                .filter((d) => d.kind === "Deployment" && d.metadata?.namespace === ns)
                .filter((d) => JSON.stringify(d.spec?.selector?.matchLabels ?? {}) === sel)
                .map((d) => ["Deployment", ns, d.metadata?.name, "selects"]);
        }
        case "Ingress":
            return (spec.rules ?? []).flatMap((r) =>
                (r.http?.paths ?? []).map(
                    (p): [string, string | undefined, string | undefined, string] => [
                        "Service",
                        ns,
                        p.backend?.service?.name,
                        "routes",
                    ],
                ),
            );
        default:
            return [];
    }
}

/** Arrows from an object to those it names that the stack makes. */
function edgesOf(m: Manifest, all: Manifest[]): string[] {
    const self = id(String(m.kind), m.metadata?.namespace, m.metadata?.name ?? "?");
    return namedBy(m, all)
        .filter(
            ([kind, , name]) =>
                name && all.some((o) => o.kind === kind && o.metadata?.name === name),
        )
        .map(
            ([kind, ns, name, why]) =>
                `${self} -> ${id(kind, ns, name ?? "")} [label="${esc(why)}"]`,
        );
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
        const snapshot = s.inputs.create === SNAPSHOT_COMMANDS.create;
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
        const source = rbdImageOfPv(pv.spec);
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
function stackDot(stack: string, manifests: Manifest[], steps: RegisteredResource[]): string {
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

/** The stack's diagram as SVG: its DOT laid out by Graphviz. */
export async function stackSvg(
    stack: string,
    rendered: { manifests: Manifest[]; others: RegisteredResource[] },
): Promise<string> {
    const viz = await instance();
    return viz.renderString(stackDot(stack, rendered.manifests, rendered.others), {
        format: "svg",
    });
}
