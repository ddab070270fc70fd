// jenkins-ceph: Jenkins on Kubernetes with its home on Ceph RBD.
// Config is validated as a whole before any resource is registered.
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, loadStackSettings, Settings } from "./stacks";
import { CephCsiDriver } from "./components/cephCsiDriver";
import { CephStorage } from "./components/cephStorage";
import { JenkinsNamespace } from "./components/jenkinsNamespace";
import { JenkinsVolume, JenkinsVolumeArgs } from "./components/jenkinsVolume";
import { Jenkins } from "./components/jenkins";

function load(): Settings {
    try {
        return loadStackSettings();
    } catch (e) {
        // RunError: a clean message without a stack trace, and nothing registered.
        if (e instanceof ConfigError) throw new pulumi.RunError(e.message);
        throw e;
    }
}

function volumeArgs(
    s: Settings,
    ceph: CephStorage,
    namespace: pulumi.Input<string>,
    driver: pulumi.Resource[],
): JenkinsVolumeArgs {
    const common = {
        namespace,
        claimName: s.volume.claimName,
        size: s.volume.size,
        accessMode: s.volume.accessMode,
        protect: s.volume.protect,
        dependsOn: [...ceph.resources, ...driver],
    };
    if (s.mode === "dynamic") {
        if (!ceph.storageClassName) throw new Error("dynamic mode needs the StorageClass");
        return {
            ...common,
            mode: "dynamic",
            storageClassName: ceph.storageClassName,
            reclaimPolicy: s.volume.reclaimPolicy,
            pool: s.ceph.pool,
        };
    }
    return {
        ...common,
        mode: "static",
        pvName: s.volume.pvName,
        provisioner: s.ceph.provisioner,
        storageClassName: s.ceph.storageClassName,
        fsType: s.ceph.fsType,
        userSecretName: ceph.userSecretName,
        clusterId: s.ceph.clusterId,
        csiDriver: s.ceph.csiDriver,
        rbd: {
            pool: s.ceph.pool,
            image: s.volume.image,
            sizeMiB: s.volume.sizeMiB,
            features: s.ceph.imageFeatures,
            monitors: s.ceph.monitors,
            userId: s.ceph.user,
            userKey: s.cephUserKey,
            timeoutSeconds: s.ceph.timeoutSeconds,
            deleteOnDestroy: s.volume.deleteImageOnDestroy,
            host: s.rbdHost,
        },
    };
}

const settings = load();

const ns = new JenkinsNamespace(
    settings.jenkins.namespace,
    { name: settings.jenkins.namespace, podSecurity: settings.jenkins.podSecurity },
    // Deleting the namespace would delete the claim with it.
    { protect: settings.volume.protect },
);

// ceph.csi.install: the driver, with the stack's monitors in its ceph-csi-config.
const driver =
    settings.ceph.provisioner === "csi" && settings.ceph.csi.install && settings.ceph.clusterId
        ? [
              new CephCsiDriver("ceph-csi-rbd", {
                  namespace: settings.ceph.csi.namespace,
                  chartVersion: settings.ceph.csi.chartVersion,
                  driverName: settings.ceph.csiDriver,
                  clusterId: settings.ceph.clusterId,
                  monitors: settings.ceph.monitors,
              }),
          ]
        : [];

const ceph = new CephStorage("ceph", {
    namespace: ns.name,
    provisioner: settings.ceph.provisioner,
    monitors: settings.ceph.monitors,
    pool: settings.ceph.pool,
    userId: settings.ceph.user,
    userKey: settings.cephUserKey,
    adminId: settings.ceph.adminId,
    // Only the in-tree provisioner creating images needs the admin key in the cluster.
    adminKey: settings.mode === "dynamic" ? settings.cephAdminKey : undefined,
    clusterId: settings.ceph.clusterId,
    csiDriver: settings.ceph.csiDriver,
    storageClassName: settings.mode === "dynamic" ? settings.ceph.storageClassName : undefined,
    fsType: settings.ceph.fsType,
    imageFeatures: settings.ceph.imageFeatures,
    reclaimPolicy: settings.volume.reclaimPolicy,
    dependsOn: driver,
});

const home = new JenkinsVolume("jenkins-home", volumeArgs(settings, ceph, ns.name, driver));

const jenkins = new Jenkins("jenkins", {
    name: settings.jenkins.name,
    namespace: ns.name,
    image: settings.jenkins.image,
    nodeAffinity: settings.jenkins.nodeAffinity,
    javaOpts: settings.jenkins.javaOptsResolved,
    jenkinsOpts: settings.jenkins.jenkinsOpts,
    resources: settings.jenkins.resources,
    infra: settings.jenkins.infra,
    claimName: home.claimName,
    ingress: settings.jenkins.ingress,
    agents: settings.jenkins.agents.enabled,
    dependsOn: [home],
});

// Stack outputs: only what this stack has. An undefined output makes the engine warn
// on every run ("Undefined value ... will not show as a stack output").
const outputs = {
    mode: settings.mode,
    namespace: ns.name,
    pvcName: home.claimName,
    pvName: home.volume?.metadata.name,
    rbdImage: home.image ? `${home.image.pool}/${home.image.image}` : undefined,
    storageClassName: ceph.storageClassName,
    serviceName: jenkins.serviceName,
    url: jenkins.url,
    initialAdminPasswordCommand: jenkins.initialAdminPasswordCommand,
};
export = Object.fromEntries(Object.entries(outputs).filter(([, v]) => v !== undefined));
