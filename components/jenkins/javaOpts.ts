// JAVA_OPTS as the Jenkins container gets it: container-aware heap by default, the setup
// wizard off when Jenkins is configured as code, then the stack's own flags. The pod
// runs it; settings/crossRules.ts checks the same list before anything is registered.

/** Heap follows the container's memory limit; G1 and the time zone, as the 2018 installation (docs/history-2018.md) chose. */
function defaultJavaOpts(timezone: string): string[] {
    return [
        "-XX:InitialRAMPercentage=50.0",
        "-XX:MaxRAMPercentage=75.0",
        "-XX:+UseG1GC",
        "-XX:+UseStringDeduplication",
        "-XX:+ParallelRefProcEnabled",
        "-XX:+ExplicitGCInvokesConcurrent",
        "-XX:+ExitOnOutOfMemoryError",
        `-Duser.timezone=${timezone}`,
        `-Dorg.apache.commons.jelly.tags.fmt.timeZone=${timezone}`,
    ];
}

export function splitOpts(opts: string): string[] {
    return opts.split(/\s+/).filter((t) => t.length > 0);
}

export interface JavaOptsArgs {
    /** The stack's own flags, appended (jenkins.javaOpts). */
    extra: string;
    /** The stack's flags instead of the defaults. */
    replaceDefaults: boolean;
    timezone: string;
    configuredAsCode: boolean;
}

/** The JAVA_OPTS tokens, in the order the JVM reads them. */
export function javaOptsFor(a: JavaOptsArgs): string[] {
    return [
        ...(a.replaceDefaults ? [] : defaultJavaOpts(a.timezone)),
        ...(a.configuredAsCode ? ["-Djenkins.install.runSetupWizard=false"] : []),
        ...splitOpts(a.extra),
    ];
}
