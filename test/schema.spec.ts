// Every object the program would create, for every mode x provisioner and every shipped
// stack file, validated against the Kubernetes OpenAPI schema (kubernetes-models), plus
// the name and reference rules the schema does not check.
import { strict as assert } from "assert";
import * as path from "path";
import { PROJECT_ROOT } from "../cli/projectRoot";
import { listStacks, render, toManifest } from "../cli/render";
import { dnsLabel, dnsSubdomain, labelKey, labelValue } from "../settings/rules";
import { baseStack, COMBINATIONS } from "./fixtures";
import { Any, k8s, merge, runOk } from "./helpers";

type Manifest = Record<string, Any>;

/** Validates one object with its kubernetes-models class; returns the schema's complaints. */
export function schemaErrors(m: Manifest): string[] {
    const mod = `kubernetes-models/${String(m.apiVersion)}`;
    let classes: Record<string, new (o: unknown) => { validate(): void }>;
    try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        classes = require(mod) as typeof classes;
    } catch {
        return [`no schema module for apiVersion ${String(m.apiVersion)}`];
    }
    const Cls = classes[String(m.kind)];
    if (!Cls) return [`no schema for ${String(m.apiVersion)} ${String(m.kind)}`];
    try {
        new Cls(m).validate();
        return [];
    } catch (e) {
        const errs = (e as { errors?: { instancePath: string; message: string }[] }).errors;
        return errs ? errs.map((x) => `${x.instancePath || "/"}: ${x.message}`) : [String(e)];
    }
}

const CLUSTER_SCOPED = ["Namespace", "StorageClass", "PersistentVolume"];
// Every other kind the program makes lives in a namespace (KIND_ORDER's, NetworkPolicy,
// PodDisruptionBudget, CronJob).
const NAMESPACE_SCOPED = { has: (kind: string) => !CLUSTER_SCOPED.includes(kind) };
const LABEL_NAMED = new Set(["Namespace", "Service"]);

/** Name, label and reference rules; returns every broken one. */
export function semanticErrors(objects: Manifest[]): string[] {
    const errs: string[] = [];
    const id = (m: Manifest) =>
        `${m.kind} ${m.metadata?.namespace ? `${m.metadata.namespace}/` : ""}${m.metadata?.name}`;
    const find = (kind: string, name?: string, namespace?: string) =>
        objects.find(
            (o) =>
                o.kind === kind &&
                o.metadata?.name === name &&
                (namespace === undefined || o.metadata?.namespace === namespace),
        );

    for (const m of objects) {
        const name = String(m.metadata?.name ?? "");
        const nameErr = LABEL_NAMED.has(m.kind) ? dnsLabel(name) : dnsSubdomain(name);
        if (nameErr) errs.push(`${id(m)}: name ${nameErr}`);
        for (const [k, v] of Object.entries((m.metadata?.labels ?? {}) as Record<string, string>)) {
            const e = labelKey(k) ?? labelValue(v);
            if (e) errs.push(`${id(m)}: label ${e}`);
        }
        if (NAMESPACE_SCOPED.has(m.kind)) {
            if (!m.metadata?.namespace) errs.push(`${id(m)}: no namespace`);
            else if (!find("Namespace", m.metadata.namespace))
                errs.push(`${id(m)}: namespace not in the render`);
        } else if (m.metadata?.namespace) {
            errs.push(`${id(m)}: cluster-scoped object with a namespace`);
        }
    }

    const needSecret = (from: Manifest, name: unknown, ns: unknown) => {
        if (!find("Secret", name as string, ns as string))
            errs.push(`${id(from)}: Secret ${String(ns)}/${String(name)} not in the render`);
    };

    for (const sc of objects.filter((o) => o.kind === "StorageClass")) {
        const p = sc.parameters ?? {};
        if (sc.provisioner === "kubernetes.io/rbd") {
            needSecret(sc, p.adminSecretName, p.adminSecretNamespace);
            needSecret(sc, p.userSecretName, p.userSecretNamespace);
        } else {
            for (const use of ["provisioner", "controller-expand", "node-stage"]) {
                needSecret(
                    sc,
                    p[`csi.storage.k8s.io/${use}-secret-name`],
                    p[`csi.storage.k8s.io/${use}-secret-namespace`],
                );
            }
        }
    }
    for (const pv of objects.filter((o) => o.kind === "PersistentVolume")) {
        const ref = pv.spec.rbd?.secretRef ?? pv.spec.csi?.nodeStageSecretRef;
        needSecret(pv, ref?.name, ref?.namespace);
        const c = pv.spec.claimRef;
        const pvc = c && find("PersistentVolumeClaim", c.name, c.namespace);
        if (!pvc) errs.push(`${id(pv)}: claimRef does not name a claim in the render`);
        else if (pvc.spec.volumeName !== pv.metadata.name)
            errs.push(`${id(pv)}: its claim does not name it back`);
        else if ((pvc.spec.storageClassName ?? "") !== (pv.spec.storageClassName ?? ""))
            errs.push(`${id(pv)}: class differs from its claim's`);
    }
    for (const pvc of objects.filter((o) => o.kind === "PersistentVolumeClaim")) {
        if (pvc.spec.volumeName) {
            if (!find("PersistentVolume", pvc.spec.volumeName))
                errs.push(`${id(pvc)}: volumeName not in the render`);
        } else if (!find("StorageClass", pvc.spec.storageClassName)) {
            errs.push(`${id(pvc)}: StorageClass ${pvc.spec.storageClassName} not in the render`);
        }
    }
    for (const d of objects.filter((o) => o.kind === "Deployment")) {
        const ns = d.metadata.namespace;
        const pod = d.spec.template;
        for (const v of pod.spec.volumes ?? []) {
            if (
                v.persistentVolumeClaim &&
                !find("PersistentVolumeClaim", v.persistentVolumeClaim.claimName, ns)
            ) {
                errs.push(`${id(d)}: claim ${v.persistentVolumeClaim.claimName} not in the render`);
            }
        }
        const sa = pod.spec.serviceAccountName;
        if (sa && !find("ServiceAccount", sa, ns))
            errs.push(`${id(d)}: ServiceAccount ${sa} not in the render`);
        const mounts = pod.spec.containers.flatMap((c: Any) =>
            (c.volumeMounts ?? []).map((m: Any) => m.name),
        );
        for (const m of mounts) {
            if (!(pod.spec.volumes ?? []).some((v: Any) => v.name === m))
                errs.push(`${id(d)}: mount ${m} has no volume`);
        }
    }
    const pods = objects
        .filter((o) => o.kind === "Deployment")
        .map((d) => ({ ns: d.metadata.namespace, t: d.spec.template }));
    for (const s of objects.filter((o) => o.kind === "Service")) {
        const sel = (s.spec.selector ?? {}) as Record<string, string>;
        const match = pods.find(
            (p) =>
                p.ns === s.metadata.namespace &&
                Object.entries(sel).every(([k, v]) => p.t.metadata.labels?.[k] === v),
        );
        if (!match) {
            errs.push(`${id(s)}: selector matches no pod in the render`);
            continue;
        }
        const portNames = match.t.spec.containers.flatMap((c: Any) =>
            (c.ports ?? []).map((p: Any) => p.name),
        );
        for (const p of s.spec.ports) {
            if (typeof p.targetPort === "string" && !portNames.includes(p.targetPort)) {
                errs.push(`${id(s)}: targetPort ${p.targetPort} is not a container port`);
            }
        }
    }
    for (const ing of objects.filter((o) => o.kind === "Ingress")) {
        for (const rule of ing.spec.rules ?? []) {
            for (const p of rule.http?.paths ?? []) {
                if (!find("Service", p.backend.service.name, ing.metadata.namespace))
                    errs.push(`${id(ing)}: backend Service missing`);
            }
        }
    }
    for (const rb of objects.filter((o) => o.kind === "RoleBinding")) {
        if (!find(rb.roleRef.kind, rb.roleRef.name, rb.metadata.namespace))
            errs.push(`${id(rb)}: roleRef not in the render`);
        for (const s of rb.subjects ?? []) {
            if (s.kind === "ServiceAccount" && !find("ServiceAccount", s.name, s.namespace))
                errs.push(`${id(rb)}: subject ${s.name} missing`);
        }
    }
    return errs;
}

/** `classOf`: the StorageClass the claim names is the cluster's (ceph.existingStorageClass). */
function assertValid(objects: Manifest[], classOf: "render" | "cluster" = "render"): void {
    assert.ok(objects.length >= 6, `only ${objects.length} objects`);
    const problems = objects.flatMap((m) =>
        schemaErrors(m).map((e) => `${m.kind} ${m.metadata?.name}: ${e}`),
    );
    assert.deepEqual(problems, [], "schema errors");
    const theirs = (e: string) =>
        classOf === "cluster" && /: StorageClass \S+ not in the render$/.test(e);
    assert.deepEqual(
        semanticErrors(objects).filter((e) => !theirs(e)),
        [],
        "name/reference errors",
    );
}

const stackFiles = listStacks();

describe("schema: every object valid against the Kubernetes OpenAPI schema", () => {
    for (const [mode, prov] of COMBINATIONS) {
        for (const extras of [false, true]) {
            it(`${mode} x ${prov}${extras ? ` with ingress, agents${prov === "csi" ? ", csi driver" : ""}` : ""}`, async () => {
                let input = baseStack(mode, prov);
                if (extras && prov === "csi")
                    input = merge(input, "ceph", { csi: { install: true } });
                if (extras) {
                    input = merge(input, "jenkins", {
                        ingress: {
                            host: "jenkins.example.com",
                            className: "nginx",
                            tlsSecretName: "jenkins-tls",
                        },
                        agents: { enabled: true },
                    });
                }
                const r = await runOk(input);
                assertValid(k8s(r).map(toManifest));
            });
        }
    }

    for (const [mode, prov] of COMBINATIONS) {
        it(`${mode} x ${prov} configured as code with every Jenkins chart setting`, async () => {
            const input = merge(baseStack(mode, prov), "jenkins", {
                adminExistingSecret: "jenkins-admin-credentials",
                existingSecrets: [{ name: "smtp", keyName: "SMTP_PASSWORD" }],
                jenkinsUriPrefix: "/jenkins",
                ingress: {
                    host: "jenkins.example.com",
                    className: "nginx",
                    tlsSecretName: "jenkins-tls",
                },
                networkPolicy: { ingressNamespace: "ingress-nginx" },
                agents: {
                    enabled: true,
                    namespace: "ci-agents",
                    templates: [
                        { name: "default", image: "jenkins/inbound-agent:3324.vea_eda_e98cd69-1" },
                        {
                            name: "maven",
                            label: "maven",
                            image: "maven:3.9.9-eclipse-temurin-21",
                            nodeSelector: { "kubernetes.io/arch": "amd64" },
                        },
                    ],
                },
                agentListenerServiceType: "LoadBalancer",
                plugins: ["git:5.7.0"],
                pluginDownload: {
                    downloadSite: "https://mirror.example.com/plugins/",
                    proxy: "http://proxy.example.com:3128",
                },
                initContainerEnv: [
                    { name: "JENKINS_PLUGIN_INFO", value: "https://mirror.example.com/pv.json" },
                ],
                containerEnv: [{ name: "ORG_NAME", value: "Example Corp" }],
                imagePullSecretName: "registry-credentials",
                // No kubernetes-models class for the operator's ServiceMonitor: the real API
                // server takes it in npm run test:cluster.
                prometheus: {
                    enabled: true,
                    serviceMonitor: false,
                    scraperNamespace: "monitoring",
                },
                configAutoReload: { enabled: true },
            });
            input.secrets = {
                ...input.secrets,
                jenkinsSecrets: JSON.stringify({ GITHUB_TOKEN: "t0k3n" }),
            };
            const r = await runOk(input);
            assertValid(k8s(r).map(toManifest));
        });
    }

    for (const example of ["ldap", "oidc"]) {
        it(`example examples/${example}`, async () => {
            const file = path.join(PROJECT_ROOT, "examples", example, `Pulumi.${example}.yaml`);
            // Both run on Rook's class (ceph.existingStorageClass), which the cluster has.
            assertValid((await render(example, PROJECT_ROOT, file)).manifests, "cluster");
        });
    }

    it(`finds the shipped stack files (${stackFiles.join(", ")})`, () => {
        assert.ok(stackFiles.includes("dev") && stackFiles.includes("prod"));
    });
    for (const stack of stackFiles) {
        it(`stack file Pulumi.${stack}.yaml`, async () => {
            const r = await render(stack);
            assertValid(r.manifests);
        });
    }
});

describe("schema: the checks themselves catch mistakes", () => {
    it("the schema rejects a bad quantity, a string port and a bad enum", () => {
        const errs = schemaErrors({
            apiVersion: "v1",
            kind: "PersistentVolumeClaim",
            metadata: { name: "x", namespace: "y" },
            spec: { accessModes: ["RWX"], resources: { requests: { storage: "100Gb" } } },
        });
        assert.ok(errs.some((e) => e.includes("accessModes")));
        assert.ok(errs.some((e) => e.includes("storage")));
        const port = schemaErrors({
            apiVersion: "v1",
            kind: "Service",
            metadata: { name: "s", namespace: "y" },
            spec: { ports: [{ port: "8080" }] },
        });
        assert.ok(
            port.some((e) => e.includes("port")),
            port.join(),
        );
    });

    it("the reference check catches a dangling claim, secret and selector", async () => {
        const r = await runOk(baseStack("static", "in-tree"));
        const objs = k8s(r).map(toManifest);
        const broken = structuredClone(objs) as Manifest[];
        broken.find((o) => o.kind === "Secret")!.metadata.name = "other";
        broken.find((o) => o.kind === "PersistentVolumeClaim")!.spec.volumeName = "nope";
        broken.find((o) => o.kind === "Service")!.spec.selector = { app: "nope" };
        broken.find((o) => o.kind === "Namespace")!.metadata.name = "Bad_Name";
        const errs = semanticErrors(broken);
        for (const want of [
            "Secret ci-infra-ceph/ceph-secret-user not in the render",
            "volumeName not in the render",
            "selector matches no pod",
            "not a DNS-1123 label",
        ]) {
            assert.ok(
                errs.some((e) => e.includes(want)),
                `${want} not caught:\n${errs.join("\n")}`,
            );
        }
        assert.deepEqual(semanticErrors(objs), []);
    });
});
