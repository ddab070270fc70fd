// Bad stack configs, one realistic mistake each: the input, the key the error must
// name, and what the message must say. Used by the program and render suites.
import {
    backupStack,
    baseStack,
    FAKE_HOST_KEY_LINE,
    FAKE_S3_SECRET_KEY,
    FAKE_SSH_KEY,
    FAKE_USER_KEY,
    StackInput,
} from "./fixtures";
import { merge } from "./helpers";

export type Case = [title: string, input: () => StackInput, key: string, reason: RegExp];

const csi = () => baseStack("dynamic", "csi");
const staticCsi = () => baseStack("static", "csi");
const ceph =
    (patch: Record<string, unknown>, base = csi) =>
    () =>
        merge(base(), "ceph", patch);
const volume =
    (patch: Record<string, unknown>, base = csi) =>
    () =>
        merge(base(), "volume", patch);
const jenkins = (patch: Record<string, unknown>) => () => merge(csi(), "jenkins", patch);
/** The base stack with one key of its values or of its secrets left out. */
const leavingOut =
    (where: "values" | "secrets") =>
    (key: string, base = csi) =>
    () => {
        const i = base();
        const kept: Record<string, unknown> = { ...i[where] };
        delete kept[key];
        return { ...i, [where]: kept };
    };
const without = leavingOut("values");
const withoutSecret = leavingOut("secrets");
const cephWithout =
    (field: string, base = csi) =>
    () => {
        const i = base();
        const c = { ...(i.values.ceph as Record<string, unknown>) };
        delete c[field];
        return { ...i, values: { ...i.values, ceph: c } };
    };
const set =
    (values: Record<string, unknown>, secrets?: Record<string, string>, base = csi) =>
    () => {
        const i = base();
        return { ...i, values: { ...i.values, ...values }, secrets: { ...i.secrets, ...secrets } };
    };
const plainKey = () => {
    const i = csi();
    return { ...i, values: { ...i.values, cephUserKey: FAKE_USER_KEY }, secrets: {} };
};

const backup = (patch: Record<string, unknown>) => () => merge(backupStack(), "backup", patch);
const s3 = (patch: Record<string, unknown>) =>
    backup({ s3: { endpoint: "https://s3.example.com", bucket: "jenkins-backups", ...patch } });

const casc = (files: Record<string, string>) => () => {
    const i = merge(csi(), "jenkins", { casc: files });
    return { ...i, secrets: { ...i.secrets, "jenkins.adminPassword": "a-long-admin-password" } };
};

export const BAD_CONFIGS: Case[] = [
    [
        "a JCasC file that sets what the program's file sets",
        casc({ executors: "jenkins:\n  numExecutors: 2\n" }),
        "jenkins-ceph:jenkins.casc.executors",
        /jenkins.numExecutors is set in both \(JCasC: Found conflicting configuration, even for equal values\); the other file is the program's own file/,
    ],
    [
        "a JCasC file with the URL the program sets",
        casc({ url: "unclassified:\n  location:\n    url: https://ci.example.com/\n" }),
        "jenkins-ceph:jenkins.casc.url",
        /unclassified.location.url is set in both/,
    ],
    [
        "a JCasC file that reads a secret no setting provides",
        casc({
            ldap: "jenkins:\n  securityRealm:\n    ldap:\n      configurations:\n        - managerPasswordSecret: ${LDAP_PASSWORD}\n",
        }),
        "jenkins-ceph:jenkins.casc.ldap",
        /reads \$\{LDAP_PASSWORD\}, which no secret provides .*Example: pulumi config set --secret --path 'jenkinsSecrets.LDAP_PASSWORD'/,
    ],
    [
        "jenkinsSecrets in plaintext",
        () => {
            const i = casc({})();
            return {
                ...i,
                values: { ...i.values, jenkinsSecrets: { LDAP_PASSWORD: "hunter2hunter2" } },
            };
        },
        "jenkins-ceph:jenkinsSecrets",
        /is stored in plaintext; every value in it must be a secret/,
    ],
    [
        "a jenkinsSecrets name JCasC cannot read",
        () => {
            const i = casc({})();
            return {
                ...i,
                secrets: { ...i.secrets, jenkinsSecrets: JSON.stringify({ "ldap-password": "x" }) },
            };
        },
        "jenkins-ceph:jenkinsSecrets",
        /ldap-password: is not a name JCasC resolves as \$\{NAME\}/,
    ],
    [
        "two JCasC files that set one key",
        casc({ a: "jenkins:\n  systemMessage: one\n", b: "jenkins:\n  systemMessage: two\n" }),
        "jenkins-ceph:jenkins.casc.b",
        /jenkins.systemMessage is set in both .*; the other file is jenkins.casc.a/,
    ],
    [
        "backup to plain http on another machine",
        s3({ endpoint: "http://s3.example.com" }),
        "jenkins-ceph:backup.s3.endpoint",
        /is plain http to another machine: Jenkins' home would cross the network readable; use https/,
    ],
    [
        "backup endpoint with the bucket in its path",
        s3({ endpoint: "https://s3.example.com/jenkins-backups" }),
        "jenkins-ceph:backup.s3.endpoint",
        /is not an endpoint URL such as https:\/\/s3.example.com \(no path, no bucket\)/,
    ],
    [
        "backup bucket with capitals",
        s3({ bucket: "Jenkins_Backups" }),
        "jenkins-ceph:backup.s3.bucket",
        /is not a bucket name/,
    ],
    [
        "backup prefix without its trailing slash",
        s3({ prefix: "jenkins/prod" }),
        "jenkins-ceph:backup.s3.prefix",
        /is not a prefix of path segments ending in a slash/,
    ],
    [
        "backup schedule of six fields",
        backup({ schedule: "0 17 3 * * *" }),
        "jenkins-ceph:backup.schedule",
        /is not a cron schedule of five fields/,
    ],
    [
        "backup.keep in weeks",
        backup({ keep: "3w" }),
        "jenkins-ceph:backup.keep",
        /is neither a number of chains nor a number of days such as 30d/,
    ],
    [
        "backup without its S3 secret key",
        withoutSecret("backupSecretKey", backupStack),
        "jenkins-ceph:backupSecretKey",
        /is required when backup is set \(the S3 secret key\)/,
    ],
    [
        "backup secret key in plaintext",
        () => {
            const i = withoutSecret("backupSecretKey", backupStack)();
            return { ...i, values: { ...i.values, backupSecretKey: FAKE_S3_SECRET_KEY } };
        },
        "jenkins-ceph:backupSecretKey",
        /is stored in plaintext; it must be a secret/,
    ],
    [
        "backup encryption key too short",
        () => {
            const i = backupStack();
            return { ...i, secrets: { ...i.secrets, backupEncryptionKey: "short-key" } };
        },
        "jenkins-ceph:backupEncryptionKey",
        /is shorter than 20 characters/,
    ],
    [
        "backup with existingStorageClass (no key, no image of its own)",
        () => ({
            stack: "test",
            values: {
                mode: "dynamic",
                ceph: { existingStorageClass: "rook-ceph-block" },
                volume: { snapshots: { enabled: false } },
                backup: { s3: { endpoint: "https://s3.example.com", bucket: "jenkins-backups" } },
            },
            secrets: {
                backupAccessKey: "AKIAJENKINSCEPHFAKE1",
                backupSecretKey: FAKE_S3_SECRET_KEY,
            },
        }),
        "jenkins-ceph:backup",
        /needs the stack's own Ceph key and image; with ceph.existingStorageClass this stack has neither/,
    ],
    [
        "backup with the key in Jenkins' namespace",
        () =>
            merge(backupStack(), "ceph", {
                ...(backupStack().values.ceph as object),
                secretNamespace: "ci-infra",
            }),
        "jenkins-ceph:backup",
        /would put the S3 credentials and the Ceph key in Jenkins' own namespace \(ci-infra\)/,
    ],
    [
        "backup keys without backup",
        without("backup", backupStack),
        "jenkins-ceph:backupAccessKey",
        /is set but backup is not/,
    ],
    [
        "ConfigMaps made immutable again",
        set({ "kubernetes:enableConfigMapMutable": "false" }),
        "kubernetes:enableConfigMapMutable",
        /must stay true/,
    ],
    [
        "Secrets made immutable again",
        set({ "kubernetes:enableSecretMutable": "false" }),
        "kubernetes:enableSecretMutable",
        /must stay true.*rotating cephUserKey replaces the Secret/,
    ],
    ["mode missing", without("mode"), "jenkins-ceph:mode", /is required.*Example: dynamic/],
    ["unknown mode", set({ mode: "hybrid" }), "jenkins-ceph:mode", /one of dynamic, static/],
    ["ceph missing", without("ceph"), "jenkins-ceph:ceph", /is required.*Example: \{"monitors"/],
    ["ceph not an object", set({ ceph: "kubes" }), "jenkins-ceph:ceph", /structured value/],
    [
        "unknown provisioner",
        ceph({ provisioner: "rbd" }),
        "jenkins-ceph:ceph.provisioner",
        /one of csi, in-tree/,
    ],
    [
        "monitors missing (in-tree)",
        cephWithout("monitors", () => baseStack("dynamic", "in-tree")),
        "jenkins-ceph:ceph.monitors",
        /is required with the in-tree/,
    ],
    [
        "monitors missing (static)",
        cephWithout("monitors", staticCsi),
        "jenkins-ceph:ceph.monitors",
        /is required in static mode/,
    ],
    ["monitors empty", ceph({ monitors: [] }), "jenkins-ceph:ceph.monitors", /is empty/],
    [
        "monitor without port",
        ceph({ monitors: ["192.168.30.23"] }),
        "jenkins-ceph:ceph.monitors[0]",
        /not host:port.*Example: \["192.168.30.23:6789"/,
    ],
    [
        "monitor port 0",
        ceph({ monitors: ["10.0.0.1:0"] }),
        "jenkins-ceph:ceph.monitors[0]",
        /0 is not a port/,
    ],
    [
        "monitor port 70000",
        ceph({ monitors: ["10.0.0.1:6789", "10.0.0.2:70000"] }),
        "jenkins-ceph:ceph.monitors[1]",
        /70000 is not a port/,
    ],
    [
        "IPv6 without brackets",
        ceph({ monitors: ["2001:db8::1:6789"] }),
        "jenkins-ceph:ceph.monitors[0]",
        /IPv6 address without brackets.*\[2001:db8::1\]:3300/,
    ],
    [
        "bad IPv4",
        ceph({ monitors: ["300.1.1.1:6789"] }),
        "jenkins-ceph:ceph.monitors[0]",
        /not an IPv4 address/,
    ],
    [
        "monitor with scheme",
        ceph({ monitors: ["http://mon1:6789"] }),
        "jenkins-ceph:ceph.monitors[0]",
        /URL scheme; give host:port/,
    ],
    [
        "monitors as a string",
        ceph({ monitors: "10.0.0.1:6789,10.0.0.2:6789" }),
        "jenkins-ceph:ceph.monitors",
        /expected array/,
    ],
    ["empty pool", ceph({ pool: "" }), "jenkins-ceph:ceph.pool", /is empty.*Example: kubes/],
    [
        "pool with slash",
        ceph({ pool: "kubes/jenkins" }),
        "jenkins-ceph:ceph.pool",
        /characters outside/,
    ],
    ["pool missing", cephWithout("pool"), "jenkins-ceph:ceph.pool", /is required/],
    [
        "user with client. prefix",
        ceph({ user: "client.kube" }),
        "jenkins-ceph:ceph.user",
        /starts with "client.".*Example: kube/,
    ],
    [
        "adminId with client. prefix",
        ceph({ adminId: "client.admin" }),
        "jenkins-ceph:ceph.adminId",
        /starts with "client."/,
    ],
    [
        "csi without clusterId",
        cephWithout("clusterId"),
        "jenkins-ceph:ceph.clusterId",
        /required with the csi provisioner.*fsid/,
    ],
    [
        "bad csiDriver",
        ceph({ csiDriver: "RBD_CSI" }),
        "jenkins-ceph:ceph.csiDriver",
        /DNS-1123 subdomain.*rook-ceph/,
    ],
    [
        "bad storageClassName",
        ceph({ storageClassName: "Ceph_RBD" }),
        "jenkins-ceph:ceph.storageClassName",
        /DNS-1123/,
    ],
    ["unknown fsType", ceph({ fsType: "btrfs" }), "jenkins-ceph:ceph.fsType", /one of ext4, xfs/],
    [
        "unknown image feature",
        ceph({ imageFeatures: "layering,striping" }),
        "jenkins-ceph:ceph.imageFeatures",
        /unknown rbd image feature.*striping/,
    ],
    [
        "object-map without exclusive-lock",
        ceph({ imageFeatures: "layering,object-map" }),
        "jenkins-ceph:ceph.imageFeatures",
        /object-map needs exclusive-lock/,
    ],
    [
        "in-tree with extra features",
        () =>
            merge(baseStack("dynamic", "in-tree"), "ceph", {
                imageFeatures: "layering,exclusive-lock",
            }),
        "jenkins-ceph:ceph.imageFeatures",
        /supports only layering/,
    ],
    [
        "typo inside ceph",
        ceph({ monitor: ["10.0.0.1:6789"] }),
        "jenkins-ceph:ceph.monitor",
        /unknown setting \(did you mean "monitors"\?\)/,
    ],
    [
        "csi.install with in-tree",
        () => merge(baseStack("dynamic", "in-tree"), "ceph", { csi: { install: true } }),
        "jenkins-ceph:ceph.csi.install",
        /in-tree provisioner does not use/,
    ],
    [
        "csi.install without monitors",
        cephWithout("monitors", () => merge(csi(), "ceph", { csi: { install: true } })),
        "jenkins-ceph:ceph.monitors",
        /when ceph.csi.install is true/,
    ],
    [
        "csi.install without clusterId",
        cephWithout("clusterId", () => merge(csi(), "ceph", { csi: { install: true } })),
        "jenkins-ceph:ceph.clusterId",
        /required with the csi provisioner/,
    ],
    [
        "csi chart version a range",
        ceph({ csi: { install: true, chartVersion: "^3.13" } }),
        "jenkins-ceph:ceph.csi.chartVersion",
        /not a pinned chart version/,
    ],
    ["timeout 0", ceph({ timeoutSeconds: 0 }), "jenkins-ceph:ceph.timeoutSeconds", /out of range/],
    [
        "size 100Gb",
        volume({ size: "100Gb" }),
        "jenkins-ceph:volume.size",
        /not a Kubernetes quantity.*case-sensitive.*Example: 100Gi/,
    ],
    ["size 0", volume({ size: "0" }), "jenkins-ceph:volume.size", /not a positive size/],
    ["size -1Gi", volume({ size: "-1Gi" }), "jenkins-ceph:volume.size", /negative/],
    ["size a number", volume({ size: 100 }), "jenkins-ceph:volume.size", /expected string/],
    [
        "static size not whole MiB",
        volume({ size: "100G" }, staticCsi),
        "jenkins-ceph:volume.size",
        /whole number of MiB/,
    ],
    [
        "ReadWriteMany",
        volume({ accessMode: "ReadWriteMany" }),
        "jenkins-ceph:volume.accessMode",
        /one node only.*ReadWriteOnce/,
    ],
    [
        "ReadOnlyMany",
        volume({ accessMode: "ReadOnlyMany" }),
        "jenkins-ceph:volume.accessMode",
        /not possible for an RBD filesystem volume/,
    ],
    [
        "unknown access mode",
        volume({ accessMode: "RWO" }),
        "jenkins-ceph:volume.accessMode",
        /one of ReadWriteOnce/,
    ],
    [
        "unknown reclaim policy",
        volume({ reclaimPolicy: "Recycle" }),
        "jenkins-ceph:volume.reclaimPolicy",
        /one of Retain, Delete/,
    ],
    [
        "static with Delete",
        volume({ reclaimPolicy: "Delete" }, staticCsi),
        "jenkins-ceph:volume.reclaimPolicy",
        /always Retain.*deleteImageOnDestroy/,
    ],
    [
        "deleteImageOnDestroy in dynamic mode",
        volume({ deleteImageOnDestroy: true }),
        "jenkins-ceph:volume.deleteImageOnDestroy",
        /static mode only/,
    ],
    [
        "deleteImageOnDestroy as a string",
        volume({ deleteImageOnDestroy: "yes" }, staticCsi),
        "jenkins-ceph:volume.deleteImageOnDestroy",
        /expected boolean/,
    ],
    [
        "image name with @",
        volume({ image: "jenkins@snap" }, staticCsi),
        "jenkins-ceph:volume.image",
        /characters outside/,
    ],
    [
        "jenkins image latest",
        jenkins({ image: "jenkins/jenkins:latest" }),
        "jenkins-ceph:jenkins.image",
        /latest tag.*Example: jenkins\/jenkins:2\./,
    ],
    [
        "jenkins image without tag",
        jenkins({ image: "jenkins/jenkins" }),
        "jenkins-ceph:jenkins.image",
        /no tag/,
    ],
    [
        "namespace upper case",
        jenkins({ namespace: "CI-Infra" }),
        "jenkins-ceph:jenkins.namespace",
        /DNS-1123 label.*Example: ci-infra/,
    ],
    [
        "namespace too long",
        jenkins({ namespace: "a".repeat(64) }),
        "jenkins-ceph:jenkins.namespace",
        /longer than 63/,
    ],
    [
        "namespace with dot",
        jenkins({ namespace: "ci.infra" }),
        "jenkins-ceph:jenkins.namespace",
        /DNS-1123 label/,
    ],
    [
        "bad node label value",
        jenkins({ nodeAffinity: { "cicd-services": "en abled" } }),
        "jenkins-ceph:jenkins.nodeAffinity",
        /not a label value/,
    ],
    [
        "bad node label key",
        jenkins({ nodeAffinity: { "a/b/c": "x" } }),
        "jenkins-ceph:jenkins.nodeAffinity",
        /more than one "\/"/,
    ],
    [
        "diagnostic flag before unlock",
        jenkins({ javaOpts: "-XX:G1SummarizeRSetStatsPeriod=1 -XX:+UnlockDiagnosticVMOptions" }),
        "jenkins-ceph:jenkins.javaOpts",
        /diagnostic flag and must come after -XX:\+UnlockDiagnosticVMOptions/,
    ],
    [
        "experimental flag without unlock",
        jenkins({ javaOpts: "-XX:G1NewSizePercent=20" }),
        "jenkins-ceph:jenkins.javaOpts",
        /experimental flag/,
    ],
    [
        "-Xmx above the memory limit",
        jenkins({ javaOpts: "-Xms8G -Xmx8G" }),
        "jenkins-ceph:jenkins.javaOpts",
        /-Xmx8G does not fit the memory limit 4Gi/,
    ],
    [
        "memory request below limit",
        jenkins({ resources: { requests: { memory: "2Gi" }, limits: { memory: "4Gi" } } }),
        "jenkins-ceph:jenkins.resources.requests.memory",
        /must equal limits.memory/,
    ],
    [
        "bad cpu",
        jenkins({ resources: { requests: { cpu: "half" } } }),
        "jenkins-ceph:jenkins.resources.requests.cpu",
        /not a CPU quantity.*Example: 500m/,
    ],
    [
        "bad timezone",
        jenkins({ timezone: "Asia Seoul" }),
        "jenkins-ceph:jenkins.timezone",
        /not a time zone/,
    ],
    [
        "pause image latest",
        jenkins({ infra: { image: "registry.k8s.io/pause:latest" } }),
        "jenkins-ceph:jenkins.infra.image",
        /latest/,
    ],
    [
        "unknown podSecurity",
        jenkins({ podSecurity: "strict" }),
        "jenkins-ceph:jenkins.podSecurity",
        /one of restricted, baseline, privileged/,
    ],
    [
        "typo in jenkins",
        jenkins({ namepsace: "ci" }),
        "jenkins-ceph:jenkins.namepsace",
        /did you mean "namespace"/,
    ],
    [
        "unknown top-level key",
        set({ volumes: { size: "10Gi" } }),
        "jenkins-ceph:volumes",
        /unknown setting \(did you mean "volume"\?\)/,
    ],
    [
        "cephUserKey missing",
        () => ({ ...csi(), secrets: {} }),
        "jenkins-ceph:cephUserKey",
        /is required.*ceph auth get-key/,
    ],
    [
        "cephUserKey in plaintext",
        plainKey,
        "jenkins-ceph:cephUserKey",
        /plaintext; it must be a secret.*pulumi config set --secret cephUserKey/,
    ],
    [
        "cephUserKey malformed",
        set({}, { cephUserKey: "not-a-key" }),
        "jenkins-ceph:cephUserKey",
        /not a cephx key/,
    ],
    [
        "in-tree dynamic without admin key",
        () => ({ ...baseStack("dynamic", "in-tree"), secrets: { cephUserKey: FAKE_USER_KEY } }),
        "jenkins-ceph:cephAdminKey",
        /required with the in-tree provisioner/,
    ],
    [
        "rbdHost without key",
        set({ rbdHost: { host: "ceph-admin", user: "ceph" } }, {}, staticCsi),
        "jenkins-ceph:rbdHostKey",
        /required when rbdHost is set/,
    ],
    [
        "rbdHost bad port",
        set(
            { rbdHost: { host: "ceph-admin", user: "ceph", port: 0 } },
            { rbdHostKey: FAKE_SSH_KEY },
            staticCsi,
        ),
        "jenkins-ceph:rbdHost.port",
        /out of range/,
    ],
    [
        "rbdHostKey not a key",
        set(
            { rbdHost: { host: "ceph-admin", user: "ceph" } },
            { rbdHostKey: "hunter2" },
            staticCsi,
        ),
        "jenkins-ceph:rbdHostKey",
        /not a PEM or OpenSSH private key/,
    ],
    [
        "rbdHostKey in plaintext",
        set(
            { rbdHost: { host: "ceph-admin", user: "ceph" }, rbdHostKey: FAKE_SSH_KEY },
            {},
            staticCsi,
        ),
        "jenkins-ceph:rbdHostKey",
        /plaintext/,
    ],
    [
        "journaling, which the kernel client cannot map",
        ceph({ imageFeatures: "layering,exclusive-lock,journaling" }),
        "jenkins-ceph:ceph.imageFeatures",
        /journaling cannot be mapped by the kernel rbd client/,
    ],
    [
        "secretNamespace not a DNS label",
        ceph({ secretNamespace: "Ceph_Keys" }),
        "jenkins-ceph:ceph.secretNamespace",
        /DNS-1123 label/,
    ],
    [
        "default secretNamespace too long",
        jenkins({ namespace: "a".repeat(60) }),
        "jenkins-ceph:ceph.secretNamespace",
        /required when jenkins.namespace is longer than 58/,
    ],
    [
        "existingStorageClass in static mode",
        ceph({ existingStorageClass: "rook-ceph-block" }, staticCsi),
        "jenkins-ceph:ceph.existingStorageClass",
        /dynamic mode only/,
    ],
    [
        "rbdHost with existingStorageClass (no rbd step to run)",
        () => ({
            stack: "test",
            values: {
                mode: "dynamic",
                ceph: { existingStorageClass: "rook-ceph-block" },
                volume: { snapshots: { enabled: false } },
                rbdHost: { host: "ceph-admin", user: "ceph", hostKey: FAKE_HOST_KEY_LINE },
            },
            secrets: { rbdHostKey: FAKE_SSH_KEY },
        }),
        "jenkins-ceph:rbdHost",
        /has no effect with ceph.existingStorageClass \(this stack runs no rbd step\)/,
    ],
    [
        "readAtPreview not a boolean",
        ceph({ readAtPreview: "yes" }),
        "jenkins-ceph:ceph.readAtPreview",
        /boolean/,
    ],
    [
        "existingStorageClass with the csi install",
        () => ({
            stack: "test",
            values: {
                mode: "dynamic",
                ceph: { existingStorageClass: "rook-ceph-block", csi: { install: true } },
            },
        }),
        "jenkins-ceph:ceph.csi.install",
        /the cluster's driver serves the claim/,
    ],
    [
        "existingStorageClass with monitors that would be ignored",
        ceph({ existingStorageClass: "rook-ceph-block", clusterId: undefined }),
        "jenkins-ceph:ceph.monitors",
        /has no effect with ceph.existingStorageClass/,
    ],
    [
        "existingStorageClass not a name",
        ceph({ existingStorageClass: "Rook Block" }),
        "jenkins-ceph:ceph.existingStorageClass",
        /DNS-1123 subdomain/,
    ],
    [
        "provisionerReplicas zero",
        ceph({ csi: { install: true, provisionerReplicas: 0 } }),
        "jenkins-ceph:ceph.csi.provisionerReplicas",
        /out of range/,
    ],
    [
        "chartPath empty",
        ceph({ csi: { install: true, chartPath: "" } }),
        "jenkins-ceph:ceph.csi.chartPath",
        /out of range|at least 1/,
    ],
    [
        "toleration with a value and Exists",
        jenkins({ tolerations: [{ key: "dedicated", operator: "Exists", value: "ci" }] }),
        "jenkins-ceph:jenkins.tolerations[0]",
        /takes no value with operator Exists/,
    ],
    [
        "toleration with an unknown effect",
        jenkins({ tolerations: [{ key: "dedicated", value: "ci", effect: "NoRun" }] }),
        "jenkins-ceph:jenkins.tolerations[0].effect",
        /must be one of NoSchedule, PreferNoSchedule, NoExecute/,
    ],
    [
        "toleration seconds without NoExecute",
        jenkins({ tolerations: [{ operator: "Exists", tolerationSeconds: 30 }] }),
        "jenkins-ceph:jenkins.tolerations[0]",
        /tolerationSeconds needs effect NoExecute/,
    ],
    [
        "priorityClassName not a name",
        jenkins({ priorityClassName: "High Priority" }),
        "jenkins-ceph:jenkins.priorityClassName",
        /DNS-1123 subdomain/,
    ],
    ["pdb not a boolean", jenkins({ pdb: "yes" }), "jenkins-ceph:jenkins.pdb", /expected boolean/],
    [
        "networkPolicy without the ingress namespace",
        jenkins({ networkPolicy: {} }),
        "jenkins-ceph:jenkins.networkPolicy.ingressNamespace",
        /is required/,
    ],
    [
        "ingress annotation with a bad key",
        jenkins({ ingress: { host: "jenkins.example.com", annotations: { "bad key": "x" } } }),
        "jenkins-ceph:jenkins.ingress.annotations",
        /label key|not a/,
    ],
    [
        "plugin without a version",
        jenkins({ plugins: ["git"] }),
        "jenkins-ceph:jenkins.plugins[0]",
        /has no version/,
    ],
    [
        "plugin at latest",
        jenkins({ plugins: ["git:latest"] }),
        "jenkins-ceph:jenkins.plugins[0]",
        /not pinned to a version/,
    ],
    [
        "plugin with a malformed id",
        jenkins({ plugins: ["git plugin:5.7.0"] }),
        "jenkins-ceph:jenkins.plugins[0]",
        /malformed plugin id/,
    ],
    [
        "plugin listed twice",
        jenkins({ plugins: ["git:5.7.0", "git:5.7.1"] }),
        "jenkins-ceph:jenkins.plugins",
        /lists plugin git twice/,
    ],
    [
        "JCasC that is not YAML",
        set(
            { jenkins: { casc: { welcome: "jenkins:\n  systemMessage: [unclosed" } } },
            { "jenkins.adminPassword": "correct-horse-battery" },
        ),
        "jenkins-ceph:jenkins.casc.welcome",
        /is not valid YAML/,
    ],
    [
        "JCasC that is a list, not a mapping",
        set(
            { jenkins: { casc: { welcome: "- jenkins" } } },
            { "jenkins.adminPassword": "correct-horse-battery" },
        ),
        "jenkins-ceph:jenkins.casc.welcome",
        /not a YAML mapping/,
    ],
    [
        "JCasC file with the program's own name",
        set(
            { jenkins: { casc: { "jenkins-ceph": "jenkins: {}" } } },
            { "jenkins.adminPassword": "correct-horse-battery" },
        ),
        "jenkins-ceph:jenkins.casc",
        /jenkins-ceph is the program's own/,
    ],
    [
        "JCasC without an admin password",
        jenkins({ casc: { welcome: "jenkins:\n  systemMessage: hi" } }),
        "jenkins-ceph:jenkins.casc",
        /needs an admin: .*set jenkins.adminPassword, name jenkins.adminExistingSecret, or bring a securityRealm/,
    ],
    [
        "adminPassword in plaintext",
        set({ "jenkins.adminPassword": "correct-horse-battery" }),
        "jenkins-ceph:jenkins.adminPassword",
        /plaintext/,
    ],
    [
        "adminPassword too short",
        set({}, { "jenkins.adminPassword": "hunter2" }),
        "jenkins-ceph:jenkins.adminPassword",
        /shorter than 12 characters/,
    ],
    [
        "adminPassword set with --path, inside the jenkins object",
        jenkins({ adminPassword: "correct-horse-battery" }),
        "jenkins-ceph:jenkins.adminPassword",
        /must be its own secret key/,
    ],
    [
        "adminUser not a user id",
        jenkins({ adminUser: "the admin" }),
        "jenkins-ceph:jenkins.adminUser",
        /not a Jenkins user id/,
    ],
    [
        "agents namespace not a DNS label",
        jenkins({ agents: { enabled: true, namespace: "CI_Agents" } }),
        "jenkins-ceph:jenkins.agents.namespace",
        /DNS-1123 label/,
    ],
    [
        "agents namespace without agents",
        jenkins({ agents: { namespace: "ci-agents" } }),
        "jenkins-ceph:jenkins.agents.namespace",
        /applies only with jenkins.agents.enabled/,
    ],
    [
        "agent image at latest",
        jenkins({ agents: { enabled: true, image: "jenkins/inbound-agent:latest" } }),
        "jenkins-ceph:jenkins.agents.image",
        /latest/,
    ],
    [
        "snapshots keep zero",
        volume({ snapshots: { keep: 0 } }),
        "jenkins-ceph:volume.snapshots.keep",
        /out of range/,
    ],
    [
        "snapshots enabled not a boolean",
        volume({ snapshots: { enabled: "no" } }),
        "jenkins-ceph:volume.snapshots.enabled",
        /expected boolean/,
    ],
    [
        "snapshots on with a class the cluster has",
        () => ({
            stack: "test",
            values: { mode: "dynamic", ceph: { existingStorageClass: "rook-ceph-block" } },
        }),
        "jenkins-ceph:volume.snapshots.enabled",
        /must be false with ceph.existingStorageClass/,
    ],
    [
        "snapshots on without monitors to run rbd against",
        cephWithout("monitors"),
        "jenkins-ceph:ceph.monitors",
        /for the snapshots before Jenkins restarts .* or set volume.snapshots.enabled to false/,
    ],
    [
        "jenkins.namespace a system namespace",
        jenkins({ namespace: "kube-system" }),
        "jenkins-ceph:jenkins.namespace",
        /is "kube-system", a namespace Kubernetes itself uses/,
    ],
    [
        "ceph.secretNamespace is default",
        ceph({ secretNamespace: "default" }),
        "jenkins-ceph:ceph.secretNamespace",
        /is "default", a namespace Kubernetes itself uses/,
    ],
    [
        "agents in kube-public",
        jenkins({ agents: { enabled: true, namespace: "kube-public" } }),
        "jenkins-ceph:jenkins.agents.namespace",
        /is "kube-public", a namespace Kubernetes itself uses/,
    ],
    [
        "the driver in kube-node-lease",
        ceph({ csi: { install: true, namespace: "kube-node-lease" } }),
        "jenkins-ceph:ceph.csi.namespace",
        /is "kube-node-lease", a namespace Kubernetes itself uses/,
    ],
    [
        "agents where the Ceph key lives",
        () =>
            merge(merge(csi(), "ceph", { secretNamespace: "ci-keys" }), "jenkins", {
                agents: { enabled: true, namespace: "ci-keys" },
            }),
        "jenkins-ceph:jenkins.agents.namespace",
        /is the namespace of the Ceph key \(ceph.secretNamespace is "ci-keys"\): any pipeline could start a pod there that mounts the key/,
    ],
    [
        "agents beside Jenkins with the key in Jenkins' namespace",
        () =>
            merge(merge(csi(), "ceph", { secretNamespace: "ci-infra" }), "jenkins", {
                agents: { enabled: true },
            }),
        "jenkins-ceph:ceph.secretNamespace",
        /is the namespace of the Ceph key .*give Jenkins' agents and ceph.secretNamespace different namespaces/,
    ],
    [
        "agents in the driver's namespace (the key's too)",
        () =>
            merge(merge(csi(), "ceph", { csi: { install: true } }), "jenkins", {
                agents: { enabled: true, namespace: "ceph-csi-rbd" },
            }),
        "jenkins-ceph:jenkins.agents.namespace",
        /is the namespace of the Ceph key \(ceph.secretNamespace \(its default\) is "ceph-csi-rbd"\)/,
    ],
    [
        "the driver in Jenkins' namespace",
        ceph({ csi: { install: true, namespace: "ci-infra" }, secretNamespace: "ci-keys" }),
        "jenkins-ceph:ceph.csi.namespace",
        /is jenkins.namespace \("ci-infra"\): the driver's namespace must allow privileged pods/,
    ],
    [
        "agents namespace set to Jenkins' own",
        jenkins({ agents: { enabled: true, namespace: "ci-infra" } }),
        "jenkins-ceph:jenkins.agents.namespace",
        /is jenkins.namespace \("ci-infra"\): leave it out for that .* a second Namespace resource/,
    ],
    [
        "rbdHost without a pinned host key",
        set(
            { rbdHost: { host: "ceph-admin", user: "ceph" } },
            { rbdHostKey: FAKE_SSH_KEY },
            staticCsi,
        ),
        "jenkins-ceph:rbdHost.hostKey",
        /is required: without the host's key pinned, the rbd program and the Ceph key go to whatever answers at ceph-admin; get it with ssh-keyscan -p 22 -t ed25519 ceph-admin/,
    ],
    [
        "rbdHost.hostKey not a key",
        set(
            {
                rbdHost: {
                    host: "ceph-admin",
                    user: "ceph",
                    hostKey: "ceph-admin ssh-ed25519 bm90IGEga2V5",
                },
            },
            { rbdHostKey: FAKE_SSH_KEY },
            staticCsi,
        ),
        "jenkins-ceph:rbdHost.hostKey",
        /holds no ssh-ed25519 key/,
    ],
    [
        "rbdHost.hostKey and the opt-out together",
        set(
            {
                rbdHost: {
                    host: "ceph-admin",
                    user: "ceph",
                    hostKey: FAKE_HOST_KEY_LINE,
                    insecureIgnoreHostKey: true,
                },
            },
            { rbdHostKey: FAKE_SSH_KEY },
            staticCsi,
        ),
        "jenkins-ceph:rbdHost.insecureIgnoreHostKey",
        /contradicts rbdHost.hostKey/,
    ],
    [
        "jenkins.name starting with a digit (a Service name is DNS-1035)",
        jenkins({ name: "1jenkins" }),
        "jenkins-ceph:jenkins.name",
        /does not start with a letter, which a Service name must \(DNS-1035\)/,
    ],
    [
        "jenkins.name too long for the names made from it",
        jenkins({ name: `j${"x".repeat(55)}` }),
        "jenkins-ceph:jenkins.name",
        /is longer than 55 characters \(the program names .*-agents and other objects after it, at most 63\)/,
    ],
    [
        "-XX:MaxHeapSize bigger than the memory limit",
        jenkins({ javaOpts: "-XX:MaxHeapSize=8g" }),
        "jenkins-ceph:jenkins.javaOpts",
        /-XX:MaxHeapSize=8g does not fit the memory limit 4Gi/,
    ],
    [
        "a fractional -Xmx the JVM cannot read",
        jenkins({ javaOpts: "-Xmx3.5g" }),
        "jenkins-ceph:jenkins.javaOpts",
        /-Xmx3.5g is not a heap size the JVM reads/,
    ],
    [
        "MaxRAMPercentage over 100",
        jenkins({ javaOpts: "-XX:MaxRAMPercentage=150" }),
        "jenkins-ceph:jenkins.javaOpts",
        /-XX:MaxRAMPercentage=150 is not a percentage from 0 to 100/,
    ],
    [
        "a time zone that does not exist",
        jenkins({ timezone: "Asia/Seul" }),
        "jenkins-ceph:jenkins.timezone",
        /"Asia\/Seul" is not a time zone the JVM knows/,
    ],
    [
        "a static size past the shell's arithmetic",
        volume({ size: "8Ei" }, staticCsi),
        "jenkins-ceph:volume.size",
        /"8Ei" is larger than an rbd image this program can size/,
    ],
    [
        "a plugin listed twice in another case",
        jenkins({ plugins: ["git:5.7.0", "Git:5.7.0"] }),
        "jenkins-ceph:jenkins.plugins",
        /lists plugin Git twice/,
    ],
    [
        "--httpPort in jenkinsOpts",
        jenkins({ jenkinsOpts: "--httpPort=9090" }),
        "jenkins-ceph:jenkins.jenkinsOpts",
        /--httpPort=9090 moves Jenkins off http:\/\/0.0.0.0:8080\/, where the probes/,
    ],
    [
        "--prefix in jenkinsOpts",
        jenkins({ jenkinsOpts: "--prefix=/jenkins" }),
        "jenkins-ceph:jenkins.jenkinsOpts",
        /--prefix=\/jenkins: set jenkins.jenkinsUriPrefix instead/,
    ],
    [
        "imageFeatures with a space",
        ceph({ imageFeatures: "layering, exclusive-lock" }, staticCsi),
        "jenkins-ceph:ceph.imageFeatures",
        /has white space; write the features comma-separated, without spaces/,
    ],
    [
        "a CPU request above its limit",
        jenkins({ resources: { requests: { cpu: "4" }, limits: { cpu: "2" } } }),
        "jenkins-ceph:jenkins.resources.requests.cpu",
        /\(4\) is more than limits.cpu \(2\), which the API server refuses/,
    ],
    [
        "containerEnv setting a variable the program sets",
        jenkins({ containerEnv: [{ name: "JAVA_OPTS", value: "-Xmx1g" }] }),
        "jenkins-ceph:jenkins.containerEnv[0].name",
        /sets JAVA_OPTS, which this program sets from jenkins\.javaOpts; set that instead/,
    ],
    [
        "containerEnv with a name a shell cannot read",
        jenkins({ containerEnv: [{ name: "my-var", value: "x" }] }),
        "jenkins-ceph:jenkins.containerEnv[0].name",
        /"my-var" is not an environment variable name/,
    ],
    [
        "containerEnv with one name twice",
        jenkins({
            containerEnv: [
                { name: "HTTP_PROXY", value: "http://a:3128" },
                { name: "HTTP_PROXY", value: "http://b:3128" },
            ],
        }),
        "jenkins-ceph:jenkins.containerEnv[1].name",
        /sets HTTP_PROXY twice/,
    ],
    [
        "initContainerEnv with JENKINS_UC, the chart's way",
        jenkins({
            plugins: ["git:5.7.0"],
            initContainerEnv: [{ name: "JENKINS_UC", value: "https://mirror.example.com/uc.json" }],
        }),
        "jenkins-ceph:jenkins.initContainerEnv[0].name",
        /sets JENKINS_UC, which this program sets from jenkins\.pluginDownload\.updateCenter; set that instead/,
    ],
    [
        "plugin proxy with a password in it",
        jenkins({
            plugins: ["git:5.7.0"],
            pluginDownload: { proxy: "http://ci:hunter2@proxy.example.com:3128" },
        }),
        "jenkins-ceph:jenkins.pluginDownload.proxy",
        /has credentials: they would be plaintext in the pod spec/,
    ],
    [
        "plugin proxy without a port",
        jenkins({ plugins: ["git:5.7.0"], pluginDownload: { proxy: "http://proxy.example.com" } }),
        "jenkins-ceph:jenkins.pluginDownload.proxy",
        /is not a proxy URL such as http:\/\/proxy\.example\.com:3128/,
    ],
    [
        "plugin download site that is not a URL",
        jenkins({ plugins: ["git:5.7.0"], pluginDownload: { downloadSite: "mirror.example.com" } }),
        "jenkins-ceph:jenkins.pluginDownload.downloadSite",
        /is not an http\(s\) URL/,
    ],
    [
        "noProxy without a proxy",
        jenkins({ plugins: ["git:5.7.0"], pluginDownload: { noProxy: ["*.example.com"] } }),
        "jenkins-ceph:jenkins.pluginDownload.noProxy",
        /applies only with jenkins\.pluginDownload\.proxy/,
    ],
    [
        "plugin download settings with nothing to install",
        jenkins({ pluginDownload: { downloadSite: "https://mirror.example.com/plugins/" } }),
        "jenkins-ceph:jenkins.pluginDownload",
        /has no effect: no plugin is pinned and Jenkins is not configured as code/,
    ],
    [
        "agent listener Service of an unknown type",
        jenkins({ agentListenerServiceType: "ExternalName" }),
        "jenkins-ceph:jenkins.agentListenerServiceType",
        /must be one of ClusterIP, NodePort, LoadBalancer/,
    ],
    [
        "image pull secret name with capitals",
        jenkins({ imagePullSecretName: "Registry" }),
        "jenkins-ceph:jenkins.imagePullSecretName",
        /not/,
    ],
    [
        "agent template without an image",
        jenkins({ agents: { enabled: true, templates: [{ name: "maven", label: "maven" }] } }),
        "jenkins-ceph:jenkins.agents.templates[0].image",
        /Required|required/,
    ],
    [
        "two agent templates of one name",
        jenkins({
            agents: {
                enabled: true,
                templates: [
                    { name: "maven", label: "maven", image: "maven:3.9.9-eclipse-temurin-21" },
                    { name: "maven", label: "java", image: "maven:3.9.9-eclipse-temurin-17" },
                ],
            },
        }),
        "jenkins-ceph:jenkins.agents.templates[1].name",
        /names template maven twice/,
    ],
    [
        "agent template label with a comma",
        jenkins({
            agents: {
                enabled: true,
                templates: [
                    { name: "maven", label: "maven,java", image: "maven:3.9.9-eclipse-temurin-21" },
                ],
            },
        }),
        "jenkins-ceph:jenkins.agents.templates[0].label",
        /is not a list of Jenkins labels \(words separated by one space\)/,
    ],
    [
        "agent template asking more memory than its limit",
        jenkins({
            agents: {
                enabled: true,
                templates: [
                    {
                        name: "maven",
                        label: "maven",
                        image: "maven:3.9.9-eclipse-temurin-21",
                        resources: { requests: { memory: "4Gi" }, limits: { memory: "2Gi" } },
                    },
                ],
            },
        }),
        "jenkins-ceph:jenkins.agents.templates[0].resources.requests.memory",
        /\(4Gi\) is more than limits.memory \(2Gi\), which the API server refuses/,
    ],
    [
        "agent templates without configuration as code",
        jenkins({
            agents: {
                enabled: true,
                templates: [
                    { name: "maven", label: "maven", image: "maven:3.9.9-eclipse-temurin-21" },
                ],
            },
        }),
        "jenkins-ceph:jenkins.agents.templates",
        /apply only with jenkins.agents.enabled: true and configuration as code/,
    ],
    [
        "URI prefix without its leading slash",
        jenkins({ jenkinsUriPrefix: "jenkins" }),
        "jenkins-ceph:jenkins.jenkinsUriPrefix",
        /"jenkins" does not start with a slash; write it as \/jenkins/,
    ],
    [
        "URI prefix with a trailing slash",
        jenkins({ jenkinsUriPrefix: "/jenkins/" }),
        "jenkins-ceph:jenkins.jenkinsUriPrefix",
        /is not a path such as \/jenkins/,
    ],
    [
        "admin password and an admin Secret both",
        () => {
            const i = casc({})();
            return merge(i, "jenkins", { adminExistingSecret: "jenkins-admin-credentials" });
        },
        "jenkins-ceph:jenkins.adminExistingSecret",
        /names a second source of the admin's password beside jenkins.adminPassword; keep one/,
    ],
    [
        "an existing Secret's key that jenkinsSecrets gives too",
        () => {
            const i = merge(casc({})(), "jenkins", {
                existingSecrets: [{ name: "ldap-bind", keyName: "LDAP_PASSWORD" }],
            });
            return {
                ...i,
                secrets: {
                    ...i.secrets,
                    jenkinsSecrets: JSON.stringify({ LDAP_PASSWORD: "bind-pw" }),
                },
            };
        },
        "jenkins-ceph:jenkins.existingSecrets[0].keyName",
        /LDAP_PASSWORD is a secret file another source gives already/,
    ],
    [
        "existing Secrets without configuration as code",
        jenkins({ existingSecrets: [{ name: "ldap-bind", keyName: "LDAP_PASSWORD" }] }),
        "jenkins-ceph:jenkins.existingSecrets",
        /is read only by JCasC files, which need configuration as code/,
    ],
    [
        "Prometheus on a wizard-managed Jenkins",
        jenkins({ prometheus: { enabled: true } }),
        "jenkins-ceph:jenkins.prometheus.enabled",
        /needs the prometheus plugin, which the plugin installer puts in only with pinned plugins or configuration as code/,
    ],
    [
        "Prometheus behind a NetworkPolicy without its namespace",
        jenkins({
            plugins: ["git:5.7.0"],
            prometheus: { enabled: true },
            networkPolicy: { ingressNamespace: "ingress-nginx" },
        }),
        "jenkins-ceph:jenkins.prometheus.scraperNamespace",
        /is required with jenkins.networkPolicy, which would drop Prometheus' scrapes/,
    ],
    [
        "Prometheus scrape interval without its unit",
        jenkins({ plugins: ["git:5.7.0"], prometheus: { enabled: true, scrapeInterval: "60" } }),
        "jenkins-ceph:jenkins.prometheus.scrapeInterval",
        /"60" is not a duration such as 60s or 1m/,
    ],
    [
        "JCasC reload without configuration as code",
        jenkins({ configAutoReload: { enabled: true } }),
        "jenkins-ceph:jenkins.configAutoReload.enabled",
        /reloads JCasC files, which need configuration as code/,
    ],
];
