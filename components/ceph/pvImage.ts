// Which rbd image a PersistentVolume stands for: the one reader of a PV's source, for the
// program (the snapshot step and the destroy note of a provisioned claim), the takeover,
// the offline diagram and the tests. in-tree PVs name the image in spec.rbd; ceph-csi in
// its volume attributes (provisioned) or as the volume handle (static, staticVolume).

/** The fields of a PV's spec that say where its data is. */
export interface PvSourceSpec {
    rbd?: { pool?: string; image?: string };
    csi?: { driver?: string; volumeHandle?: string; volumeAttributes?: Record<string, string> };
}

/** The pool and image of an rbd PV (in-tree, or a ceph-csi rbd driver), else undefined. */
export function rbdImageOfPv(
    spec: PvSourceSpec | undefined,
): { pool: string; image: string } | undefined {
    const rbd = spec?.rbd;
    if (rbd?.image) return { pool: rbd.pool ?? "rbd", image: rbd.image };
    const csi = spec?.csi;
    if (!csi || !/rbd\.csi\.ceph\.com$/.test(String(csi.driver))) return undefined;
    const attrs = csi.volumeAttributes ?? {};
    const image = attrs.imageName ?? (attrs.staticVolume === "true" ? csi.volumeHandle : undefined);
    return image && attrs.pool ? { pool: attrs.pool, image } : undefined;
}
