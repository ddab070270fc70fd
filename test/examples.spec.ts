// Every example in examples/ renders: its stack file passes the program's own validation
// and makes what its comment promises; the two-teams program makes two of everything.
import { strict as assert } from "assert";
import * as path from "path";
import * as YAML from "yaml";
import { PROJECT_ROOT } from "../cli/projectRoot";
import { render, stackFileConfig } from "../cli/render";
import { runProgram } from "../cli/mockRuntime";

const kinds = (r: Awaited<ReturnType<typeof render>>) => r.manifests.map((m) => String(m.kind));
const file = (...p: string[]) => path.join(PROJECT_ROOT, "examples", ...p);

describe("examples: each renders as promised", function () {
    this.timeout(60_000);

    it("rook: a claim on the cluster's class, no StorageClass, no Secret, no rbd step", async () => {
        const r = await render("rook", PROJECT_ROOT, file("rook", "Pulumi.rook.yaml"));
        assert.ok(kinds(r).includes("PersistentVolumeClaim"));
        assert.ok(
            !kinds(r).includes("StorageClass") && !kinds(r).includes("Secret"),
            kinds(r).join(),
        );
        const claim = r.manifests.find((m) => m.kind === "PersistentVolumeClaim") as any;
        assert.equal(claim.spec.storageClassName, "rook-ceph-block");
        assert.equal(
            r.others.filter(
                (o) => typeof o.inputs.stdin === "string" && o.inputs.stdin.includes("RBD_POOL"),
            ).length,
            0,
        );
    });

    it("in-tree: a kubernetes.io/rbd class with the admin and user Secrets", async () => {
        const r = await render("in-tree", PROJECT_ROOT, file("in-tree", "Pulumi.in-tree.yaml"));
        const sc = r.manifests.find((m) => m.kind === "StorageClass") as any;
        assert.equal(sc.provisioner, "kubernetes.io/rbd");
        const secrets = r.manifests
            .filter((m) => m.kind === "Secret")
            .map((m: any) => m.metadata.name);
        assert.deepEqual(secrets.sort(), ["ceph-secret-admin", "ceph-secret-user"]);
    });

    it("static-over-ssh: the rbd step runs over SSH on the pinned host, on the named image", async () => {
        const r = await render(
            "static-ssh",
            PROJECT_ROOT,
            file("static-over-ssh", "Pulumi.static-ssh.yaml"),
        );
        const steps = r.others.filter((o) => o.type === "command:remote:Command");
        assert.ok(steps.length >= 1, r.others.map((o) => o.type).join());
        for (const s of steps) {
            assert.equal((s.inputs.connection as any).host, "ceph-admin.example.com");
            assert.match(String(s.inputs.stdin), /^RBD_IMAGE='jenkins-ci'$/m);
        }
        const pv = r.manifests.find((m) => m.kind === "PersistentVolume") as any;
        assert.equal(pv.spec.csi.volumeHandle, "jenkins-ci");
    });

    it("two-teams: two JenkinsOnCeph in one program, each with its own namespace and class", async () => {
        const { project, config, secretKeys } = stackFileConfig("dev");
        const r = await runProgram({
            stack: "dev",
            project,
            config,
            secretKeys,
            program: file("two-teams", "index.ts"),
        });
        assert.ifError(r.error);
        const components = r.resources.filter((x) => x.type === "jenkins-ceph:index:JenkinsOnCeph");
        assert.deepEqual(components.map((c) => c.name).sort(), ["data", "web"]);
        const ns = r.resources
            .filter((x) => x.type === "kubernetes:core/v1:Namespace")
            .map((x) => (x.inputs.metadata as any).name);
        for (const team of ["web", "data"]) {
            assert.ok(ns.includes(`ci-infra-${team}`), ns.join());
            assert.ok(ns.includes(`ci-infra-${team}-ceph`), ns.join());
        }
        const names = r.resources.map((x) => `${x.type}::${x.name}`);
        assert.deepEqual(
            names.filter((n, i) => names.indexOf(n) !== i),
            [],
        );
        assert.deepEqual(Object.keys(r.outputs.urls as object).sort(), ["data", "web"]);
        // A component's rbd messages speak of its own settings; a stack's of its config keys.
        const stdin = r.resources
            .map((x) => x.inputs.stdin)
            .filter((x): x is string => typeof x === "string" && x.includes("W_SIZE="));
        assert.ok(stdin.length >= 2, `${stdin.length} rbd steps`);
        for (const p of stdin) assert.match(p, /^W_SIZE='volume\.size'$/m);
        const stack = await render("prod");
        const steps = stack.others.filter((o) => typeof o.inputs.stdin === "string");
        assert.ok(steps.length >= 2);
        for (const o of steps)
            assert.match(String(o.inputs.stdin), /^W_SIZE='jenkins-ceph:volume\.size'$/m);
    });
    // The JCasC layouts are the configuration-as-code plugin's own samples (cited in each
    // file); what a running Jenkins does with them is not checked here.
    const cascOf = (r: Awaited<ReturnType<typeof render>>) =>
        (r.manifests.find((m: any) => m.metadata.name === "jenkins-casc") as any).data;
    const deploymentOf = (r: Awaited<ReturnType<typeof render>>) =>
        r.manifests.find((m) => m.kind === "Deployment") as any;

    for (const [name, plugin, secret, realm] of [
        ["ldap", /^ldap:\S+$/m, "ldap-bind", "ldap"],
        ["oidc", /^oic-auth:\S+$/m, "oidc-client", "oic"],
    ] as const) {
        it(`${name}: login by ${realm}, no admin password, its Secret's key projected where JCasC reads it`, async () => {
            const r = await render(name, PROJECT_ROOT, file(name, `Pulumi.${name}.yaml`));
            assert.ok(!r.notes.some((n) => /setup wizard/.test(n)), r.notes.join("\n"));
            const files = cascOf(r);
            const base = YAML.parse(files["jenkins-ceph.yaml"]).jenkins;
            assert.equal(base.securityRealm, undefined, "the stack's realm, not the local admin");
            assert.ok(YAML.parse(files[`${name}.yaml`]).jenkins.securityRealm[realm]);
            const plugins = (
                r.manifests.find((m: any) => m.metadata.name === "jenkins-plugins") as any
            ).data["plugins.txt"];
            assert.match(plugins, plugin);
            const spec = deploymentOf(r).spec.template.spec;
            assert.match(
                spec.containers[0].env.find((e: any) => e.name === "JAVA_OPTS").value,
                /-Djenkins\.install\.runSetupWizard=false/,
            );
            const admin = spec.volumes.find((v: any) => v.name === "admin");
            assert.deepEqual(
                admin.projected.sources.map((x: any) => x.secret.name),
                [secret],
            );
            assert.ok(!r.manifests.some((m) => m.kind === "Secret"), "no Secret of the program's");
        });
    }

    it("oidc: the URL the provider redirects to is the Ingress's, under /jenkins", async () => {
        const r = await render("oidc", PROJECT_ROOT, file("oidc", "Pulumi.oidc.yaml"));
        const base = YAML.parse(cascOf(r)["jenkins-ceph.yaml"]);
        assert.equal(base.unclassified.location.url, "https://ci.example.com/jenkins/");
        const ingress = r.manifests.find((m) => m.kind === "Ingress") as any;
        assert.equal(ingress.spec.rules[0].http.paths[0].path, "/jenkins");
    });
});
