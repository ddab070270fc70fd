// The engine line of `npm run bench`: a no-change `pulumi preview` of the dev stack on
// the real CLI, language host and Kubernetes provider against the local control plane,
// beside the engine's own floor: a one-Namespace JavaScript program on the same CLI,
// backend and cluster. Interleaved runs, medians.
//
// The dev stack is dynamic + csi, and no csi driver runs here; so that its `up` can
// finish, the claim is pre-bound to a hand-made PV, as the driver would have bound it.
// The preview measured after that is exactly what a user waits for on a deployed stack.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import {
    engineEnv,
    installPlugins,
    controlPlaneMissing,
    projectDir,
    PROJECT_ROOT,
    PULUMI_CLI,
    startControlPlane,
    stopControlPlane,
    TOOLCHAIN,
} from "./toolchain";
import { STAND_IN_CEPH_KEY } from "../cli/standIns";

interface EngineFigures {
    devMs: number[];
    floorMs: number[];
}

const FLOOR_PROGRAM = `"use strict";
const k8s = require("@pulumi/kubernetes");
new k8s.core.v1.Namespace("floor", { metadata: { name: "bench-floor" } });
`;

function run(
    cmd: string,
    args: string[],
    cwd: string,
    env: Record<string, string>,
    input?: string,
) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(cmd, args, {
        cwd,
        env: { ...process.env, ...env },
        encoding: "utf8",
        input,
        timeout: 600_000,
    });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) {
        const tail = `${r.stdout}\n${r.stderr}`.trim().split("\n").slice(-15).join("\n");
        throw new Error(`${path.basename(cmd)} ${args.join(" ")} failed:\n${tail}`);
    }
    return ms;
}

interface DevStackFile {
    config: Record<string, { namespace?: string; size?: string; storageClassName?: string }>;
}

/** The PV the dev stack's claim binds to (what the csi driver would have provisioned). */
function devVolume(dev: DevStackFile): string {
    const c = dev.config;
    return YAML.stringify({
        apiVersion: "v1",
        kind: "PersistentVolume",
        metadata: { name: "bench-dev-volume" },
        spec: {
            capacity: { storage: c["jenkins-ceph:volume"]?.size ?? "100Gi" },
            accessModes: ["ReadWriteOnce"],
            persistentVolumeReclaimPolicy: "Retain",
            storageClassName: c["jenkins-ceph:ceph"]?.storageClassName ?? "ceph",
            claimRef: {
                namespace: c["jenkins-ceph:jenkins"]?.namespace ?? "ci-infra",
                name: "jenkins",
            },
            csi: { driver: "rbd.csi.ceph.com", volumeHandle: "bench-dev-volume" },
        },
    });
}

/** Why the engine bench cannot run here, or undefined. */
export function engineBenchMissing(): string | undefined {
    return controlPlaneMissing(true);
}

/** The dev stack as shipped, its claim pre-bound, its key a stand-in, snapshots off. */
function devProject(root: string, kubeconfig: string, env: Record<string, string>): string {
    const shipped = YAML.parse(
        fs.readFileSync(path.join(PROJECT_ROOT, "Pulumi.dev.yaml"), "utf8"),
    ) as DevStackFile;
    const kubectl = path.join(TOOLCHAIN.kubernetes, "kubectl");
    run(kubectl, ["--kubeconfig", kubeconfig, "apply", "-f", "-"], root, env, devVolume(shipped));
    const dev = projectDir(root);
    run(PULUMI_CLI, ["stack", "init", "dev", "--non-interactive"], dev, env);
    const file = path.join(dev, "Pulumi.dev.yaml");
    const salted = YAML.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
    // No Ceph here: the snapshot step (rbd against the seed's monitors) could not run
    // at the bench's `up`, so the dev stack is measured with it off (the line says so).
    const config = {
        ...shipped.config,
        "jenkins-ceph:volume": {
            ...shipped.config["jenkins-ceph:volume"],
            snapshots: { enabled: false },
        },
    };
    fs.writeFileSync(file, YAML.stringify({ ...shipped, ...salted, config }));
    run(PULUMI_CLI, ["config", "set", "--secret", "cephUserKey"], dev, env, STAND_IN_CEPH_KEY);
    return dev;
}

/** The engine's floor: a one-Namespace JavaScript program on the same CLI and backend. */
function floorProject(root: string, env: Record<string, string>): string {
    const floor = path.join(root, "floor");
    fs.mkdirSync(floor);
    fs.writeFileSync(
        path.join(floor, "Pulumi.yaml"),
        "name: floor\nruntime:\n    name: nodejs\n    options:\n        typescript: false\n",
    );
    fs.writeFileSync(path.join(floor, "index.js"), FLOOR_PROGRAM);
    fs.writeFileSync(path.join(floor, "package.json"), '{"name":"floor","main":"index.js"}\n');
    fs.symlinkSync(path.join(PROJECT_ROOT, "node_modules"), path.join(floor, "node_modules"));
    run(PULUMI_CLI, ["stack", "init", "floor", "--non-interactive"], floor, env);
    return floor;
}

export function benchEngine(runs: number): EngineFigures {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "jc-bench."));
    const cpDir = path.join(root, "cp");
    fs.mkdirSync(cpDir);
    try {
        const kubeconfig = startControlPlane(cpDir);
        const env = engineEnv(root, kubeconfig);
        installPlugins(env);
        const dev = devProject(root, kubeconfig, env);
        const floor = floorProject(root, env);
        for (const d of [dev, floor]) {
            run(PULUMI_CLI, ["up", "--yes", "--skip-preview", "--non-interactive"], d, env);
        }
        const preview = (d: string) =>
            run(PULUMI_CLI, ["preview", "--expect-no-changes", "--non-interactive"], d, env);
        preview(dev); // warm caches
        preview(floor);
        const figures: EngineFigures = { devMs: [], floorMs: [] };
        for (let i = 0; i < runs; i++) {
            figures.devMs.push(preview(dev));
            figures.floorMs.push(preview(floor));
        }
        for (const d of [dev, floor]) {
            run(PULUMI_CLI, ["destroy", "--yes", "--skip-preview", "--non-interactive"], d, env);
        }
        return figures;
    } finally {
        stopControlPlane(cpDir);
        fs.rmSync(root, { recursive: true, force: true });
    }
}
