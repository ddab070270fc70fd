// How a stack is put together from its Settings: the one composition that index.ts,
// `npm run render` (through index.ts) and the scale bench use.
import * as pulumi from "@pulumi/pulumi";
import {
    CephConnection,
    CsiCephConnection,
    InTreeCephConnection,
} from "../components/cephConnection";
import { CephCsiDriver } from "../components/cephCsiDriver";
import { CephStorage } from "../components/cephStorage";
import { Jenkins } from "../components/jenkins";
import { JenkinsNamespace } from "../components/jenkinsNamespace";
import { JenkinsVolume, JenkinsVolumeArgs } from "../components/jenkinsVolume";
import type { Settings } from "./settings";

/** The Ceph connection the settings describe; its fields are named as the settings are. */
function cephConnection(s: Settings): CephConnection {
    const userKey = s.cephUserKey;
    if (s.ceph.provisioner === "csi") return new CsiCephConnection({ ...s.ceph, userKey });
    // Only the in-tree provisioner creating images (dynamic mode) needs the admin key.
    const adminKey = s.mode === "dynamic" ? s.cephAdminKey : undefined;
    return new InTreeCephConnection({ ...s.ceph, userKey, adminKey });
}

/** The stack outputs; a stack has only those that apply to it. */
export interface StackOutputs {
    mode: Settings["mode"];
    namespace: pulumi.Output<string>;
    pvcName: pulumi.Output<string>;
    /** Static mode: the PV and the rbd image (pool/image) this stack manages. */
    pvName?: pulumi.Output<string>;
    rbdImage?: string;
    /** Dynamic mode: the class the claim is provisioned from. */
    storageClassName?: pulumi.Output<string>;
    serviceName: pulumi.Output<string>;
    url: pulumi.Output<string>;
    initialAdminPasswordCommand: pulumi.Output<string>;
}

/**
 * Registers every resource of a stack. `prefix` goes in front of each top-level name so
 * several instances can live in one program (the scale bench); a stack uses "".
 */
export function composeStack(s: Settings, prefix = ""): StackOutputs {
    const ns = new JenkinsNamespace(
        `${prefix}${s.jenkins.namespace}`,
        { name: s.jenkins.namespace, podSecurity: s.jenkins.podSecurity },
        // Deleting the namespace would delete the claim with it.
        { protect: s.volume.protect },
    );
    const connection = cephConnection(s);

    // ceph.csi.install: the driver, with the stack's monitors in its ceph-csi-config.
    const driver =
        s.ceph.provisioner === "csi" && s.ceph.csi.install
            ? [
                  new CephCsiDriver(`${prefix}ceph-csi-rbd`, {
                      namespace: s.ceph.csi.namespace,
                      chartVersion: s.ceph.csi.chartVersion,
                      driverName: s.ceph.csiDriver,
                      clusterId: s.ceph.clusterId,
                      monitors: s.ceph.monitors,
                  }),
              ]
            : [];

    const ceph = new CephStorage(`${prefix}ceph`, {
        connection,
        namespace: ns.name,
        storageClass:
            s.mode === "dynamic"
                ? { name: s.ceph.storageClassName, reclaimPolicy: s.volume.reclaimPolicy }
                : undefined,
        dependsOn: driver,
    });

    const common = {
        connection,
        namespace: ns.name,
        claimName: s.volume.claimName,
        size: s.volume.size,
        accessMode: s.volume.accessMode,
        protect: s.volume.protect,
        dependsOn: [ceph, ...driver],
    };
    const volumeArgs: JenkinsVolumeArgs =
        s.mode === "dynamic"
            ? {
                  ...common,
                  mode: "dynamic",
                  // CephStorage makes the class; the claim waits for it through dependsOn.
                  storageClassName: s.ceph.storageClassName,
                  reclaimPolicy: s.volume.reclaimPolicy,
              }
            : {
                  ...common,
                  mode: "static",
                  pvName: s.volume.pvName,
                  storageClassName: s.ceph.storageClassName,
                  image: {
                      image: s.volume.image,
                      sizeMiB: s.volume.sizeMiB,
                      deleteOnDestroy: s.volume.deleteImageOnDestroy,
                  },
                  rbdHost: s.rbdHost,
              };
    const home = new JenkinsVolume(`${prefix}jenkins-home`, volumeArgs);

    const jenkins = new Jenkins(`${prefix}jenkins`, {
        name: s.jenkins.name,
        namespace: ns.name,
        image: s.jenkins.image,
        nodeAffinity: s.jenkins.nodeAffinity,
        javaOpts: s.jenkins.javaOptsResolved,
        jenkinsOpts: s.jenkins.jenkinsOpts,
        resources: s.jenkins.resources,
        infra: s.jenkins.infra,
        claimName: home.claimName,
        ingress: s.jenkins.ingress,
        agents: s.jenkins.agents.enabled,
        dependsOn: [home],
    });

    const outputs: StackOutputs = {
        mode: s.mode,
        namespace: ns.name,
        pvcName: home.claimName,
        pvName: home.volume?.metadata.name,
        rbdImage: home.image ? `${home.image.pool}/${home.image.image}` : undefined,
        storageClassName: s.mode === "dynamic" ? pulumi.output(s.ceph.storageClassName) : undefined,
        serviceName: jenkins.serviceName,
        url: jenkins.url,
        initialAdminPasswordCommand: jenkins.initialAdminPasswordCommand,
    };
    // An undefined output makes the engine warn on every run ("Undefined value ...").
    return Object.fromEntries(
        Object.entries(outputs).filter(([, v]) => v !== undefined),
    ) as unknown as StackOutputs;
}
