// The checks of JAVA_OPTS (as components/jenkins/javaOpts.ts assembles it): the flag
// orders the JVM refuses to start with (checked against a real JVM in test/jvm.spec.ts),
// and fixed heap sizes.
import { DIAGNOSTIC_FLAGS, EXPERIMENTAL_FLAGS } from "./jvmFlags.generated";
import { unitPowers } from "./quantity";

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

/** The JVM's size suffixes (either case): binary multiples. */
const HEAP_UNITS: Record<string, bigint> = { "": 1n, ...unitPowers(1024n, ["k", "m", "g", "t"]) };
/** Every form of a fixed heap size the JVM takes: -Xms/-Xmx and their -XX: names. */
const HEAP_FLAG = /^(-Xm[sx]|-XX:(?:MaxHeapSize|InitialHeapSize|MinHeapSize)=)(.*)$/;
const HEAP_SIZE = /^([0-9]+)([kKmMgGtT]?)$/;

/** Fixed heap flags ignore the container limit; refuse them when the limit cannot hold them. */
export function heapFlagBytes(tokens: string[]): { flag: string; bytes: bigint }[] {
    const out: { flag: string; bytes: bigint }[] = [];
    for (const t of tokens) {
        const m = HEAP_SIZE.exec(HEAP_FLAG.exec(t)?.[2] ?? "");
        if (m) out.push({ flag: t, bytes: BigInt(m[1]) * HEAP_UNITS[m[2].toLowerCase()] });
    }
    return out;
}

/** Heap flags the JVM refuses to start with: a size it cannot read, a percentage over 100. */
export function heapFlagErrors(tokens: string[]): string[] {
    const errors: string[] = [];
    for (const t of tokens) {
        const heap = HEAP_FLAG.exec(t);
        if (heap && !HEAP_SIZE.test(heap[2])) {
            errors.push(
                `${t} is not a heap size the JVM reads (a whole number with k, m, g or t, e.g. ${heap[1]}3584m); it would not start`,
            );
        }
        const pct = /^-XX:(?:Max|Initial|Min)RAMPercentage=(.*)$/.exec(t);
        if (pct && !(/^[0-9]+(\.[0-9]+)?$/.test(pct[1]) && Number(pct[1]) <= 100)) {
            errors.push(`${t} is not a percentage from 0 to 100; the JVM would not start`);
        }
    }
    return errors;
}

/** jenkinsOpts that move Jenkins off what the probes, the Service and the ingress reach. */
export function jenkinsOptsErrors(tokens: string[]): string[] {
    const errors: string[] = [];
    for (const t of tokens) {
        const m = /^--(httpPort|httpListenAddress|prefix)(=(.*))?$/.exec(t);
        if (!m) continue;
        if (m[1] === "httpPort" && m[3] === "8080") continue;
        if (m[1] === "prefix") {
            errors.push(
                `${t}: set jenkins.jenkinsUriPrefix instead, which the probes, the Ingress and JCasC's URL follow too`,
            );
            continue;
        }
        errors.push(
            `${t} moves Jenkins off http://0.0.0.0:8080/, where the probes (GET /login), the Service and the ingress reach it; leave it out`,
        );
    }
    return errors;
}
