// A stack never takes over a Kubernetes object it did not create. The Kubernetes provider
// creates with server-side apply, which applies onto an object of the same name if one
// exists (another stack's PV, a claim in a shared namespace, a person's namespace), and a
// destroy of this stack would then delete it. So every object this program creates is
// checked first, at preview and at up, by a beforeCreate hook that looks the name up in
// the cluster; an object that is there is refused unless it carries this stack's
// annotation (an earlier, interrupted run of the same stack) or the takeover command
// adopts it on purpose (JENKINS_CEPH_ADOPT, cli/takeover.ts).
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import { ClusterAccess, clusterAccess, lookUp, objectPath } from "./clusterReader";

/** The annotation naming the stack that created an object: organization/project/stack. */
export const OWNER_ANNOTATION = "jenkins-ceph.io/stack";

/** Objects the takeover adopts on purpose: "Kind/namespace/name", comma-separated. */
export const ADOPT_ENV = "JENKINS_CEPH_ADOPT";

/** The resource type of a Kubernetes object ("kubernetes:core/v1:Secret"), else undefined. */
function kubeObjectType(type: string): { apiVersion: string; kind: string } | undefined {
    const m = /^kubernetes:([^:]+):([A-Za-z]+)$/.exec(type);
    if (!m || m[1].startsWith("helm.sh/") || m[1].startsWith("yaml")) return undefined;
    const apiVersion = m[1].replace(/^core\//, "");
    return { apiVersion, kind: m[2] };
}

function plural(kind: string): string {
    const k = kind.toLowerCase();
    if (k.endsWith("y")) return `${k.slice(0, -1)}ies`;
    if (k.endsWith("s") || k.endsWith("x")) return `${k}es`;
    return `${k}s`;
}

/** Where the provider's cluster is: the stack's kubernetes:kubeconfig/context, or KUBECONFIG. */
export interface ClusterSettings {
    /** A path or the kubeconfig itself (kubernetes:kubeconfig). */
    kubeconfig?: string;
    context?: string;
}

/** Why creating this object would take over another owner's, or undefined. */
export function takeoverRefusal(
    kind: string,
    namespace: string | undefined,
    name: string,
    found: { annotations: Record<string, string>; managers: string[] },
    stackId: string,
    adopt: string[],
): string | undefined {
    const owner = found.annotations[OWNER_ANNOTATION];
    if (owner === stackId) return undefined;
    if (adopt.includes(`${kind}/${namespace ?? ""}/${name}`)) return undefined;
    const what = `${kind} ${namespace ? `${namespace}/` : ""}${name}`;
    const who = owner
        ? `stack ${owner}`
        : found.managers.some((m) => m.startsWith("pulumi-kubernetes"))
          ? "a Pulumi stack of another program"
          : `someone else (made by ${[...new Set(found.managers)].join(", ") || "hand"})`;
    return `${what} already exists and belongs to ${who}: this stack does not take over what it did not create; give it another name in the settings, or move a hand-made installation over with npm run takeover`;
}

/** How to reach the provider's cluster, or why it cannot be reached. */
export function accessOf(cluster: ClusterSettings): ClusterAccess | Error {
    try {
        const kc = cluster.kubeconfig;
        const text =
            kc && /apiVersion|clusters:/.test(kc)
                ? kc
                : kc
                  ? fs.readFileSync(kc, "utf8")
                  : undefined;
        return (
            clusterAccess(text, cluster.context) ??
            new Error("no kubeconfig to read (KUBECONFIG, ~/.kube/config or kubernetes:kubeconfig)")
        );
    } catch (e) {
        return e as Error;
    }
}

/** Throws the refusal when the object the hook is about to create is another owner's. */
async function refuseTakeover(
    h: pulumi.ResourceHookArgs,
    access: ClusterAccess | Error,
    stackId: string,
    adopt: string[],
): Promise<void> {
    const t = kubeObjectType(h.type);
    const meta = (h.newInputs?.metadata ?? {}) as { name?: string; namespace?: string };
    if (!t || !meta.name) return;
    const clusterScoped = ["Namespace", "PersistentVolume", "StorageClass"].includes(t.kind);
    const ns = clusterScoped ? undefined : meta.namespace;
    if (access instanceof Error) {
        throw new Error(
            `cannot check that ${t.kind} ${meta.name} is not another owner's: ${access.message}`,
        );
    }
    const found = await lookUp(access, objectPath(t.apiVersion, plural(t.kind), meta.name, ns));
    if (!found.found) return;
    const refusal = takeoverRefusal(t.kind, ns, meta.name, found, stackId, adopt);
    if (refusal) throw new Error(refusal);
}

/**
 * The guard: a named beforeCreate hook, and a resource transform that binds it to every
 * Kubernetes object and writes the owner annotation. Registered once per program.
 */
export function guardOwnership(cluster: ClusterSettings, stackId: string): void {
    const adopt = (process.env[ADOPT_ENV] ?? "").split(",").filter(Boolean);
    let access: ClusterAccess | Error | undefined;
    const hook = new pulumi.ResourceHook(
        "jenkins-ceph-not-taken-over",
        async (h) => {
            access ??= accessOf(cluster);
            await refuseTakeover(h, access, stackId, adopt);
        },
        { onDryRun: true },
    );
    // An engine-side transform (the public API): the engine hands every resource of the
    // program to it, with its inputs resolved as far as they are known.
    pulumi.runtime.registerResourceTransform((args) => {
        if (!kubeObjectType(args.type) || !args.props.metadata) return undefined;
        const metadata = args.props.metadata as {
            annotations?: pulumi.Input<Record<string, string>>;
        };
        const opts = args.opts as pulumi.CustomResourceOptions;
        const given = metadata.annotations;
        // A plain map is extended as it is: wrapping every object's annotations in an
        // Output would hold each registration until it resolves.
        const annotations =
            given === undefined || (!pulumi.Output.isInstance(given) && !(given instanceof Promise))
                ? { ...given, [OWNER_ANNOTATION]: stackId }
                : pulumi.output(given).apply((a) => ({ ...a, [OWNER_ANNOTATION]: stackId }));
        return {
            props: { ...args.props, metadata: { ...metadata, annotations } },
            opts: {
                ...opts,
                hooks: { ...opts.hooks, beforeCreate: [...(opts.hooks?.beforeCreate ?? []), hook] },
            },
        };
    });
}
