// The "rbd diff v1" stream of rbd import-diff / export-diff: how the tests write a marker
// into an image and read it back without mapping it (no kernel client here).

/** An `rbd import-diff` stream that writes `data` at `offset` (format "rbd diff v1"). */
export function writeDiff(size: number, offset: number, data: Buffer): Buffer {
    const u64 = (n: number) => {
        const b = Buffer.alloc(8);
        b.writeBigUInt64LE(BigInt(n));
        return b;
    };
    return Buffer.concat([
        Buffer.from("rbd diff v1\n"),
        Buffer.from("s"),
        u64(size),
        Buffer.from("w"),
        u64(offset),
        u64(data.length),
        data,
        Buffer.from("e"),
    ]);
}

/** The bytes an `rbd export-diff` stream writes at `offset`, or undefined. */
export function readDiff(diff: Buffer, offset: number): Buffer | undefined {
    let i = "rbd diff v1\n".length;
    while (i < diff.length) {
        const tag = String.fromCharCode(diff[i++]);
        if (tag === "e") return undefined;
        if (tag === "f" || tag === "t") i += 4 + diff.readUInt32LE(i);
        else if (tag === "s") i += 8;
        else if (tag === "z") i += 16;
        else if (tag === "w") {
            const off = Number(diff.readBigUInt64LE(i));
            const len = Number(diff.readBigUInt64LE(i + 8));
            i += 16;
            if (off <= offset && offset < off + len)
                return diff.subarray(i + offset - off, i + len);
            i += len;
        } else throw new Error(`unknown diff record ${tag}`);
    }
    return undefined;
}
