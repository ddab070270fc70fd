// Every Namespace this program makes is kept on delete, as Helm keeps the namespace of
// `--create-namespace`: a namespace can hold objects this stack did not create (another
// team's, or the 2018 installation's (docs/history-2018.md) that the takeover adopted), and deleting it deletes
// them all. A rename or a destroy therefore leaves it, and says so with the command to
// remove it by hand once it is empty.
import * as pulumi from "@pulumi/pulumi";
import { local } from "@pulumi/command";
import { Namespace } from "@pulumi/kubernetes/core/v1";

export type PodSecurityLevel = "restricted" | "baseline" | "privileged";

/**
 * The labels of every namespace this program makes, written once: part of Jenkins (except
 * the driver's), and the Pod Security level the API server enforces on each pod in it;
 * `pinned` at the latest version of the standard, `audited` also warning and auditing at
 * restricted when enforcement is lowered (for agents).
 */
export function namespaceLabels(
    enforce: PodSecurityLevel,
    o: { partOfJenkins?: boolean; pinned?: boolean; audited?: boolean } = {},
): Record<string, string> {
    return {
        ...(o.partOfJenkins === false ? {} : { "app.kubernetes.io/part-of": "jenkins" }),
        "pod-security.kubernetes.io/enforce": enforce,
        ...(o.pinned ? { "pod-security.kubernetes.io/enforce-version": "latest" } : {}),
        ...(o.audited
            ? {
                  "pod-security.kubernetes.io/warn": "restricted",
                  "pod-security.kubernetes.io/audit": "restricted",
              }
            : {}),
    };
}

/** What a destroy or rename prints for the namespace it leaves. */
const KEPT_MESSAGE =
    'printf "%s\\n" "kept namespace $KEPT_NAMESPACE: a stack never deletes a namespace, which may hold objects it did not create; once it is empty, remove it with: kubectl delete namespace $KEPT_NAMESPACE"';

/** A Namespace that is never deleted, and a note that says so when it leaves the stack. */
export function keptNamespace(
    name: string,
    args: { name: pulumi.Input<string>; labels: Record<string, string> },
    opts: pulumi.CustomResourceOptions,
): Namespace {
    const ns = new Namespace(
        name,
        { metadata: { name: args.name, labels: args.labels } },
        { ...opts, retainOnDelete: true },
    );
    new local.Command(
        `${name}-kept`,
        {
            // Nothing to do on create or update; the note is for the delete.
            delete: KEPT_MESSAGE,
            environment: { KEPT_NAMESPACE: ns.metadata.name },
            logging: "stdout",
        },
        { parent: opts.parent, dependsOn: [ns] },
    );
    return ns;
}
