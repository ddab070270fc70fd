// The shape of each structured stack setting, with defaults. Every message says what is
// wrong; settings.ts adds the full key and an example of a right value.
import { z } from "zod";
import * as rules from "./rules";
import { parseStorageQuantity } from "./quantity";

// Defaults that error examples repeat: written once here.
const CHART_VERSION = "3.13.1";
const JENKINS_IMAGE = "jenkins/jenkins:2.568.2-jdk21";
const PAUSE_IMAGE = "registry.k8s.io/pause:3.10.1";
const CSI_NAMESPACE = "ceph-csi-rbd";

type Check<T> = (v: T) => string | undefined;

function checked<T extends z.ZodTypeAny>(schema: T, check: Check<z.output<T>>): z.ZodEffects<T> {
    const refine = (v: z.output<T>, ctx: z.RefinementCtx): void => {
        const reason = check(v);
        if (reason) ctx.addIssue({ code: "custom", message: reason });
    };
    // zod 3 types superRefine on a generic schema loosely; the refinement itself is typed.
    return schema.superRefine(refine) as z.ZodEffects<T>;
}

const str = (check: Check<string>) => checked(z.string(), check);

const quantity = str((v) => {
    if (v.startsWith("-")) return `"${v}" is negative`;
    const q = parseStorageQuantity(v);
    return "error" in q ? q.error : undefined;
});
const cpu = str((v) =>
    /^([0-9]+m|[0-9]+(\.[0-9]+)?)$/.test(v) && !/^0+(\.0+)?m?$/.test(v)
        ? undefined
        : `"${v}" is not a CPU quantity`,
);

const IMAGE_FEATURES = [
    "layering",
    "exclusive-lock",
    "object-map",
    "fast-diff",
    "deep-flatten",
    "journaling",
] as const;

const imageFeatures = str((v) => {
    const list = v.split(",").map((f) => f.trim());
    const unknown = list.filter((f) => !(IMAGE_FEATURES as readonly string[]).includes(f));
    if (unknown.length) return `unknown rbd image feature(s) ${unknown.join(", ")}`;
    const needs: [string, string][] = [
        ["object-map", "exclusive-lock"],
        ["fast-diff", "object-map"],
        ["journaling", "exclusive-lock"],
    ];
    for (const [f, dep] of needs) {
        if (list.includes(f) && !list.includes(dep)) return `feature ${f} needs ${dep}`;
    }
    return undefined;
});

export const cephSchema = z
    .object({
        provisioner: z.enum(["csi", "in-tree"]).default("csi"),
        monitors: z.array(str(rules.monitor)).optional(),
        pool: str(rules.cephName),
        user: str(rules.cephUser),
        adminId: str(rules.cephUser).default("admin"),
        clusterId: str(rules.cephName).optional(),
        csiDriver: str(rules.dnsSubdomain).default("rbd.csi.ceph.com"),
        storageClassName: str(rules.dnsSubdomain).default("ceph"),
        fsType: z.enum(["ext4", "xfs"]).default("ext4"),
        imageFeatures: imageFeatures.default("layering"),
        timeoutSeconds: z.number().int().min(1).max(600).default(20),
        csi: z
            .object({
                install: z.boolean().default(false),
                chartVersion: str((v) =>
                    /^\d+\.\d+\.\d+$/.test(v) ? undefined : `"${v}" is not a pinned chart version`,
                ).default(CHART_VERSION),
                namespace: str(rules.dnsLabel).default(CSI_NAMESPACE),
            })
            .strict()
            .default({}),
    })
    .strict();

export const volumeSchema = z
    .object({
        size: quantity.default("100Gi"),
        accessMode: checked(
            z.enum(["ReadWriteOnce", "ReadWriteOncePod", "ReadWriteMany", "ReadOnlyMany"]),
            (v) =>
                v === "ReadWriteMany" || v === "ReadOnlyMany"
                    ? `${v} is not possible for an RBD filesystem volume: an rbd image with a ` +
                      "filesystem can be mounted read-write by one node only (Kubernetes lists RBD as " +
                      "RWO/ROX, ceph-csi refuses multi-node modes unless volumeMode is Block), and a " +
                      "Jenkins home must be writable; Jenkins runs one replica with the Recreate " +
                      "strategy, so ReadWriteOnce is right"
                    : undefined,
        ).default("ReadWriteOnce"),
        reclaimPolicy: z.enum(["Retain", "Delete"]).default("Retain"),
        image: str(rules.cephName).default("jenkins"),
        pvName: str(rules.dnsSubdomain).default("jenkins"),
        claimName: str(rules.dnsSubdomain).default("jenkins"),
        deleteImageOnDestroy: z.boolean().default(false),
        protect: z.boolean().optional(),
    })
    .strict();

const resourcesSchema = z
    .object({
        requests: z
            .object({ cpu: cpu.default("500m"), memory: quantity.default("4Gi") })
            .strict()
            .default({}),
        limits: z
            .object({ cpu: cpu.default("2"), memory: quantity.default("4Gi") })
            .strict()
            .default({}),
    })
    .strict();

export const jenkinsSchema = z
    .object({
        namespace: str(rules.dnsLabel).default("ci-infra"),
        name: str(rules.dnsLabel).default("jenkins"),
        image: str(rules.pinnedImage).default(JENKINS_IMAGE),
        nodeAffinity: z
            .record(str(rules.labelKey), str(rules.labelValue))
            .default({ "cicd-services": "enabled" }),
        javaOpts: z.string().default(""),
        replaceDefaultJavaOpts: z.boolean().default(false),
        jenkinsOpts: z.string().default(""),
        timezone: str((v) =>
            /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(v)
                ? undefined
                : `"${v}" is not a time zone name`,
        ).default("Asia/Seoul"),
        resources: resourcesSchema.default({}),
        infra: z
            .object({
                shareProcessNamespace: z.boolean().default(true),
                sidecar: z.boolean().default(true),
                image: str(rules.pinnedImage).default(PAUSE_IMAGE),
            })
            .strict()
            .default({}),
        podSecurity: z.enum(["restricted", "baseline", "privileged"]).default("restricted"),
        ingress: z
            .object({
                host: str(rules.dnsSubdomain),
                className: str(rules.dnsSubdomain).optional(),
                tlsSecretName: str(rules.dnsSubdomain).optional(),
            })
            .strict()
            .optional(),
        agents: z
            .object({ enabled: z.boolean().default(false) })
            .strict()
            .default({}),
    })
    .strict();

export const rbdHostSchema = z
    .object({
        host: str(rules.host),
        port: z.number().int().min(1).max(65535).default(22),
        user: str((v) =>
            /^[a-z_][a-z0-9_-]*[$]?$/.test(v) ? undefined : `"${v}" is not a user name`,
        ),
    })
    .strict();

export const modeSchema = z.enum(["dynamic", "static"]);

/** Examples for the error messages, by setting path (most specific first). */
const EXAMPLES: [RegExp, string][] = [
    [/^mode$/, "dynamic (or static)"],
    [
        /^ceph$/,
        '{"monitors": ["10.0.0.1:6789"], "pool": "kubes", "user": "kube", "clusterId": "<fsid>"}',
    ],
    [/^ceph\.provisioner$/, "csi (or in-tree, for Kubernetes up to 1.30)"],
    [/^ceph\.monitors/, '["192.168.30.23:6789", "[2001:db8::1]:3300"]'],
    [/^ceph\.pool$/, "kubes"],
    [/^ceph\.(user|adminId)$/, "kube (the id without client.)"],
    [/^ceph\.clusterId$/, "the cluster fsid from `ceph fsid`, or the Rook namespace"],
    [/^ceph\.csiDriver$/, "rbd.csi.ceph.com (Rook: rook-ceph.rbd.csi.ceph.com)"],
    [/^ceph\.storageClassName$/, "ceph"],
    [/^ceph\.fsType$/, "ext4 (or xfs)"],
    [/^ceph\.imageFeatures$/, "layering"],
    [/^ceph\.timeoutSeconds$/, "20"],
    [/^ceph\.csi\.install$/, "false (true installs the ceph-csi-rbd chart)"],
    [/^ceph\.csi\.chartVersion$/, CHART_VERSION],
    [/^ceph\.csi\.namespace$/, CSI_NAMESPACE],
    [/^volume\.size$/, "100Gi"],
    [/^volume\.accessMode$/, "ReadWriteOnce"],
    [/^volume\.reclaimPolicy$/, "Retain"],
    [/^volume\.(image|pvName|claimName)$/, "jenkins"],
    [/^volume\.(deleteImageOnDestroy|protect)$/, "false"],
    [/^jenkins\.namespace$/, "ci-infra"],
    [/^jenkins\.name$/, "jenkins"],
    [/^jenkins\.image$/, JENKINS_IMAGE],
    [/^jenkins\.nodeAffinity/, '{"cicd-services": "enabled"} (or {} for any node)'],
    [/^jenkins\.javaOpts$/, "-XX:+UnlockDiagnosticVMOptions -XX:G1SummarizeRSetStatsPeriod=1"],
    [/^jenkins\.timezone$/, "Asia/Seoul"],
    [/^jenkins\.resources.*cpu$/, "500m"],
    [/^jenkins\.resources/, '{"requests": {"memory": "4Gi"}, "limits": {"memory": "4Gi"}}'],
    [/^jenkins\.infra\.image$/, PAUSE_IMAGE],
    [/^jenkins\.infra/, "true"],
    [/^jenkins\.podSecurity$/, "restricted (or baseline)"],
    [/^jenkins\.ingress/, '{"host": "jenkins.example.com", "className": "nginx"}'],
    [/^jenkins\.agents/, '{"enabled": true}'],
    [/^rbdHost\.host$/, "ceph-admin.example.com"],
    [/^rbdHost\.port$/, "22"],
    [/^rbdHost\.user$/, "ceph-admin"],
    [/^rbdHost$/, '{"host": "ceph-admin.example.com", "user": "ceph-admin"}'],
    [/^(cephUserKey|cephAdminKey)$/, "AQD...== (from `ceph auth get-key client.kube`)"],
    [
        /^rbdHostKey$/,
        "the private key file: pulumi config set --secret rbdHostKey < ~/.ssh/id_ed25519",
    ],
];

export function exampleFor(path: string): string | undefined {
    return EXAMPLES.find(([re]) => re.test(path))?.[1];
}
