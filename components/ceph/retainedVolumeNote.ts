// What a destroy of a dynamic stack leaves behind, said when it happens. With the Retain
// reclaim policy Kubernetes keeps the PV (Released) and its rbd image after the claim is
// deleted; the static mode's rbd step says "left in place", and this says it here.
import { rbdImageOfPv } from "./pvImage";
import * as pulumi from "@pulumi/pulumi";
import { local } from "@pulumi/command";
import { PersistentVolume, PersistentVolumeClaim } from "@pulumi/kubernetes/core/v1";

export interface RetainedVolumeNoteArgs {
    /** The bound claim; its PV is read to learn the image the provisioner made. */
    claim: PersistentVolumeClaim;
}

/** The line a destroy prints: the PV and the image kept, and how to remove them. */
const KEPT_MESSAGE =
    'printf "%s\\n" "kept with Jenkins\' data (reclaimPolicy Retain): PersistentVolume $KEPT_PV and rbd image $KEPT_POOL/$KEPT_IMAGE; remove them by hand with: kubectl delete pv $KEPT_PV; rbd rm $KEPT_POOL/$KEPT_IMAGE"';

export class RetainedVolumeNote extends pulumi.ComponentResource {
    constructor(
        name: string,
        args: RetainedVolumeNoteArgs,
        opts?: pulumi.ComponentResourceOptions,
    ) {
        super("jenkins-ceph:index:RetainedVolumeNote", name, {}, opts);
        // Registered once the claim is bound and its PV known: the engine cannot read a PV
        // whose name is still unknown (a first preview), so that preview does not list it.
        args.claim.spec.volumeName.apply((pvName) => {
            if (!pvName) return;
            const pv = PersistentVolume.get(`${name}-pv`, pvName, { parent: this });
            const image = pv.spec.apply((s) => rbdImageOfPv(s)?.image ?? "");
            const pool = pv.spec.apply((s) => rbdImageOfPv(s)?.pool ?? "");
            new local.Command(
                name,
                {
                    // Nothing to do on create or update; the note is for destroy.
                    delete: KEPT_MESSAGE,
                    environment: { KEPT_PV: pvName, KEPT_POOL: pool, KEPT_IMAGE: image },
                    logging: "stdout",
                },
                // Deleted before the claim, so the note comes before the claim goes.
                { parent: this, dependsOn: [args.claim] },
            );
        });
        this.registerOutputs({});
    }
}
