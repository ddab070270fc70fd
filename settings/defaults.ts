// Defaults that depend on other settings, written once: the schema's own defaults are in
// schema.ts; these are applied by settings.ts, checked by crossRules.ts, and used again
// when one settings object is made into another instance's (components/jenkinsOnCeph.ts).

/**
 * The Ceph Secrets' namespace when the stack does not name one: the driver's namespace
 * when this stack installs ceph-csi, else `<jenkins.namespace>-ceph`, a namespace where
 * Jenkins cannot start pods (docs/where-the-key-lives.md).
 */
export function defaultSecretNamespace(jenkinsNamespace: string, csiNamespace?: string): string {
    return csiNamespace ?? `${jenkinsNamespace}-ceph`;
}
