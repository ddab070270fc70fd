// Agents through the Kubernetes plugin: the controller's ServiceAccount, the namespace
// agent pods run in (when it is not Jenkins' own), and the Role and RoleBinding there.
import * as pulumi from "@pulumi/pulumi";
import { ServiceAccount } from "@pulumi/kubernetes/core/v1";
import { Role, RoleBinding } from "@pulumi/kubernetes/rbac/v1";
import { keptNamespace, namespaceLabels } from "../cluster/keptNamespace";
import { APP_LABEL } from "./names";
import type { AgentsArgs } from "./jenkins";

/**
 * The Jenkins chart's agent rules: manage pods, exec into them, read their logs and events.
 * No `secrets` rule (the chart puts it behind rbac.readSecrets): Jenkins does not need it,
 * and any pipeline's Groovy on the controller runs with this account.
 */
const AGENT_RULES = [
    {
        apiGroups: [""],
        resources: ["pods"],
        verbs: ["create", "delete", "get", "list", "patch", "update", "watch"],
    },
    {
        apiGroups: [""],
        resources: ["pods/exec"],
        verbs: ["create", "delete", "get", "list", "patch", "update", "watch"],
    },
    { apiGroups: [""], resources: ["pods/log"], verbs: ["get", "list", "watch"] },
    { apiGroups: [""], resources: ["events"], verbs: ["get", "list", "watch"] },
];

/** The account Jenkins starts agents with, and where they run. */
export function jenkinsAgents(
    name: string,
    jenkinsName: string,
    ns: pulumi.Input<string>,
    agents: AgentsArgs,
    child: pulumi.CustomResourceOptions,
): { serviceAccountName: pulumi.Output<string>; agentsNamespace: pulumi.Input<string> } {
    const sa = new ServiceAccount(
        `${name}-sa`,
        { metadata: { name: jenkinsName, namespace: ns, labels: { ...APP_LABEL } } },
        child,
    );
    const agentsNs =
        agents.namespace === undefined
            ? ns
            : keptNamespace(
                  `${name}-agents-ns`,
                  {
                      name: agents.namespace,
                      labels: namespaceLabels("restricted", { pinned: true }),
                  },
                  child,
              ).metadata.name;
    const role = new Role(
        `${name}-agents`,
        { metadata: { name: `${jenkinsName}-agents`, namespace: agentsNs }, rules: AGENT_RULES },
        child,
    );
    new RoleBinding(
        `${name}-agents`,
        {
            metadata: { name: `${jenkinsName}-agents`, namespace: agentsNs },
            roleRef: {
                apiGroup: "rbac.authorization.k8s.io",
                kind: "Role",
                name: role.metadata.name,
            },
            subjects: [{ kind: "ServiceAccount", name: sa.metadata.name, namespace: ns }],
        },
        child,
    );
    return { serviceAccountName: sa.metadata.name, agentsNamespace: agentsNs };
}
