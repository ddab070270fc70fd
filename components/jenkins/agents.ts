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

/** The controller's ServiceAccount: agents (the Kubernetes plugin) and the reload sidecar use it. */
export function controllerAccount(
    name: string,
    jenkinsName: string,
    ns: pulumi.Input<string>,
    child: pulumi.CustomResourceOptions,
): ServiceAccount {
    return new ServiceAccount(
        `${name}-sa`,
        { metadata: { name: jenkinsName, namespace: ns, labels: { ...APP_LABEL } } },
        child,
    );
}

/** A Role in `namespace` with `rules`, bound to the controller's account. */
function boundRole(
    name: string,
    roleName: string,
    namespace: pulumi.Input<string>,
    rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[],
    sa: ServiceAccount,
    child: pulumi.CustomResourceOptions,
): void {
    const role = new Role(name, { metadata: { name: roleName, namespace }, rules }, child);
    new RoleBinding(
        name,
        {
            metadata: { name: roleName, namespace },
            roleRef: {
                apiGroup: "rbac.authorization.k8s.io",
                kind: "Role",
                name: role.metadata.name,
            },
            subjects: [
                {
                    kind: "ServiceAccount",
                    name: sa.metadata.name,
                    namespace: sa.metadata.namespace,
                },
            ],
        },
        child,
    );
}

/** Where agents run (their namespace when it is not Jenkins' own), and the account's rights there. */
export function jenkinsAgents(
    name: string,
    jenkinsName: string,
    ns: pulumi.Input<string>,
    agents: AgentsArgs,
    sa: ServiceAccount,
    child: pulumi.CustomResourceOptions,
): pulumi.Input<string> {
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
    boundRole(`${name}-agents`, `${jenkinsName}-agents`, agentsNs, AGENT_RULES, sa, child);
    return agentsNs;
}

/** The reload sidecar reads the JCasC ConfigMaps of Jenkins' namespace, as the chart's does. */
export function configReader(
    name: string,
    jenkinsName: string,
    ns: pulumi.Input<string>,
    sa: ServiceAccount,
    child: pulumi.CustomResourceOptions,
): void {
    const rules = [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list", "watch"] }];
    boundRole(`${name}-casc-reader`, `${jenkinsName}-casc-reader`, ns, rules, sa, child);
}
