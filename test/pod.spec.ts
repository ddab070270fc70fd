// The Jenkins pod: the 2018 installation's Deployment (docs/history-2018.md) made current, pause infra, probes, security.
import { strict as assert } from "assert";
import { ProgramRun } from "../cli/mockRuntime";
import { baseStack, COMBINATIONS } from "./fixtures";
import { Any, byKind, merge, one, runOk } from "./helpers";
import { restrictedViolations } from "./podSecurity";

function podSpec(r: ProgramRun): Any {
    return (one(r, "Deployment").inputs as Any).spec.template.spec;
}
function container(r: ProgramRun, name: string): Any {
    const c = podSpec(r).containers.find((x: Any) => x.name === name);
    assert.ok(c, `container ${name}`);
    return c;
}
function env(c: Any, name: string): string | undefined {
    return c.env.find((e: Any) => e.name === name)?.value;
}

describe("pod: the 2018 installation's Deployment, made current", () => {
    let r: ProgramRun;
    before(async () => {
        r = await runOk(baseStack("dynamic", "csi"));
    });

    it("is an apps/v1 Deployment with one replica and the Recreate strategy", () => {
        const d = one(r, "Deployment").inputs as Any;
        assert.equal(d.apiVersion, "apps/v1");
        assert.equal(d.metadata.name, "jenkins");
        assert.equal(d.metadata.namespace, "ci-infra");
        assert.equal(d.spec.replicas, 1);
        assert.deepEqual(d.spec.strategy, { type: "Recreate" });
        assert.deepEqual(d.spec.selector.matchLabels, { app: "jenkins" });
        assert.deepEqual(d.spec.template.metadata.labels, { app: "jenkins" });
    });

    it("has no node affinity by default (an unlabelled cluster would leave the pod Pending)", () => {
        assert.equal(podSpec(r).affinity, undefined);
    });

    it("takes the 2018 installation's node affinity cicd-services In [enabled] when a stack sets it", async () => {
        const seed = await runOk(
            merge(baseStack("dynamic", "csi"), "jenkins", {
                nodeAffinity: { "cicd-services": "enabled" },
            }),
        );
        assert.deepEqual(
            podSpec(seed).affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution,
            {
                nodeSelectorTerms: [
                    {
                        matchExpressions: [
                            { key: "cicd-services", operator: "In", values: ["enabled"] },
                        ],
                    },
                ],
            },
        );
    });

    it("drops the affinity when nodeAffinity is {}", async () => {
        const any = await runOk(
            merge(baseStack("dynamic", "csi"), "jenkins", { nodeAffinity: {} }),
        );
        assert.equal(podSpec(any).affinity, undefined);
    });

    it("runs as uid/gid 1000 with fsGroupChangePolicy OnRootMismatch", () => {
        const psc = podSpec(r).securityContext;
        assert.equal(psc.runAsUser, 1000);
        assert.equal(psc.fsGroup, 1000);
        assert.equal(psc.fsGroupChangePolicy, "OnRootMismatch");
        assert.equal(psc.runAsNonRoot, true);
        assert.deepEqual(psc.seccompProfile, { type: "RuntimeDefault" });
    });

    it("pins the image, IfNotPresent, and exposes http 8080 and jnlp 50000", () => {
        const j = container(r, "jenkins");
        assert.equal(j.image, "jenkins/jenkins:2.568.2-jdk21");
        assert.equal(j.imagePullPolicy, "IfNotPresent");
        assert.deepEqual(j.ports, [
            { name: "http", containerPort: 8080, protocol: "TCP" },
            { name: "jnlp", containerPort: 50000, protocol: "TCP" },
        ]);
    });

    it("mounts the claim at /var/jenkins_home and emptyDirs where Jenkins writes", () => {
        const j = container(r, "jenkins");
        const mounts = Object.fromEntries(j.volumeMounts.map((m: Any) => [m.mountPath, m.name]));
        assert.equal(mounts["/var/jenkins_home"], "jenkins-home");
        assert.equal(mounts["/tmp"], "tmp");
        assert.equal(mounts["/var/jenkins_cache"], "jenkins-cache");
        const vols = Object.fromEntries(podSpec(r).volumes.map((v: Any) => [v.name, v]));
        assert.deepEqual(vols["jenkins-home"].persistentVolumeClaim, { claimName: "jenkins" });
        assert.deepEqual(vols.tmp.emptyDir, {});
        assert.deepEqual(vols["jenkins-cache"].emptyDir, {});
        assert.match(env(j, "JENKINS_OPTS") ?? "", /--webroot=\/var\/jenkins_cache\/war/);
    });

    it("probes /login on the named port: startup, the 2018 installation's readiness timings, liveness", () => {
        const j = container(r, "jenkins");
        for (const p of [j.startupProbe, j.readinessProbe, j.livenessProbe]) {
            assert.deepEqual(p.httpGet, { path: "/login", port: "http" });
            assert.equal(p.periodSeconds, 10);
            assert.equal(p.timeoutSeconds, 5);
        }
        assert.equal(j.readinessProbe.successThreshold, 2);
        assert.equal(j.readinessProbe.failureThreshold, 5);
        assert.equal(j.livenessProbe.failureThreshold, 5);
        assert.ok(
            j.startupProbe.failureThreshold * j.startupProbe.periodSeconds >= 300,
            "startup budget >= 5 min",
        );
    });

    it("gives the provider's rollout wait more than the startup budget", () => {
        assert.deepEqual(one(r, "Deployment").options.customTimeouts, {
            create: "20m",
            update: "20m",
        });
    });

    it("sets memory request equal to limit and a long grace period", () => {
        const j = container(r, "jenkins");
        assert.deepEqual(j.resources, {
            requests: { cpu: "500m", memory: "4Gi" },
            limits: { cpu: "2", memory: "4Gi" },
        });
        assert.ok(podSpec(r).terminationGracePeriodSeconds >= 60);
    });

    it("sizes the heap from the container (no -Xms/-Xmx), G1, the time zone (UTC by default) twice", () => {
        const opts = env(container(r, "jenkins"), "JAVA_OPTS") ?? "";
        assert.match(opts, /-XX:MaxRAMPercentage=75\.0/);
        assert.match(opts, /-XX:InitialRAMPercentage=50\.0/);
        assert.match(opts, /-XX:\+UseG1GC/);
        assert.doesNotMatch(opts, /-Xm[sx]/);
        assert.match(opts, /-Duser\.timezone=UTC /);
        assert.match(opts, /-Dorg\.apache\.commons\.jelly\.tags\.fmt\.timeZone=UTC$/);
    });

    it("extends or replaces the default JAVA_OPTS from settings", async () => {
        const ext = await runOk(
            merge(baseStack("dynamic", "csi"), "jenkins", {
                javaOpts: "-Dhudson.footerURL=x",
                timezone: "UTC",
            }),
        );
        const e = env(container(ext, "jenkins"), "JAVA_OPTS") ?? "";
        assert.match(
            e,
            /-XX:MaxRAMPercentage=75\.0 .*-Duser\.timezone=UTC.* -Dhudson\.footerURL=x$/,
        );
        const rep = await runOk(
            merge(baseStack("dynamic", "csi"), "jenkins", {
                javaOpts: "-Xmx2g",
                replaceDefaultJavaOpts: true,
            }),
        );
        assert.equal(env(container(rep, "jenkins"), "JAVA_OPTS"), "-Xmx2g");
    });
});

describe("pod: the pause infra", () => {
    it("shares the process namespace so the sandbox pause is PID 1 and reaps zombies", async () => {
        const r = await runOk(baseStack("dynamic", "csi"));
        assert.equal(podSpec(r).shareProcessNamespace, true);
        // tini would only warn that it is not PID 1: jenkins.sh runs directly.
        assert.deepEqual(container(r, "jenkins").command, ["/usr/local/bin/jenkins.sh"]);
    });

    it("adds a pinned, locked-down pause sidecar named infra", async () => {
        const r = await runOk(baseStack("dynamic", "csi"));
        const infra = container(r, "infra");
        assert.equal(infra.image, "registry.k8s.io/pause:3.10.1");
        assert.equal(infra.securityContext.runAsNonRoot, true);
        assert.equal(infra.securityContext.readOnlyRootFilesystem, true);
        assert.equal(infra.securityContext.allowPrivilegeEscalation, false);
        assert.deepEqual(infra.securityContext.capabilities, { drop: ["ALL"] });
        assert.deepEqual(infra.resources.limits, { cpu: "10m", memory: "16Mi" });
    });

    it("follows jenkins.infra settings", async () => {
        const r = await runOk(
            merge(baseStack("dynamic", "csi"), "jenkins", {
                infra: {
                    shareProcessNamespace: false,
                    sidecar: false,
                    image: "registry.k8s.io/pause:3.10",
                },
            }),
        );
        assert.equal(podSpec(r).shareProcessNamespace, false);
        assert.equal(
            container(r, "jenkins").command,
            undefined,
            "tini stays PID 1 of its container",
        );
        assert.deepEqual(
            podSpec(r).containers.map((c: Any) => c.name),
            ["jenkins"],
        );
        const img = await runOk(
            merge(baseStack("dynamic", "csi"), "jenkins", {
                infra: { image: "registry.k8s.io/pause:3.10" },
            }),
        );
        assert.equal(container(img, "infra").image, "registry.k8s.io/pause:3.10");
    });
});

describe("pod: security", () => {
    for (const [mode, prov] of COMBINATIONS) {
        it(`meets the restricted Pod Security Standard (${mode}, ${prov})`, async () => {
            const r = await runOk(baseStack(mode, prov));
            assert.deepEqual(restrictedViolations(podSpec(r)), []);
            for (const c of podSpec(r).containers) {
                assert.equal(c.securityContext.readOnlyRootFilesystem, true, c.name);
            }
        });
    }

    it("the check itself catches a breach", () => {
        const bad = {
            containers: [
                {
                    name: "x",
                    securityContext: { privileged: true, capabilities: { add: ["SYS_ADMIN"] } },
                },
            ],
            hostPID: true,
        };
        const v = restrictedViolations(bad);
        for (const rule of [
            "Host Namespaces",
            "Privileged Containers (x)",
            "Privilege Escalation (x)",
            "Running as Non-root (x)",
            "Seccomp (x)",
            "Capabilities drop ALL (x)",
            "Capabilities add (x)",
        ]) {
            assert.ok(v.includes(rule), `${rule} not caught: ${v.join(", ")}`);
        }
    });

    it("labels the namespace restricted by default and follows jenkins.podSecurity", async () => {
        const r = await runOk(baseStack("dynamic", "csi"));
        const labels = (one(r, "Namespace", "ci-infra").inputs as Any).metadata.labels;
        assert.equal(labels["pod-security.kubernetes.io/enforce"], "restricted");
        const b = await runOk(
            merge(baseStack("dynamic", "csi"), "jenkins", { podSecurity: "baseline" }),
        );
        assert.equal(
            (one(b, "Namespace", "ci-infra").inputs as Any).metadata.labels[
                "pod-security.kubernetes.io/enforce"
            ],
            "baseline",
        );
    });

    it("mounts no service account token unless agents are enabled", async () => {
        const r = await runOk(baseStack("dynamic", "csi"));
        assert.equal(podSpec(r).automountServiceAccountToken, false);
        assert.equal(byKind(r, "ServiceAccount").length, 0);
        assert.equal(byKind(r, "Role").length, 0);
    });
});

describe("pod: reachability", () => {
    it("has no jenkins-agent Service without agents", async () => {
        const r = await runOk(baseStack("dynamic", "csi"));
        assert.deepEqual(
            byKind(r, "Service").map((x) => x.name),
            ["jenkins-http"],
        );
    });

    it("has a ClusterIP Service jenkins (8080) and, with agents, jenkins-agent (50000) selecting the pod", async () => {
        const r = await runOk(
            merge(baseStack("dynamic", "csi"), "jenkins", { agents: { enabled: true } }),
        );
        const http = one(r, "Service", "jenkins").inputs as Any;
        const agent = one(r, "Service", "jenkins-agent").inputs as Any;
        assert.equal(http.spec.type, "ClusterIP");
        assert.deepEqual(http.spec.ports, [
            { name: "http", port: 8080, targetPort: "http", protocol: "TCP" },
        ]);
        assert.deepEqual(agent.spec.ports, [
            { name: "jnlp", port: 50000, targetPort: "jnlp", protocol: "TCP" },
        ]);
        for (const s of [http, agent]) assert.deepEqual(s.spec.selector, { app: "jenkins" });
    });

    it("adds an Ingress with class and TLS from settings", async () => {
        const r = await runOk(
            merge(baseStack("dynamic", "csi"), "jenkins", {
                ingress: {
                    host: "jenkins.example.com",
                    className: "nginx",
                    tlsSecretName: "jenkins-tls",
                },
            }),
        );
        const ing = one(r, "Ingress").inputs as Any;
        assert.equal(ing.spec.ingressClassName, "nginx");
        assert.deepEqual(ing.spec.tls, [
            { hosts: ["jenkins.example.com"], secretName: "jenkins-tls" },
        ]);
        assert.deepEqual(ing.spec.rules[0].http.paths[0].backend, {
            service: { name: "jenkins", port: { name: "http" } },
        });
    });

    it("adds the agents' ServiceAccount, Role and RoleBinding when enabled", async () => {
        const r = await runOk(
            merge(baseStack("static", "csi"), "jenkins", { agents: { enabled: true } }),
        );
        const role = one(r, "Role").inputs as Any;
        assert.ok(
            role.rules.some((x: Any) => x.resources.includes("pods") && x.verbs.includes("create")),
        );
        assert.ok(role.rules.some((x: Any) => x.resources.includes("pods/exec")));
        const rb = one(r, "RoleBinding").inputs as Any;
        assert.deepEqual(rb.subjects, [
            { kind: "ServiceAccount", name: "jenkins", namespace: "ci-infra" },
        ]);
        assert.equal(rb.roleRef.name, "jenkins-agents");
        assert.equal(podSpec(r).serviceAccountName, "jenkins");
        assert.equal(podSpec(r).automountServiceAccountToken, true);
    });
});
