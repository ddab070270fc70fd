// Exact Kubernetes quantity arithmetic for storage sizes. BigInt keeps "100Gi" and
// "1.5Ti" exact: an rbd image size must match the PV capacity to the byte.

/** Unit names to their multiples: the first name is base^1, the next base^2, and so on. */
export function unitPowers(base: bigint, names: readonly string[]): Record<string, bigint> {
    return Object.fromEntries(names.map((n, i) => [n, base ** BigInt(i + 1)]));
}

const SUFFIX: Record<string, bigint> = {
    "": 1n,
    ...unitPowers(1000n, ["k", "M", "G", "T", "P", "E"]),
    ...unitPowers(1024n, ["Ki", "Mi", "Gi", "Ti", "Pi", "Ei"]),
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

const GIB = 1024 ** 3;

/** A byte count as a Kubernetes quantity, for a setting's right value: 100Gi, 1536Mi. */
export const bytesAsQuantity = (bytes: number) =>
    bytes % GIB === 0 ? `${bytes / GIB}Gi` : `${Math.ceil(bytes / 1024 ** 2)}Mi`;

/** A byte count for a reader: 100 GiB, 1536 MiB. */
export const bytesAsText = (bytes: number) =>
    bytes % GIB === 0 ? `${bytes / GIB} GiB` : `${Math.ceil(bytes / 1024 ** 2)} MiB`;
