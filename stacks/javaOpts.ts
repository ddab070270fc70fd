// JAVA_OPTS for Jenkins: container-aware heap by default, and a check for the flag
// orders the JVM refuses to start with (checked against a real JVM in test/jvm.spec.ts).
import { DIAGNOSTIC_FLAGS, EXPERIMENTAL_FLAGS } from "./jvmFlags.generated";

/** Heap follows the container's memory limit; G1 and the time zone, as the 2018 installation chose. */
export function defaultJavaOpts(timezone: string): string[] {
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

/** The JVM's own order rule: a diagnostic/experimental flag only after its unlock flag. */
export function javaOptsOrderErrors(tokens: string[]): string[] {
    const errors: string[] = [];
    let diagnostic = false;
    let experimental = false;
    for (const t of tokens) {
        if (t === "-XX:+UnlockDiagnosticVMOptions") diagnostic = true;
        if (t === "-XX:+UnlockExperimentalVMOptions") experimental = true;
        const m = /^-XX:[+-]?([A-Za-z0-9_]+)/.exec(t);
        if (!m) continue;
        if (DIAGNOSTIC_FLAGS.has(m[1]) && !diagnostic) {
            errors.push(
                `${t} is a diagnostic flag and must come after -XX:+UnlockDiagnosticVMOptions`,
            );
        }
        if (EXPERIMENTAL_FLAGS.has(m[1]) && !experimental) {
            errors.push(
                `${t} is an experimental flag and must come after -XX:+UnlockExperimentalVMOptions`,
            );
        }
    }
    return errors;
}

/** Fixed heap flags ignore the container limit; refuse them when the limit cannot hold them. */
export function heapFlagBytes(tokens: string[]): { flag: string; bytes: bigint }[] {
    const units: Record<string, bigint> = { "": 1n, k: 1024n, m: 1024n ** 2n, g: 1024n ** 3n };
    const out: { flag: string; bytes: bigint }[] = [];
    for (const t of tokens) {
        const m = /^-Xm[sx]([0-9]+)([kKmMgG]?)$/.exec(t);
        if (m) out.push({ flag: t, bytes: BigInt(m[1]) * units[m[2].toLowerCase()] });
    }
    return out;
}
