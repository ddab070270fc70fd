// Jenkins configured as code: the pinned plugin list, the JCasC files and the admin
// Secret, and what the pod mounts of them (jenkinsConfig.ts builds their contents).
import * as pulumi from "@pulumi/pulumi";
import { ConfigMap, Secret } from "@pulumi/kubernetes/core/v1";
import { APP_LABEL, HTTP_PORT } from "./names";
import { INSTALL_SCRIPT, type PodConfig } from "./jenkinsPod";
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
    const asCode = args.adminPassword !== undefined;
    // A wizard-managed Jenkins keeps the plugins it has until the stack pins some:
    // then the plugin folder holds exactly the pinned set.
    if (!asCode && args.plugins.length === 0) return { resources: [] };
    const plugins = pluginsTxt(args.plugins, { asCode, agents: !!args.agents });

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
    if (!args.adminPassword) {
        return { pod: { pluginsConfigMap, checksum: configChecksum({ plugins }) }, resources };
    }

    const admin = new Secret(
        `${name}-admin`,
        {
            metadata: meta("admin"),
            type: "Opaque",
            // JCasC reads ${NAME} from the file NAME here: the admin's, then jenkinsSecrets.
            stringData: {
                ...args.secrets,
                [ADMIN_USER_KEY]: args.adminUser,
                [ADMIN_PASSWORD_KEY]: args.adminPassword,
            },
        },
        child,
    );
    const files = pulumi.all([ns, agentsNs]).apply(([n, a]) => jcascFiles(args, n, a));
    const casc = new ConfigMap(`${name}-casc`, { metadata: meta("casc"), data: files }, child);
    resources.push(admin, casc);
    return {
        pod: {
            pluginsConfigMap,
            casc: { configMap: casc.metadata.name, adminSecret: admin.metadata.name },
            checksum: files.apply((f) => configChecksum({ plugins, ...f })),
        },
        resources,
    };
}

/** The JCasC files: the program's (admin, URL, agents' cloud) and the stack's own. */
function jcascFiles(args: JenkinsArgs, namespace: string, agentsNamespace: string) {
    const service = `${args.name}.${namespace}.svc.cluster.local`;
    return cascFiles({
        adminUser: args.adminUser,
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
