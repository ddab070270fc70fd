// The rules that relate one setting to another (a mode, a provisioner, a limit), checked
// once after each setting's own shape (schema.ts) and before anything is registered.
import { z } from "zod";
import { cephSchema, jenkinsSchema, modeSchema, volumeSchema } from "./schema";
import { MIB, parseStorageQuantity } from "./quantity";
import { defaultJavaOpts, heapFlagBytes, javaOptsOrderErrors, splitOpts } from "./javaOpts";
import type { Problems } from "./problems";

export interface Parsed {
    mode?: z.output<typeof modeSchema>;
    ceph?: z.output<typeof cephSchema>;
    volume?: z.output<typeof volumeSchema>;
    jenkins?: z.output<typeof jenkinsSchema>;
    rbdHostSet: boolean;
    hostKeySet: boolean;
}

/** Adds every cross-field problem; returns JAVA_OPTS as the container will get it. */
export function crossFieldRules(problems: Problems, c: Parsed): string {
    const { mode, ceph, volume, jenkins } = c;
    if (ceph) {
        const csi = ceph.provisioner === "csi";
        if (csi && !ceph.clusterId)
            problems.add("ceph.clusterId", "is required with the csi provisioner");
        if (!csi && ceph.imageFeatures !== "layering") {
            problems.add("ceph.imageFeatures", "the in-tree provisioner supports only layering");
        }
        if (ceph.csi.install && !csi) {
            problems.add(
                "ceph.csi.install",
                "installs ceph-csi, which the in-tree provisioner does not use; set ceph.provisioner to csi or install to false",
                "false",
            );
        }
        const needsMonitors = !csi || mode === "static" || ceph.csi.install;
        if (ceph.monitors === undefined && needsMonitors) {
            const why = !csi
                ? "with the in-tree provisioner"
                : mode === "static"
                  ? "in static mode (rbd runs against them)"
                  : "when ceph.csi.install is true (they go into the driver's ceph-csi-config)";
            problems.add("ceph.monitors", `is required ${why}`);
        } else if (ceph.monitors !== undefined && ceph.monitors.length === 0) {
            problems.add("ceph.monitors", "is empty");
        }
    }

    if (volume) {
        if (mode === "static") {
            const q = parseStorageQuantity(volume.size);
            if ("bytes" in q && q.bytes % MIB !== 0n) {
                problems.add(
                    "volume.size",
                    `"${volume.size}" is not a whole number of MiB, which rbd needs`,
                );
            }
        }
        if (volume.reclaimPolicy === "Delete" && mode === "static") {
            problems.add(
                "volume.reclaimPolicy",
                "static PVs are always Retain (ceph-csi requires it); use volume.deleteImageOnDestroy to remove the image on destroy",
                "Retain",
            );
        }
        if (volume.deleteImageOnDestroy && mode === "dynamic") {
            problems.add(
                "volume.deleteImageOnDestroy",
                "applies to static mode only; in dynamic mode volume.reclaimPolicy decides",
                "false",
            );
        }
    }

    if (c.hostKeySet && !c.rbdHostSet) {
        problems.add("rbdHostKey", "is set but rbdHost is not", undefined);
    }

    let javaOptsResolved = "";
    if (jenkins) {
        const tokens = [
            ...(jenkins.replaceDefaultJavaOpts ? [] : defaultJavaOpts(jenkins.timezone)),
            ...splitOpts(jenkins.javaOpts),
        ];
        for (const e of javaOptsOrderErrors(tokens)) problems.add("jenkins.javaOpts", e);
        const { requests, limits } = jenkins.resources;
        const reqMem = parseStorageQuantity(requests.memory);
        const limMem = parseStorageQuantity(limits.memory);
        if ("bytes" in reqMem && "bytes" in limMem) {
            if (reqMem.bytes !== limMem.bytes) {
                problems.add(
                    "jenkins.resources.requests.memory",
                    `must equal limits.memory (${limits.memory}): the heap is sized from the limit, and a ` +
                        "smaller request lets the node overcommit and OOM-kill Jenkins",
                    limits.memory,
                );
            }
            for (const h of heapFlagBytes(tokens)) {
                if (h.bytes >= limMem.bytes) {
                    problems.add(
                        "jenkins.javaOpts",
                        `${h.flag} does not fit the memory limit ${limits.memory}; prefer -XX:MaxRAMPercentage`,
                    );
                }
            }
        }
        javaOptsResolved = tokens.join(" ");
    }

    return javaOptsResolved;
}
