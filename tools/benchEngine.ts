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
import { CephCluster, missingCephBinaries } from "../test/ceph/cluster";
import { rbdProgram } from "../components/rbd/rbdScript";

interface EngineFigures {
    devMs: number[];
    floorMs: number[];
    /** A static stack on the real Ceph, its preview reading the image (undefined: no Ceph here). */
    staticMs?: number[];
    /** The same stack with ceph.readAtPreview false. */
    staticNoReadMs?: number[];
    /** The read alone: the rbd inspect step, run as the preview runs it. */
    readMs?: number[];
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
    // The seed's monitors are not here: the snapshot step could not run at the bench's
    // `up`, nor the preview read, so the dev stack is measured with both off (the line
    // says so; the static stack below measures them against a real Ceph).
    const config = {
        ...shipped.config,
        "jenkins-ceph:volume": {
            ...shipped.config["jenkins-ceph:volume"],
            snapshots: { enabled: false },
        },
        "jenkins-ceph:ceph": { ...shipped.config["jenkins-ceph:ceph"], readAtPreview: false },
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

/** A static in-tree stack on the local Ceph, snapshots on, the preview read on. */
function staticStack(cluster: CephCluster) {
    return {
        config: {
            "jenkins-ceph:mode": "static",
            "jenkins-ceph:ceph": {
                provisioner: "in-tree",
                monitors: [cluster.monitor],
                pool: "kubes",
                user: "kube",
                timeoutSeconds: 10,
                readAtPreview: true,
            },
            "jenkins-ceph:volume": {
                size: "1Gi",
                image: "bench-static",
                pvName: "bench-static",
                protect: false,
            },
            "jenkins-ceph:jenkins": { namespace: "bench-static" },
        },
    };
}

function staticProject(dir: string, env: Record<string, string>, cluster: CephCluster) {
    run(PULUMI_CLI, ["stack", "init", "static", "--non-interactive"], dir, env);
    const file = path.join(dir, "Pulumi.static.yaml");
    const salt = YAML.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
    fs.writeFileSync(file, YAML.stringify({ ...staticStack(cluster), ...salt }));
    const args = ["config", "set", "--secret", "--stack", "static", "cephUserKey"];
    run(PULUMI_CLI, args, dir, env, cluster.userKey);
    // Only ceph.readAtPreview changes between the runs; the rest (the key) stays as set.
    const write = (read: boolean) => {
        const doc = YAML.parse(fs.readFileSync(file, "utf8")) as ReturnType<typeof staticStack>;
        doc.config["jenkins-ceph:ceph"].readAtPreview = read;
        fs.writeFileSync(file, YAML.stringify(doc));
    };
    return { write, readAlone: () => inspectAlone(cluster, dir) };
}

/** The preview read by itself: the inspect step with the stack's parameters. */
function inspectAlone(cluster: CephCluster, cwd: string): number {
    const program = rbdProgram(
        {
            monitors: [cluster.monitor],
            userId: "kube",
            timeoutSeconds: 10,
            pool: "kubes",
            image: "bench-static",
            fingerprints: { image: "", plugins: "", javaopts: "", casc: "" },
            keep: 0,
            purgeOnDelete: false,
        },
        cluster.userKey,
    );
    return run("/bin/sh", ["-s", "inspect"], cwd, {}, program);
}

export async function benchEngine(runs: number): Promise<EngineFigures> {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "jc-bench."));
    const cpDir = path.join(root, "cp");
    fs.mkdirSync(cpDir);
    const ceph = missingCephBinaries().length === 0 ? CephCluster.start(false) : undefined;
    let cluster: CephCluster | undefined;
    try {
        const kubeconfig = startControlPlane(cpDir);
        const env = engineEnv(root, kubeconfig);
        installPlugins(env);
        const dev = devProject(root, kubeconfig, env);
        const floor = floorProject(root, env);
        cluster = ceph && (await ceph);
        const stat = cluster && staticProject(dev, env, cluster);
        const pulumi = (d: string, stack: string, args: string[]) =>
            run(PULUMI_CLI, [...args, "--stack", stack, "--non-interactive"], d, env);
        const stacks: [string, string][] = [
            [dev, "dev"],
            [floor, "floor"],
        ];
        if (stat) stacks.push([dev, "static"]);
        for (const [d, st] of stacks) pulumi(d, st, ["up", "--yes", "--skip-preview"]);
        const preview = (d: string, st: string) =>
            pulumi(d, st, ["preview", "--expect-no-changes"]);
        for (const [d, st] of stacks) preview(d, st); // warm caches
        const figures: EngineFigures = { devMs: [], floorMs: [] };
        if (stat) Object.assign(figures, { staticMs: [], staticNoReadMs: [], readMs: [] });
        for (let i = 0; i < runs; i++) {
            figures.devMs.push(preview(dev, "dev"));
            figures.floorMs.push(preview(floor, "floor"));
            if (!stat) continue;
            figures.staticMs!.push(preview(dev, "static"));
            stat.write(false);
            figures.staticNoReadMs!.push(preview(dev, "static"));
            stat.write(true);
            figures.readMs!.push(stat.readAlone());
        }
        for (const [d, st] of stacks.slice(0, 2))
            pulumi(d, st, ["destroy", "--yes", "--skip-preview"]);
        return figures;
    } finally {
        stopControlPlane(cpDir);
        (cluster ?? (await ceph?.catch(() => undefined)))?.stop();
        fs.rmSync(root, { recursive: true, force: true });
    }
}
