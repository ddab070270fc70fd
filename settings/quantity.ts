// Exact Kubernetes quantity arithmetic for storage sizes. BigInt keeps "100Gi" and
// "1.5Ti" exact: an rbd image size must match the PV capacity to the byte.

const SUFFIX: Record<string, bigint> = {
    "": 1n,
    k: 1000n,
    M: 1000n ** 2n,
    G: 1000n ** 3n,
    T: 1000n ** 4n,
    P: 1000n ** 5n,
    E: 1000n ** 6n,
    Ki: 1024n,
    Mi: 1024n ** 2n,
    Gi: 1024n ** 3n,
    Ti: 1024n ** 4n,
    Pi: 1024n ** 5n,
    Ei: 1024n ** 6n,
};

const QUANTITY = /^([0-9]+)(?:\.([0-9]+))?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/;
export const MIB = 1024n * 1024n;

/** Bytes in a storage quantity, or a reason it is not one. Only whole, positive byte counts. */
export function parseStorageQuantity(q: string): { bytes: bigint } | { error: string } {
    const m = QUANTITY.exec(q);
    if (!m) {
        const hint = /^[0-9.]+(gb|mb|tb|GB|MB|TB|Gb|Mb|Tb|g|m|t)$/.test(q)
            ? " (Kubernetes suffixes are case-sensitive: Gi/Mi/Ti are binary, G/M/T decimal)"
            : "";
        return { error: `"${q}" is not a Kubernetes quantity${hint}` };
    }
    const [, whole, frac = "", suffix = ""] = m;
    const scale = 10n ** BigInt(frac.length);
    const numerator = BigInt(whole + frac) * SUFFIX[suffix];
    if (numerator % scale !== 0n) {
        return { error: `"${q}" is not a whole number of bytes` };
    }
    const bytes = numerator / scale;
    if (bytes <= 0n) {
        return { error: `"${q}" is not a positive size` };
    }
    return { bytes };
}
