// Jenkins configured as code: the pinned plugin list, the JCasC files and the admin
// Secret, and what the pod mounts of them (jenkinsConfig.ts builds their contents).
import * as pulumi from "@pulumi/pulumi";
import { ConfigMap, Secret } from "@pulumi/kubernetes/core/v1";
import { APP_LABEL, HTTP_PORT } from "./names";
import { CASC_LABEL, INSTALL_SCRIPT, type PodConfig, type SecretFiles } from "./jenkinsPod";
import { shippedFile } from "../shippedFile";
import type { JenkinsArgs } from "./jenkins";
import { externalUrl } from "./exposure";
import {
    ADMIN_PASSWORD_KEY,
    ADMIN_USER_KEY,
    cascFiles,
    configChecksum,
    pluginsTxt,
} from "./jenkinsConfig";

/** installPlugins.sh, which the init container runs from the plugins ConfigMap. */
const INSTALLER = shippedFile("jenkins", "installPlugins.sh");

/**
 * The plugin list, the JCasC files and the admin Secret, and what the pod mounts of
 * them. Nothing when the stack pins no plugin and sets no admin password.
 */
export function configAsCode(
    name: string,
    args: JenkinsArgs,
    agentsNs: pulumi.Input<string>,
    child: pulumi.CustomResourceOptions,
): { pod?: PodConfig; resources: pulumi.Resource[] } {
    const ns = args.namespace;
    const asCode = args.configuredAsCode;
    // A wizard-managed Jenkins keeps the plugins it has until the stack pins some:
    // then the plugin folder holds exactly the pinned set.
    if (!asCode && args.plugins.length === 0) return { resources: [] };
    const plugins = pluginsTxt(args.plugins, {
        asCode,
        agents: !!args.agents,
        prometheus: args.prometheus !== undefined,
    });

    const resources: pulumi.Resource[] = [];
    const meta = (suffix: string) => ({
        name: `${args.name}-${suffix}`,
        namespace: ns,
        labels: { ...APP_LABEL },
    });
    const pluginsMap = new ConfigMap(
        `${name}-plugins`,
        {
            metadata: meta("plugins"),
            data: { "plugins.txt": plugins, [INSTALL_SCRIPT]: INSTALLER },
        },
        child,
    );
    resources.push(pluginsMap);
    const pluginsConfigMap = pluginsMap.metadata.name;
    if (!asCode) {
        return { pod: { pluginsConfigMap, checksum: configChecksum({ plugins }) }, resources };
    }

    const admin = ownSecret(`${name}-admin`, args, meta("admin"), child);
    const files = pulumi.all([ns, agentsNs]).apply(([n, a]) => jcascFiles(args, n, a));
    const reload = args.configAutoReload !== undefined;
    const casc = cascConfigMap(`${name}-casc`, args, meta("casc"), files, child);
    resources.push(...(admin ? [admin] : []), casc);
    return {
        pod: {
            pluginsConfigMap,
            casc: { configMap: casc.metadata.name, secrets: secretFiles(args, admin) },
            // With the reload sidecar a JCasC change applies in place: only plugins roll the pod.
            checksum: reload
                ? configChecksum({ plugins })
                : files.apply((f) => configChecksum({ plugins, ...f })),
        },
        resources,
    };
}

/** The JCasC files; labelled for the reload sidecar, which finds it so (jenkinsPod.ts CASC_LABEL). */
function cascConfigMap(
    name: string,
    args: JenkinsArgs,
    metadata: { name: string; namespace: pulumi.Input<string>; labels: Record<string, string> },
    data: pulumi.Input<Record<string, string>>,
    child: pulumi.CustomResourceOptions,
): ConfigMap {
    const labels = args.configAutoReload
        ? { ...metadata.labels, [CASC_LABEL]: args.name }
        : metadata.labels;
    return new ConfigMap(name, { metadata: { ...metadata, labels }, data }, child);
}

/**
 * The program's Secret: the local admin (with an admin password) and jenkinsSecrets.
 * None when it would be empty (the stack's own login and no jenkinsSecrets).
 */
function ownSecret(
    name: string,
    args: JenkinsArgs,
    metadata: { name: string; namespace: pulumi.Input<string>; labels: Record<string, string> },
    child: pulumi.CustomResourceOptions,
): Secret | undefined {
    const data: Record<string, pulumi.Input<string>> = { ...args.secrets };
    if (args.adminPassword !== undefined) {
        data[ADMIN_USER_KEY] = args.adminUser;
        data[ADMIN_PASSWORD_KEY] = args.adminPassword;
    }
    if (Object.keys(data).length === 0) return undefined;
    // JCasC reads ${NAME} from the file NAME here: the admin's, then jenkinsSecrets.
    return new Secret(name, { metadata, type: "Opaque", stringData: data }, child);
}

/**
 * What JCasC's $SECRETS folder holds: the program's Secret alone (a secret volume, as
 * before existing Secrets could be named), or with keys of existing Secrets (projected).
 */
function secretFiles(args: JenkinsArgs, own: Secret | undefined): SecretFiles | undefined {
    const items = (...keys: string[]) => keys.map((key) => ({ key, path: key }));
    const existing = [
        ...(args.adminExistingSecret
            ? [{ name: args.adminExistingSecret, items: items(ADMIN_USER_KEY, ADMIN_PASSWORD_KEY) }]
            : []),
        ...args.existingSecrets.map((e) => ({ name: e.name, items: items(e.keyName) })),
    ];
    if (existing.length === 0) return own ? { secretName: own.metadata.name } : undefined;
    return {
        sources: [...(own ? [{ name: own.metadata.name }] : []), ...existing],
    };
}

/** The JCasC files: the program's (admin, URL, agents' cloud) and the stack's own. */
function jcascFiles(args: JenkinsArgs, namespace: string, agentsNamespace: string) {
    const service = `${args.name}.${namespace}.svc.cluster.local`;
    return cascFiles({
        // An admin of an existing Secret: its user id is that Secret's too.
        adminUser: args.adminExistingSecret ? `\${${ADMIN_USER_KEY}}` : args.adminUser,
        url:
            externalUrl(args.ingress, args.uriPrefix) ??
            `http://${service}:${HTTP_PORT}${args.uriPrefix}/`,
        uriPrefix: args.uriPrefix,
        serviceHost: service,
        agentServiceHost: `${args.name}-agent.${namespace}.svc.cluster.local`,
        agents: args.agents ? { ...args.agents, namespace: agentsNamespace } : undefined,
        userFiles: args.casc,
    });
}
