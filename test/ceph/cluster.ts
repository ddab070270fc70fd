// Node wrapper around cluster.sh: start a throwaway Ceph cluster on free loopback
// ports, run admin commands against it, and always stop it.
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";

import { PROJECT_ROOT } from "../../cli/projectRoot";

// From the source, or from bin/ when npm run bench has compiled this file.
const SCRIPT = path.join(PROJECT_ROOT, "test", "ceph", "cluster.sh");
export const CEPH_BINARIES = ["ceph-mon", "ceph-osd", "ceph", "rbd", "ceph-authtool", "monmaptool"];

export function missingCephBinaries(): string[] {
    return CEPH_BINARIES.filter((b) => spawnSync("sh", ["-c", `command -v ${b}`]).status !== 0);
}

async function freePort(wanted = 0): Promise<number | undefined> {
    return new Promise((resolve) => {
        const srv = net.createServer();
        srv.once("error", () => resolve(undefined));
        srv.listen(wanted, "127.0.0.1", () => {
            const port = (srv.address() as net.AddressInfo).port;
            srv.close(() => resolve(port));
        });
    });
}

/**
 * A lock across processes (a file created exclusively) while a cluster chooses its ports
 * and its monitor binds them; one left by a process that died is taken over.
 */
async function portLock(): Promise<() => void> {
    const file = path.join(os.tmpdir(), "jenkins-ceph-test-ceph-ports.lock");
    for (const deadline = Date.now() + 180_000; ;) {
        try {
            fs.writeFileSync(file, String(process.pid), { flag: "wx" });
            return () => fs.rmSync(file, { force: true });
        } catch {
            let holder = 0;
            try {
                holder = Number(fs.readFileSync(file, "utf8") || 0);
            } catch {
                continue; // released meanwhile
            }
            let alive = holder > 0;
            try {
                if (alive) process.kill(holder, 0);
            } catch {
                alive = false;
            }
            if (!alive) fs.rmSync(file, { force: true });
            else if (Date.now() > deadline) throw new Error(`${file} is held by pid ${holder}`);
            else await new Promise((res) => setTimeout(res, 250));
        }
    }
}

/** An S3 endpoint on 127.0.0.1 (CephCluster.startGateway). */
export interface S3Gateway {
    endpoint: string;
    bucket: string;
    accessKey: string;
    secretKey: string;
    startSeconds: number;
}

export class CephCluster {
    private constructor(
        readonly dir: string,
        /**
         * Monitor address as a user would write it: plain host:port on the standard v1 port,
         * else with the protocol prefix, so a refused key fails fast either way.
         */
        readonly monitor: string,
        /** client.kube's key, as `ceph auth get-key` prints it. */
        readonly userKey: string,
        /** client.admin's key (the in-tree provisioner creates images as admin). */
        readonly adminKey: string,
        readonly startSeconds: number,
    ) {}

    private static one: Promise<CephCluster> | undefined;

    /** The one cluster of this process (stopSharedClusterAfterAll stops it after its file). */
    static shared(): Promise<CephCluster> {
        CephCluster.one ??= CephCluster.start();
        return CephCluster.one;
    }

    /** Stops the shared cluster, if one was started; how long that took, in seconds. */
    static async stopShared(): Promise<number | undefined> {
        const c = await CephCluster.one?.catch(() => undefined);
        CephCluster.one = undefined;
        return c?.stop();
    }

    /**
     * `standardPorts`: true takes Ceph's standard ports when they are free (the monitor is
     * then written as a user writes it, host:port); false never takes them, so that the one
     * world that needs them (the upgrade from a release that accepted only host:port) gets
     * them while other worlds run beside it.
     */
    static async start(standardPorts = true): Promise<CephCluster> {
        // npm test runs the suites in two workers: one picks ports and binds at a time.
        const unlock = await portLock();
        try {
            return await CephCluster.startUnlocked(standardPorts);
        } finally {
            unlock();
        }
    }

    private static async startUnlocked(wantStandard: boolean): Promise<CephCluster> {
        // Short path: unix socket paths are limited to ~107 characters.
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cfx."));
        // Ceph's standard ports when free: a plain host:port on any other port makes the
        // client try both protocols, and a refused key then looks like a timeout.
        let [v2, v1] = wantStandard
            ? [await freePort(3300), await freePort(6789)]
            : [undefined, undefined];
        const standardPorts = v2 !== undefined && v1 !== undefined;
        if (!standardPorts) [v2, v1] = [await freePort(), await freePort()];
        const t0 = Date.now();
        const r = spawnSync(SCRIPT, ["start", dir, String(v2), String(v1)], {
            encoding: "utf8",
            timeout: 120_000,
        });
        const key = /^KEY=(\S+)$/m.exec(r.stdout ?? "")?.[1];
        const adminKey = /^ADMINKEY=(\S+)$/m.exec(r.stdout ?? "")?.[1] ?? "";
        if (r.status !== 0 || !key) {
            spawnSync(SCRIPT, ["stop", dir]);
            throw new Error(
                `ceph cluster failed to start (exit ${r.status}):\n${r.stdout}\n${r.stderr}`,
            );
        }
        return new CephCluster(
            dir,
            standardPorts ? `127.0.0.1:${v1}` : `v1:127.0.0.1:${v1}`,
            key,
            adminKey,
            (Date.now() - t0) / 1000,
        );
    }

    /** Run `rbd` as client.admin with the cluster's conf; returns exit code and output. */
    rbdAdmin(args: string[]): { status: number | null; stdout: string; stderr: string } {
        const r = spawnSync("rbd", ["-c", path.join(this.dir, "ceph.conf"), ...args], {
            encoding: "utf8",
            timeout: 60_000,
        });
        return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    }

    /** Image size in bytes, or undefined when the image does not exist. */
    imageSize(pool: string, image: string): number | undefined {
        const r = this.rbdAdmin(["info", "--format", "json", `${pool}/${image}`]);
        if (r.status === 2) return undefined;
        if (r.status !== 0) throw new Error(`rbd info failed: ${r.stderr}`);
        return (JSON.parse(r.stdout) as { size: number }).size;
    }

    /** The cluster's fsid: what ceph-csi calls the clusterID. */
    get fsid(): string {
        const conf = fs.readFileSync(path.join(this.dir, "ceph.conf"), "utf8");
        return /^fsid = (\S+)$/m.exec(conf)![1];
    }

    /** Gives client.kube a new key (same caps) and returns it; the old key stops working. */
    rotateUserKey(): string {
        const out = execFileSync(SCRIPT, ["rotate-user-key", this.dir], {
            encoding: "utf8",
            timeout: 60_000,
        });
        const key = /^KEY=(\S+)$/m.exec(out)?.[1];
        if (!key) throw new Error(`rotate-user-key printed no key: ${out}`);
        return key;
    }

    /** Creates a pool as client.admin (client.kube gets no caps on it). */
    createPool(name: string): void {
        execFileSync(SCRIPT, ["create-pool", this.dir, name], { timeout: 120_000 });
    }

    /**
     * Ceph's RADOS Gateway on this cluster, a real S3 endpoint on 127.0.0.1 with `bucket`
     * made and a user's credentials (shared/CEPH-FIXTURE.md: it answers in about 10 s).
     */
    async startGateway(bucket: string): Promise<S3Gateway> {
        const unlock = await portLock();
        try {
            const port = await freePort();
            const t0 = Date.now();
            const r = spawnSync(SCRIPT, ["start-rgw", this.dir, String(port), bucket], {
                encoding: "utf8",
                timeout: 120_000,
            });
            const accessKey = /^ACCESS=(\S+)$/m.exec(r.stdout ?? "")?.[1];
            const secretKey = /^SECRET=(\S+)$/m.exec(r.stdout ?? "")?.[1];
            if (r.status !== 0 || !accessKey || !secretKey)
                throw new Error(`the RADOS Gateway did not start (exit ${r.status}):\n${r.stderr}`);
            const endpoint = `http://127.0.0.1:${port}`;
            const startSeconds = (Date.now() - t0) / 1000;
            return { endpoint, bucket, accessKey, secretKey, startSeconds };
        } finally {
            unlock();
        }
    }

    stopMon(): void {
        execFileSync(SCRIPT, ["stop-mon", this.dir]);
    }

    startMon(): void {
        execFileSync(SCRIPT, ["start-mon", this.dir], { timeout: 60_000 });
    }

    stop(): number {
        const t0 = Date.now();
        spawnSync(SCRIPT, ["stop", this.dir], { timeout: 60_000 });
        fs.rmSync(this.dir, { recursive: true, force: true });
        return (Date.now() - t0) / 1000;
    }
}

/** In a spec file under test/ceph: stops the process's shared cluster after all its suites. */
export function stopSharedClusterAfterAll(): void {
    after(async function () {
        this.timeout(60_000);
        const s = await CephCluster.stopShared();
        if (s !== undefined) console.log(`    ceph: cluster stop ${s.toFixed(1)}s`);
    });
}
