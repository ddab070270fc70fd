// Jenkins configured as code: the admin Secret, no wizard, pinned plugins through an init
// container, JCasC files, a pod that rolls when any of it changes, and agents that can
// run. What a running Jenkins does with these files is not checked here (no Jenkins can
// be downloaded on these machines); see the README.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { ProgramRun, PROJECT_ROOT } from "../cli/mockRuntime";
import { stackFileConfig } from "../cli/render";
import { baseStack, COMBINATIONS, LDAP_REALM_CASC, StackInput } from "./fixtures";
import { Any, byKind, merge, one, runOk } from "./helpers";
import { restrictedViolations } from "./podSecurity";
import { CONTROLLER_ENV } from "../components/jenkins/jenkinsPod";

const PASSWORD = "correct-horse-battery-staple";

function asCode(input: StackInput, jenkins: Record<string, unknown> = {}): StackInput {
    const i = merge(input, "jenkins", jenkins);
    return { ...i, secrets: { ...i.secrets, "jenkins.adminPassword": PASSWORD } };
}
const pod = (r: ProgramRun) => (one(r, "Deployment").inputs as Any).spec.template;
const env = (c: Any, name: string) => c.env.find((e: Any) => e.name === name)?.value;
const casc = (r: ProgramRun) => (one(r, "ConfigMap", "jenkins-casc").inputs as Any).data;
const checksum = (r: ProgramRun) => pod(r).metadata.annotations["jenkins-ceph/config-checksum"];

describe("configuration as code", () => {
    for (const [mode, prov] of COMBINATIONS) {
        it(`${mode} x ${prov}: the admin Secret, the JCasC and plugin ConfigMaps, the init container, the checksum`, async () => {
            const r = await runOk(asCode(baseStack(mode, prov), { agents: { enabled: true } }));
            const admin = one(r, "Secret", "jenkins-admin");
            assert.deepEqual((admin.inputs as Any).stringData, {
                "jenkins-admin-user": "admin",
                "jenkins-admin-password": PASSWORD,
            });
            assert.ok(admin.secretPaths.includes("stringData"), "the password is a Pulumi secret");
            const t = pod(r);
            const [init] = t.spec.initContainers;
            assert.equal(init.name, "install-plugins");
            assert.equal(init.image, "jenkins/jenkins:2.568.2-jdk21");
            // The installer (installPlugins.sh, tested with real sh in installPlugins.spec.ts)
            // from the plugins ConfigMap, into the home on the volume.
            assert.deepEqual(init.command, [
                "sh",
                "/var/jenkins_config/plugins/install-plugins.sh",
            ]);
            const plugins = (one(r, "ConfigMap", "jenkins-plugins").inputs as Any).data;
            assert.equal(
                plugins["install-plugins.sh"],
                fs.readFileSync(
                    path.join(PROJECT_ROOT, "components/jenkins/installPlugins.sh"),
                    "utf8",
                ),
            );
            assert.equal(env(init, "PLUGIN_FILE"), "/var/jenkins_config/plugins/plugins.txt");
            assert.equal(env(init, "JENKINS_IMAGE"), "jenkins/jenkins:2.568.2-jdk21");
            assert.deepEqual(
                init.volumeMounts.map((m: Any) => `${m.name}:${m.mountPath}`),
                [
                    "plugin-file:/var/jenkins_config/plugins",
                    "jenkins-home:/var/jenkins_home",
                    "tmp:/tmp",
                ],
            );
            assert.ok(
                !t.spec.volumes.some((v: Any) => v.name === "plugins"),
                "no emptyDir over the home's plugins: they live on the volume",
            );
            assert.deepEqual(restrictedViolations(t.spec), []);
            assert.deepEqual(init.securityContext, t.spec.containers[0].securityContext);
            assert.match(checksum(r), /^[0-9a-f]{64}$/);
            const jenkins = t.spec.containers[0];
            assert.equal(env(jenkins, "CASC_JENKINS_CONFIG"), "/var/jenkins_config/casc");
            assert.equal(env(jenkins, "SECRETS"), "/run/secrets/jenkins-ceph");
            assert.match(env(jenkins, "JAVA_OPTS"), / -Djenkins\.install\.runSetupWizard=false/);
            // The password reaches the pod only as a mounted file, never as an env literal.
            assert.ok(!JSON.stringify(t).includes(PASSWORD));
            const admins = t.spec.volumes.find((v: Any) => v.name === "admin");
            assert.equal(admins.secret.secretName, "jenkins-admin");
            assert.equal(r.outputs.initialAdminPasswordCommand, undefined);
            assert.equal(r.outputs.adminUser, "admin");
        });
    }

    it("writes the base JCasC: one admin from the Secret, no anonymous access, no controller executors, the URL, the cloud", async () => {
        const r = await runOk(
            asCode(baseStack("dynamic", "csi"), {
                agents: { enabled: true },
                ingress: { host: "ci.example.com", tlsSecretName: "ci-tls" },
            }),
        );
        const base = YAML.parse(casc(r)["jenkins-ceph.yaml"]);
        assert.equal(base.jenkins.numExecutors, 0);
        assert.deepEqual(base.jenkins.securityRealm.local.users, [
            { id: "admin", name: "Jenkins Admin", password: "${jenkins-admin-password}" },
        ]);
        assert.equal(base.jenkins.securityRealm.local.allowsSignup, false);
        assert.deepEqual(base.jenkins.authorizationStrategy, {
            loggedInUsersCanDoAnything: { allowAnonymousRead: false },
        });
        assert.equal(base.unclassified.location.url, "https://ci.example.com/");
        const cloud = base.jenkins.clouds[0].kubernetes;
        assert.equal(cloud.namespace, "ci-infra");
        assert.equal(cloud.jenkinsUrl, "http://jenkins.ci-infra.svc.cluster.local:8080");
        assert.equal(cloud.jenkinsTunnel, "jenkins-agent.ci-infra.svc.cluster.local:50000");
        assert.deepEqual(cloud.podLabels, [{ key: "jenkins", value: "slave" }]);
        const template = YAML.parse(cloud.templates[0].yaml);
        assert.deepEqual(restrictedViolations(template.spec), []);
        assert.equal(
            template.spec.containers[0].image,
            "jenkins/inbound-agent:3324.vea_eda_e98cd69-1",
        );
    });

    it("uses the in-cluster URL without an ingress, and no cloud without agents", async () => {
        const r = await runOk(asCode(baseStack("static", "csi")));
        const base = YAML.parse(casc(r)["jenkins-ceph.yaml"]);
        assert.equal(
            base.unclassified.location.url,
            "http://jenkins.ci-infra.svc.cluster.local:8080/",
        );
        assert.equal(base.jenkins.clouds, undefined);
        assert.deepEqual(byKind(r, "Role"), []);
    });

    it("pins the program's base plugins and the stack's, the stack's version winning", async () => {
        const r = await runOk(
            asCode(baseStack("dynamic", "csi"), {
                agents: { enabled: true },
                plugins: ["git:5.7.0", "kubernetes:4358.vcfd9c5a_0a_f51"],
            }),
        );
        const txt = (one(r, "ConfigMap", "jenkins-plugins").inputs as Any).data["plugins.txt"];
        assert.equal(
            txt,
            "configuration-as-code:1985.vdda_32d0c4ea_b_\ngit:5.7.0\nkubernetes:4358.vcfd9c5a_0a_f51\n",
        );
    });

    it("adds the stack's JCasC files next to the program's", async () => {
        const r = await runOk(
            asCode(baseStack("dynamic", "csi"), {
                casc: { welcome: "jenkins:\n  systemMessage: Configured as code\n" },
            }),
        );
        assert.deepEqual(Object.keys(casc(r)).sort(), ["jenkins-ceph.yaml", "welcome.yaml"]);
        assert.equal(casc(r)["welcome.yaml"], "jenkins:\n  systemMessage: Configured as code\n");
    });

    it("leaves login and authorisation to a stack file that sets them, and keeps the rest", async () => {
        // The plugin's LDAP sample; the matrix entries only show a strategy of the stack's own.
        const ldap = [
            LDAP_REALM_CASC.trimEnd(),
            "  authorizationStrategy:",
            "    globalMatrix:",
            "      entries:",
            "        - group: {name: admins, permissions: [Overall/Administer]}",
            "",
        ].join("\n");
        const input = asCode(baseStack("dynamic", "csi"), { casc: { ldap } });
        input.secrets = {
            ...input.secrets,
            jenkinsSecrets: JSON.stringify({ LDAP_PASSWORD: "bind-pw" }),
        };
        const r = await runOk(input);
        const base = YAML.parse(casc(r)["jenkins-ceph.yaml"]).jenkins;
        assert.equal(base.securityRealm, undefined);
        assert.equal(base.authorizationStrategy, undefined);
        assert.equal(base.numExecutors, 0);
        const realmOnly = await runOk(
            asCode(baseStack("dynamic", "csi"), {
                casc: { ldap: "jenkins:\n  securityRealm:\n    ldap: {configurations: []}\n" },
            }),
        );
        const kept = YAML.parse(casc(realmOnly)["jenkins-ceph.yaml"]).jenkins;
        assert.equal(kept.securityRealm, undefined);
        assert.ok(
            kept.authorizationStrategy.loggedInUsersCanDoAnything,
            "authorisation stays the program's",
        );
    });

    it("puts jenkinsSecrets beside the admin's files, where JCasC reads ${NAME}", async () => {
        const input = asCode(baseStack("dynamic", "csi"), { casc: { ldap: LDAP_REALM_CASC } });
        const secret = "ldap-bind-password-value";
        input.secrets = {
            ...input.secrets,
            jenkinsSecrets: JSON.stringify({ LDAP_PASSWORD: secret }),
        };
        const r = await runOk(input);
        const admin = one(r, "Secret", "jenkins-admin");
        const data = (admin.inputs as Any).stringData as Record<string, string>;
        assert.equal(data.LDAP_PASSWORD, secret);
        assert.ok(admin.secretPaths.length > 0, "the Secret's data is a Pulumi secret");
        assert.ok(!JSON.stringify(casc(r)).includes(secret), "no secret in the JCasC files");
        const env = pod(r).spec.containers[0].env as Any[];
        assert.equal(env.find((e: Any) => e.name === "SECRETS").value, "/run/secrets/jenkins-ceph");
        for (const e of env)
            assert.ok(CONTROLLER_ENV.includes(e.name), `${e.name} is not in CONTROLLER_ENV`);
    });

    it("a plugin or JCasC change changes the checksum (the pod rolls); the same config keeps it", async () => {
        const base = await runOk(asCode(baseStack("dynamic", "csi"), { plugins: ["git:5.7.0"] }));
        const same = await runOk(asCode(baseStack("dynamic", "csi"), { plugins: ["git:5.7.0"] }));
        const plugin = await runOk(asCode(baseStack("dynamic", "csi"), { plugins: ["git:5.7.1"] }));
        const file = await runOk(
            asCode(baseStack("dynamic", "csi"), {
                plugins: ["git:5.7.0"],
                casc: { welcome: "jenkins:\n  systemMessage: hi\n" },
            }),
        );
        assert.equal(checksum(same), checksum(base));
        assert.notEqual(checksum(plugin), checksum(base));
        assert.notEqual(checksum(file), checksum(base));
    });

    it("agents in their own namespace: restricted namespace, Role and RoleBinding there, the cloud points there", async () => {
        const r = await runOk(
            asCode(baseStack("dynamic", "csi"), {
                agents: { enabled: true, namespace: "ci-agents" },
                networkPolicy: { ingressNamespace: "ingress-nginx" },
            }),
        );
        const ns = one(r, "Namespace", "ci-agents").inputs as Any;
        assert.equal(ns.metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");
        assert.equal((one(r, "Role").inputs as Any).metadata.namespace, "ci-agents");
        const rb = one(r, "RoleBinding").inputs as Any;
        assert.equal(rb.metadata.namespace, "ci-agents");
        assert.deepEqual(rb.subjects, [
            { kind: "ServiceAccount", name: "jenkins", namespace: "ci-infra" },
        ]);
        const cloud = YAML.parse(casc(r)["jenkins-ceph.yaml"]).jenkins.clouds[0].kubernetes;
        assert.equal(cloud.namespace, "ci-agents");
        // The NetworkPolicy admits agents from their namespace.
        const np = (one(r, "NetworkPolicy").inputs as Any).spec;
        const agentPeer = np.ingress[1].from[0];
        assert.deepEqual(agentPeer.namespaceSelector.matchLabels, {
            "kubernetes.io/metadata.name": "ci-agents",
        });
    });

    it("without an admin password: the wizard, no JCasC, no init container unless plugins are pinned", async () => {
        const wizard = await runOk(baseStack("dynamic", "csi"));
        assert.equal(pod(wizard).spec.initContainers, undefined);
        assert.equal(pod(wizard).metadata.annotations, undefined);
        assert.deepEqual(byKind(wizard, "ConfigMap"), []);
        assert.doesNotMatch(env(pod(wizard).spec.containers[0], "JAVA_OPTS"), /runSetupWizard/);
        assert.match(String(wizard.outputs.initialAdminPasswordCommand), /initialAdminPassword$/);

        const pinned = await runOk(
            merge(baseStack("dynamic", "csi"), "jenkins", { plugins: ["git:5.7.0"] }),
        );
        assert.equal(pod(pinned).spec.initContainers[0].name, "install-plugins");
        assert.equal(
            (one(pinned, "ConfigMap", "jenkins-plugins").inputs as Any).data["plugins.txt"],
            "git:5.7.0\n",
        );
        assert.deepEqual(
            byKind(pinned, "Secret").filter((s) => s.name.includes("admin")),
            [],
        );
    });

    it("render notes say when the wizard runs", () => {
        const { notes } = stackFileConfig("dev");
        assert.ok(
            notes.some((n) =>
                /jenkins\.adminPassword is not set: Jenkins starts with its setup wizard/.test(n),
            ),
            notes.join("\n"),
        );
    });
});

describe("configuration as code: what Jenkins chart users set", () => {
    const installer = (r: ProgramRun) => pod(r).spec.initContainers[0];

    it("pluginDownload and initContainerEnv reach only the installer: the site, the mirror, the proxy as Java's properties", async () => {
        const r = await runOk(
            merge(baseStack("dynamic", "csi"), "jenkins", {
                plugins: ["git:5.7.0"],
                pluginDownload: {
                    updateCenter: "https://uc.example.com/update-center.json",
                    downloadSite: "https://mirror.example.com/plugins/",
                    proxy: "http://proxy.example.com:3128",
                    noProxy: ["*.example.com", "10.0.0.5"],
                },
                initContainerEnv: [
                    { name: "JENKINS_PLUGIN_INFO", value: "https://uc.example.com/pv.json" },
                ],
            }),
        );
        const init = installer(r);
        assert.equal(env(init, "JENKINS_UC"), "https://uc.example.com/update-center.json");
        assert.equal(env(init, "JENKINS_UC_DOWNLOAD_URL"), "https://mirror.example.com/plugins/");
        assert.equal(
            env(init, "JAVA_OPTS"),
            "-Dhttp.proxyHost=proxy.example.com -Dhttp.proxyPort=3128 -Dhttps.proxyHost=proxy.example.com -Dhttps.proxyPort=3128 -Dhttp.nonProxyHosts=*.example.com|10.0.0.5",
        );
        assert.equal(env(init, "JENKINS_PLUGIN_INFO"), "https://uc.example.com/pv.json");
        const jenkins = pod(r).spec.containers[0];
        assert.equal(env(jenkins, "JENKINS_UC"), undefined);
        assert.equal(env(jenkins, "JENKINS_PLUGIN_INFO"), undefined);
    });

    it("without pluginDownload the installer reaches the update centre directly", async () => {
        const r = await runOk(
            merge(baseStack("static", "csi"), "jenkins", { plugins: ["git:5.7.0"] }),
        );
        for (const name of ["JENKINS_UC", "JENKINS_UC_DOWNLOAD_URL", "JAVA_OPTS"])
            assert.equal(env(installer(r), name), undefined, name);
    });

    it("containerEnv comes after the program's variables, and JCasC may read it", async () => {
        const r = await runOk(
            asCode(baseStack("dynamic", "csi"), {
                containerEnv: [{ name: "ORG_NAME", value: "Example Corp" }],
                casc: { message: "jenkins:\n  systemMessage: Jenkins of ${ORG_NAME}\n" },
            }),
        );
        const names: string[] = pod(r).spec.containers[0].env.map((e: Any) => e.name);
        assert.equal(names.at(-1), "ORG_NAME");
        for (const n of names.slice(0, -1))
            assert.ok((CONTROLLER_ENV as readonly string[]).includes(n), n);
        assert.equal(env(pod(r).spec.containers[0], "ORG_NAME"), "Example Corp");
    });

    it("imagePullSecretName goes on the pod", async () => {
        const r = await runOk(
            merge(baseStack("dynamic", "csi"), "jenkins", {
                imagePullSecretName: "registry-credentials",
            }),
        );
        assert.deepEqual(pod(r).spec.imagePullSecrets, [{ name: "registry-credentials" }]);
        const plain = await runOk(baseStack("dynamic", "csi"));
        assert.equal(pod(plain).spec.imagePullSecrets, undefined);
    });

    it("agentListenerServiceType LoadBalancer: the agent Service without the cloud, its port open to any address", async () => {
        const r = await runOk(
            merge(baseStack("dynamic", "csi"), "jenkins", {
                agentListenerServiceType: "LoadBalancer",
                networkPolicy: { ingressNamespace: "ingress-nginx" },
            }),
        );
        const svc = (one(r, "Service", "jenkins-agent").inputs as Any).spec;
        assert.equal(svc.type, "LoadBalancer");
        assert.deepEqual(svc.ports, [
            { name: "jnlp", port: 50000, targetPort: "jnlp", protocol: "TCP" },
        ]);
        assert.equal((one(r, "Service", "jenkins").inputs as Any).spec.type, "ClusterIP");
        const policy = (one(r, "NetworkPolicy").inputs as Any).spec.ingress;
        assert.deepEqual(policy[1], { ports: [{ port: 50000, protocol: "TCP" }] });
        const inCluster = await runOk(baseStack("dynamic", "csi"));
        assert.deepEqual(
            byKind(inCluster, "Service").map((s) => (s.inputs as Any).metadata.name),
            ["jenkins"],
        );
    });
});

describe("configuration as code: a URI prefix (jenkins.jenkinsUriPrefix)", () => {
    it("the probes, JENKINS_OPTS, the Ingress, JCasC's URL, the agents' URL and the outputs all follow it", async () => {
        const r = await runOk(
            asCode(baseStack("dynamic", "csi"), {
                jenkinsUriPrefix: "/jenkins",
                agents: { enabled: true },
                ingress: { host: "ci.example.com", tlsSecretName: "ci-tls" },
            }),
        );
        const jenkins = pod(r).spec.containers[0];
        for (const p of ["startupProbe", "readinessProbe", "livenessProbe"])
            assert.equal(jenkins[p].httpGet.path, "/jenkins/login", p);
        assert.match(env(jenkins, "JENKINS_OPTS"), /(^| )--prefix=\/jenkins( |$)/);
        const paths = (one(r, "Ingress").inputs as Any).spec.rules[0].http.paths;
        assert.deepEqual(
            paths.map((x: Any) => [x.path, x.pathType]),
            [["/jenkins", "Prefix"]],
        );
        const base = YAML.parse(casc(r)["jenkins-ceph.yaml"]);
        assert.equal(base.unclassified.location.url, "https://ci.example.com/jenkins/");
        assert.match(base.jenkins.clouds[0].kubernetes.jenkinsUrl, /:8080\/jenkins$/);
        assert.equal(r.outputs.externalUrl, "https://ci.example.com/jenkins/");
        assert.match(String(r.outputs.url), /:8080\/jenkins$/);
    });

    it("without it Jenkins serves at /, as before", async () => {
        const r = await runOk(baseStack("dynamic", "csi"));
        const jenkins = pod(r).spec.containers[0];
        assert.equal(jenkins.readinessProbe.httpGet.path, "/login");
        assert.doesNotMatch(env(jenkins, "JENKINS_OPTS"), /--prefix/);
    });
});

describe("configuration as code: agent pod templates", () => {
    const MAVEN = "maven:3.9.9-eclipse-temurin-21";
    const cloudOf = (r: ProgramRun) =>
        YAML.parse(casc(r)["jenkins-ceph.yaml"]).jenkins.clouds[0].kubernetes;

    it("each template is the cloud's, labelled ones only for their jobs, restricted, with its resources and nodes", async () => {
        const r = await runOk(
            asCode(baseStack("dynamic", "csi"), {
                agents: {
                    enabled: true,
                    namespace: "ci-agents",
                    templates: [
                        {
                            name: "default",
                            image: "jenkins/inbound-agent:3324.vea_eda_e98cd69-1",
                        },
                        {
                            name: "maven",
                            label: "maven java",
                            image: MAVEN,
                            resources: {
                                requests: { cpu: "1", memory: "2Gi" },
                                limits: { cpu: "2", memory: "2Gi" },
                            },
                            nodeSelector: { "kubernetes.io/arch": "amd64" },
                        },
                    ],
                },
            }),
        );
        const cloud = cloudOf(r);
        assert.deepEqual(
            cloud.templates.map((t: Any) => [t.name, t.label, t.nodeUsageMode, t.namespace]),
            [
                ["default", undefined, undefined, "ci-agents"],
                ["maven", "maven java", "EXCLUSIVE", "ci-agents"],
            ],
        );
        const maven = YAML.parse(cloud.templates[1].yaml).spec;
        assert.equal(maven.containers[0].name, "jnlp");
        assert.equal(maven.containers[0].image, MAVEN);
        assert.deepEqual(maven.containers[0].resources, {
            requests: { cpu: "1", memory: "2Gi" },
            limits: { cpu: "2", memory: "2Gi" },
        });
        assert.deepEqual(maven.nodeSelector, { "kubernetes.io/arch": "amd64" });
        assert.deepEqual(restrictedViolations(maven), []);
        assert.equal(maven.automountServiceAccountToken, false);
    });

    it("without templates, the one template default, exactly as before templates existed", async () => {
        const r = await runOk(asCode(baseStack("dynamic", "csi"), { agents: { enabled: true } }));
        const [t, ...rest] = cloudOf(r).templates;
        assert.deepEqual(rest, []);
        assert.deepEqual(Object.keys(t), ["name", "namespace", "yamlMergeStrategy", "yaml"]);
        assert.equal(t.name, "default");
        assert.deepEqual(YAML.parse(t.yaml).spec.containers[0].resources, {
            requests: { cpu: "500m", memory: "512Mi" },
            limits: { memory: "512Mi" },
        });
    });
});

describe("configuration as code: the stack's own login, and Secrets the cluster has", () => {
    const ldapStack = (extra: Record<string, unknown> = {}) =>
        merge(baseStack("dynamic", "csi"), "jenkins", {
            casc: { ldap: LDAP_REALM_CASC },
            ...extra,
        });
    const volume = (r: ProgramRun) => pod(r).spec.volumes.find((v: Any) => v.name === "admin");

    it("a stack file with its own securityRealm needs no admin password: no wizard, no local admin", async () => {
        const input = ldapStack();
        input.secrets = {
            ...input.secrets,
            jenkinsSecrets: JSON.stringify({ LDAP_PASSWORD: "bind-pw" }),
        };
        const r = await runOk(input);
        const jenkins = pod(r).spec.containers[0];
        assert.match(env(jenkins, "JAVA_OPTS"), /-Djenkins\.install\.runSetupWizard=false/);
        assert.equal(YAML.parse(casc(r)["jenkins-ceph.yaml"]).jenkins.securityRealm, undefined);
        const data = (one(r, "Secret", "jenkins-admin").inputs as Any).stringData;
        assert.deepEqual(Object.keys(data), ["LDAP_PASSWORD"], "no local admin's files");
        assert.equal(volume(r).secret.secretName, "jenkins-admin");
        assert.equal(r.outputs.initialAdminPasswordCommand, undefined);
        assert.equal(r.outputs.adminUser, undefined);
    });

    it("without any secret file there is no Secret and nothing mounted at $SECRETS", async () => {
        const r = await runOk(
            merge(baseStack("dynamic", "csi"), "jenkins", {
                casc: { oidc: "jenkins:\n  securityRealm:\n    oic: {clientId: jenkins}\n" },
            }),
        );
        assert.deepEqual(
            byKind(r, "Secret").filter((s) => s.name.includes("admin")),
            [],
        );
        assert.equal(volume(r), undefined);
        assert.ok(one(r, "ConfigMap", "jenkins-casc"));
    });

    it("adminExistingSecret: the admin's id and password are files of that Secret, projected beside the program's", async () => {
        const input = merge(baseStack("dynamic", "csi"), "jenkins", {
            adminExistingSecret: "jenkins-admin-credentials",
            existingSecrets: [{ name: "smtp", keyName: "SMTP_PASSWORD" }],
            casc: {
                mail: "unclassified:\n  mailer:\n    authentication:\n      username: ci\n      password: ${SMTP_PASSWORD}\n",
            },
        });
        input.secrets = {
            ...input.secrets,
            jenkinsSecrets: JSON.stringify({ GITHUB_TOKEN: "t0k3n" }),
        };
        const r = await runOk(input);
        const realm = YAML.parse(casc(r)["jenkins-ceph.yaml"]).jenkins.securityRealm.local;
        assert.deepEqual(realm.users, [
            {
                id: "${jenkins-admin-user}",
                name: "Jenkins Admin",
                password: "${jenkins-admin-password}",
            },
        ]);
        const data = (one(r, "Secret", "jenkins-admin").inputs as Any).stringData;
        assert.deepEqual(Object.keys(data), ["GITHUB_TOKEN"]);
        assert.deepEqual(volume(r).projected.sources, [
            { secret: { name: "jenkins-admin" } },
            {
                secret: {
                    name: "jenkins-admin-credentials",
                    items: [
                        { key: "jenkins-admin-user", path: "jenkins-admin-user" },
                        { key: "jenkins-admin-password", path: "jenkins-admin-password" },
                    ],
                },
            },
            {
                secret: {
                    name: "smtp",
                    items: [{ key: "SMTP_PASSWORD", path: "SMTP_PASSWORD" }],
                },
            },
        ]);
        assert.deepEqual(restrictedViolations(pod(r).spec), []);
    });

    it("a JCasC file may read a key of an existing Secret", async () => {
        const r = await runOk(
            asCode(baseStack("dynamic", "csi"), {
                existingSecrets: [{ name: "ldap-bind", keyName: "LDAP_PASSWORD" }],
                casc: { ldap: LDAP_REALM_CASC },
            }),
        );
        assert.equal(volume(r).projected.sources.length, 2);
    });
});

describe("configuration as code: Prometheus (jenkins.prometheus)", () => {
    const monitored = (prometheus: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
        runOk(
            asCode(baseStack("dynamic", "csi"), {
                prometheus: { enabled: true, ...prometheus },
                ...extra,
            }),
        );

    it("pins the prometheus plugin and annotates the web Service with the endpoint under the prefix", async () => {
        const r = await monitored({ serviceMonitor: false }, { jenkinsUriPrefix: "/jenkins" });
        const plugins = (one(r, "ConfigMap", "jenkins-plugins").inputs as Any).data["plugins.txt"];
        assert.match(plugins, /^prometheus:\S+$/m);
        const annotations = (one(r, "Service", "jenkins").inputs as Any).metadata.annotations;
        assert.equal(annotations["prometheus.io/scrape"], "true");
        assert.equal(annotations["prometheus.io/port"], "8080");
        assert.equal(annotations["prometheus.io/path"], "/jenkins/prometheus/");
        assert.deepEqual(
            r.resources.filter((x) => x.type.includes("ServiceMonitor")),
            [],
        );
    });

    it("serviceMonitor true: a ServiceMonitor for the web Service, with the operator's labels and the interval", async () => {
        const r = await monitored({
            serviceMonitor: true,
            scrapeInterval: "30s",
            serviceMonitorLabels: { release: "kube-prometheus-stack" },
        });
        const sm = r.resources.find(
            (x) => x.type === "kubernetes:monitoring.coreos.com/v1:ServiceMonitor",
        );
        assert.ok(sm, r.resources.map((x) => x.type).join());
        const inputs = sm.inputs as Any;
        assert.deepEqual(inputs.metadata.labels, {
            app: "jenkins",
            release: "kube-prometheus-stack",
        });
        assert.deepEqual(inputs.spec, {
            selector: { matchLabels: { app: "jenkins" } },
            endpoints: [{ port: "http", path: "/prometheus/", interval: "30s" }],
        });
    });

    it("unset serviceMonitor, and no cluster to ask: annotations only, and a warning that says so", async () => {
        const r = await monitored({});
        assert.deepEqual(
            r.resources.filter((x) => x.type.includes("ServiceMonitor")),
            [],
        );
        assert.ok(
            r.logs.some((l) =>
                /jenkins\.prometheus: the cluster could not be asked whether it has the ServiceMonitor CRD/.test(
                    l,
                ),
            ),
            r.logs.join("\n"),
        );
    });

    it("with a NetworkPolicy, scrapes are admitted from scraperNamespace", async () => {
        const r = await monitored(
            { serviceMonitor: false, scraperNamespace: "monitoring" },
            { networkPolicy: { ingressNamespace: "ingress-nginx" } },
        );
        const from = (one(r, "NetworkPolicy").inputs as Any).spec.ingress[0].from;
        assert.deepEqual(from.at(-1), {
            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } },
        });
    });

    it("off by default: no plugin, no annotations", async () => {
        const r = await runOk(asCode(baseStack("dynamic", "csi")));
        const plugins = (one(r, "ConfigMap", "jenkins-plugins").inputs as Any).data["plugins.txt"];
        assert.doesNotMatch(plugins, /^prometheus:/m);
        const annotations = (one(r, "Service", "jenkins").inputs as Any).metadata.annotations ?? {};
        assert.deepEqual(
            Object.keys(annotations).filter((k) => k.startsWith("prometheus.io/")),
            [],
        );
    });
});

describe("configuration as code: reload without a restart (jenkins.configAutoReload)", () => {
    const reloading = (extra: Record<string, unknown> = {}) =>
        runOk(
            asCode(baseStack("dynamic", "csi"), { configAutoReload: { enabled: true }, ...extra }),
        );

    it("a sidecar keeps the JCasC folder filled from the labelled ConfigMap and asks Jenkins to reload", async () => {
        const r = await reloading({ jenkinsUriPrefix: "/jenkins" });
        const spec = pod(r).spec;
        assert.deepEqual(
            spec.initContainers.map((c: Any) => c.name),
            ["install-plugins", "casc-files"],
        );
        assert.deepEqual(
            spec.containers.map((c: Any) => c.name),
            ["jenkins", "casc-reload", "infra"],
        );
        const sidecar = spec.containers[1];
        assert.equal(sidecar.image, "kiwigrid/k8s-sidecar:1.27.6");
        assert.equal(env(sidecar, "LABEL"), "jenkins-ceph/casc");
        assert.equal(env(sidecar, "LABEL_VALUE"), "jenkins");
        assert.equal(env(sidecar, "FOLDER"), "/var/jenkins_config/casc");
        assert.equal(
            env(sidecar, "REQ_URL"),
            "http://localhost:8080/jenkins/reload-configuration-as-code/?casc-reload-token=$(POD_NAME)",
        );
        assert.equal(env(spec.initContainers[1], "METHOD"), "LIST");
        const token = spec.containers[0].env.find((e: Any) => e.name === "CASC_RELOAD_TOKEN");
        assert.deepEqual(token.valueFrom, { fieldRef: { fieldPath: "metadata.name" } });
        assert.deepEqual(
            spec.volumes.find((v: Any) => v.name === "casc"),
            { name: "casc", emptyDir: {} },
        );
        assert.equal(
            (one(r, "ConfigMap", "jenkins-casc").inputs as Any).metadata.labels[
                "jenkins-ceph/casc"
            ],
            "jenkins",
        );
        assert.deepEqual(restrictedViolations(spec), []);
        // The sidecar reads ConfigMaps with the controller's account, and only that.
        assert.equal(spec.automountServiceAccountToken, true);
        const role = one(r, "Role", "jenkins-casc-reader").inputs as Any;
        assert.deepEqual(role.rules, [
            { apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list", "watch"] },
        ]);
    });

    it("a JCasC change leaves the pod template as it is; a plugin change still rolls it", async () => {
        const a = await reloading({ casc: { welcome: "jenkins:\n  systemMessage: one\n" } });
        const b = await reloading({ casc: { welcome: "jenkins:\n  systemMessage: two\n" } });
        assert.notDeepEqual(casc(a), casc(b));
        assert.deepEqual(pod(a), pod(b));
        const c = await reloading({
            casc: { welcome: "jenkins:\n  systemMessage: two\n" },
            plugins: ["git:5.7.0"],
        });
        assert.notEqual(checksum(b), checksum(c));
    });

    it("without it a JCasC change rolls the pod, as before", async () => {
        const a = await runOk(
            asCode(baseStack("dynamic", "csi"), {
                casc: { welcome: "jenkins:\n  systemMessage: one\n" },
            }),
        );
        const b = await runOk(
            asCode(baseStack("dynamic", "csi"), {
                casc: { welcome: "jenkins:\n  systemMessage: two\n" },
            }),
        );
        assert.notEqual(checksum(a), checksum(b));
        assert.equal(pod(a).spec.containers.length, 2);
    });
});
