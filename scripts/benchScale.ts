// Bench-only program: the whole Jenkins stack (namespace, Ceph storage, volume, Jenkins)
// instantiated n times, with the dev stack's settings and distinct names.
import * as pulumi from "@pulumi/pulumi";
import { CephStorage } from "../components/cephStorage";
import { Jenkins } from "../components/jenkins";
import { JenkinsNamespace } from "../components/jenkinsNamespace";
import { JenkinsVolume } from "../components/jenkinsVolume";
import { defaultJavaOpts } from "../stacks/javaOpts";
import { STAND_IN_CEPH_KEY } from "./standIns";

export function scaleProgram(n: number): void {
    const key = pulumi.secret(STAND_IN_CEPH_KEY);
    for (let i = 0; i < n; i++) {
        const name = `ci-${i}`;
        const ns = new JenkinsNamespace(name, { name, podSecurity: "restricted" });
        const ceph = new CephStorage(`${name}-ceph`, {
            namespace: ns.name,
            provisioner: "csi",
            monitors: ["192.168.30.23:6789"],
            pool: "kubes",
            userId: "kube",
            userKey: key,
            adminId: "admin",
            clusterId: "b9127830-b0cc-4e34-aa47-9d1a2e9949a8",
            csiDriver: "rbd.csi.ceph.com",
            storageClassName: `ceph-${i}`,
            fsType: "ext4",
            imageFeatures: "layering",
            reclaimPolicy: "Retain",
        });
        const home = new JenkinsVolume(`${name}-home`, {
            mode: "dynamic",
            namespace: ns.name,
            claimName: "jenkins",
            size: "100Gi",
            accessMode: "ReadWriteOnce",
            protect: false,
            storageClassName: ceph.storageClassName!,
            reclaimPolicy: "Retain",
            pool: "kubes",
            dependsOn: ceph.resources,
        });
        new Jenkins(`${name}-jenkins`, {
            name: "jenkins",
            namespace: ns.name,
            image: "jenkins/jenkins:2.568.2-jdk21",
            nodeAffinity: { "cicd-services": "enabled" },
            javaOpts: defaultJavaOpts("Asia/Seoul").join(" "),
            jenkinsOpts: "",
            resources: {
                requests: { cpu: "500m", memory: "4Gi" },
                limits: { cpu: "2", memory: "4Gi" },
            },
            infra: {
                shareProcessNamespace: true,
                sidecar: true,
                image: "registry.k8s.io/pause:3.10.1",
            },
            claimName: home.claimName,
            agents: false,
            dependsOn: [home],
        });
    }
}
