// `npm run test:e2e`: the real engine through the automation API against the current
// kube context and a real Ceph. For users with a cluster; skips (saying why) otherwise.
//
//   JENKINS_CEPH_E2E_CONFIG    a stack file (Pulumi.<x>.yaml shape) describing the cluster's Ceph
//   JENKINS_CEPH_E2E_USER_KEY  the Ceph user's key (never put it in the file)
//   JENKINS_CEPH_E2E_ADMIN_KEY in-tree dynamic only
//   PULUMI_HOME / PATH         where the `pulumi` CLI and its plugins are
// REQUIRE_E2E=1 turns every skip into a failure.
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { PROJECT_ROOT } from "../../scripts/mockRuntime";

const required = process.env.REQUIRE_E2E === "1";

function sh(cmd: string, args: string[], input?: string) {
    const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 120_000, input });
    return {
        ok: r.status === 0,
        out: `${r.stdout ?? ""}${r.stderr ?? ""}`.trim(),
        missing: !!r.error,
    };
}

/** Why the suite cannot run here, or undefined when it can. */
function missingPrerequisite(): string | undefined {
    // Under npm, node_modules/.bin/pulumi is a downloader: it must actually answer.
    const cli = sh("pulumi", ["version"]);
    if (!cli.ok || !/^v?\d+\.\d+\.\d+/m.test(cli.out)) {
        return `the pulumi CLI cannot run here (\`pulumi version\`: ${cli.missing ? "not found" : cli.out.split("\n").pop()})`;
    }
    if (sh("kubectl", ["version", "--client"]).missing) return "`kubectl` is not on PATH";
    const cluster = sh("kubectl", ["get", "--raw", "/readyz", "--request-timeout=10s"]);
    if (!cluster.ok)
        return `no reachable cluster in the current kube context (${cluster.out.split("\n")[0]})`;
    if (!process.env.JENKINS_CEPH_E2E_CONFIG)
        return "JENKINS_CEPH_E2E_CONFIG (a stack file for the cluster's Ceph) is not set";
    if (!process.env.JENKINS_CEPH_E2E_USER_KEY) return "JENKINS_CEPH_E2E_USER_KEY is not set";
    if (sh("rbd", ["--version"]).missing)
        return "`rbd` is not installed (needed to check the image survives)";
    return undefined;
}

function kubectlJson(args: string[]): any {
    const r = sh("kubectl", [...args, "-o", "json"]);
    assert.ok(r.ok, r.out);
    return JSON.parse(r.out);
}

describe("e2e: pulumi up/destroy through the automation API", function () {
    this.timeout(30 * 60_000);
    let stack: Stack | undefined;
    let cfg: Record<string, any>;
    let backend: string;
    let imageName = "";

    before(async function () {
        const why = missingPrerequisite();
        if (why) {
            if (required) throw new Error(`e2e prerequisites missing and REQUIRE_E2E=1: ${why}`);
            console.log(`    SKIP: ${why}`);
            this.skip();
        }
        const file = YAML.parse(fs.readFileSync(process.env.JENKINS_CEPH_E2E_CONFIG!, "utf8")) as {
            config: Record<string, any>;
        };
        cfg = file.config;
        backend = fs.mkdtempSync(path.join(os.tmpdir(), "jenkins-ceph-e2e."));
        stack = await LocalWorkspace.createOrSelectStack(
            { stackName: `e2e-${process.pid}`, workDir: PROJECT_ROOT },
            {
                envVars: {
                    PULUMI_BACKEND_URL: `file://${backend}`,
                    PULUMI_CONFIG_PASSPHRASE: "e2e-throwaway",
                },
            },
        );
        for (const [k, v] of Object.entries(cfg)) {
            const value = typeof v === "string" ? v : JSON.stringify(v);
            await stack.setConfig(k, { value });
        }
        // A throwaway stack must be destroyable.
        const volume = { ...(cfg["jenkins-ceph:volume"] ?? {}), protect: false };
        await stack.setConfig("jenkins-ceph:volume", { value: JSON.stringify(volume) });
        await stack.setConfig("jenkins-ceph:cephUserKey", {
            value: process.env.JENKINS_CEPH_E2E_USER_KEY!,
            secret: true,
        });
        if (process.env.JENKINS_CEPH_E2E_ADMIN_KEY) {
            await stack.setConfig("jenkins-ceph:cephAdminKey", {
                value: process.env.JENKINS_CEPH_E2E_ADMIN_KEY,
                secret: true,
            });
        }
    });

    after(async () => {
        if (stack) {
            await stack.destroy({ onOutput: () => undefined }).catch(() => undefined);
            await stack.workspace.removeStack(stack.name).catch(() => undefined);
        }
        if (backend) fs.rmSync(backend, { recursive: true, force: true });
    });

    it("preview plans creates only", async () => {
        const p = await stack!.preview();
        assert.ok((p.changeSummary.create ?? 0) >= 7, JSON.stringify(p.changeSummary));
        assert.equal(p.changeSummary.delete ?? 0, 0);
    });

    it("up: the Deployment becomes available and the PVC is Bound", async () => {
        const up = await stack!.up({ onOutput: (o) => process.stdout.write(o) });
        const ns = String(up.outputs.namespace.value);
        const pvc = kubectlJson(["-n", ns, "get", "pvc", String(up.outputs.pvcName.value)]);
        assert.equal(pvc.status.phase, "Bound");
        const deploy = kubectlJson([
            "-n",
            ns,
            "get",
            "deployment",
            String(up.outputs.serviceName.value),
        ]);
        assert.equal(deploy.status.availableReplicas, 1);
        const pv = kubectlJson(["get", "pv", pvc.spec.volumeName]);
        imageName =
            pv.spec.csi?.volumeHandle && pv.spec.csi.volumeAttributes?.imageName
                ? pv.spec.csi.volumeAttributes.imageName
                : (pv.spec.rbd?.image ?? pv.spec.csi?.volumeHandle);
        assert.ok(imageName, "the PV names its rbd image");
    });

    it("up again changes nothing", async () => {
        const again = await stack!.up();
        const changes = Object.entries(again.summary.resourceChanges ?? {}).filter(
            ([k]) => k !== "same",
        );
        assert.deepEqual(changes, []);
    });

    it("destroy leaves the rbd image in place", async () => {
        await stack!.destroy();
        const ceph = cfg["jenkins-ceph:ceph"];
        const keyDir = fs.mkdtempSync(path.join(os.tmpdir(), "e2e-key."));
        const keyFile = path.join(keyDir, "key");
        fs.writeFileSync(keyFile, process.env.JENKINS_CEPH_E2E_USER_KEY!, { mode: 0o600 });
        try {
            const r = sh("rbd", [
                "-c",
                "/dev/null",
                "-m",
                ceph.monitors.join(","),
                "--id",
                ceph.user,
                "--keyfile",
                keyFile,
                "--client-mount-timeout",
                "20",
                "info",
                `${ceph.pool}/${imageName}`,
            ]);
            assert.ok(r.ok, `rbd image ${ceph.pool}/${imageName} is gone: ${r.out}`);
        } finally {
            fs.rmSync(keyDir, { recursive: true, force: true });
        }
    });
});
