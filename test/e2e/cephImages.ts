// What the e2e suite asks of Ceph: images and snapshots made, renamed and read as
// client.admin, a marker written into an image and read back (import-diff/export-diff),
// and an image's size as the stack's own user sees it.
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { CephCluster } from "../ceph/cluster";
import { readDiff, writeDiff } from "../ceph/rbdDiff";

/** Where writeMarker puts its text in an image. */
const MARKER_AT = 4096;

function sh(cmd: string, args: string[]) {
    const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 120_000 });
    return { ok: r.status === 0, status: r.status, out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
}

export class CephImages {
    constructor(
        private readonly ceph: { monitors: string[]; pool: string; user: string },
        private readonly workDir: string,
        /** The user's key now (a test rotates it). */
        private readonly userKey: () => string,
        /** The local cluster, for client.admin; none on a user's cluster. */
        private readonly cluster?: CephCluster,
    ) {}

    /**
     * Writes `text` at a fixed offset of the image, as client.admin (import-diff). The diff
     * carries the image's size (import-diff resizes to it), so it is read from Ceph first.
     */
    writeMarker(image: string, text: string): void {
        const size = this.cluster!.imageSize(this.ceph.pool, image);
        assert.ok(size, `no image ${image} to write a marker into`);
        const file = path.join(this.workDir, "..", `marker-${process.pid}.diff`);
        fs.writeFileSync(file, writeDiff(size, MARKER_AT, Buffer.from(text.padEnd(32))));
        try {
            const r = this.cluster!.rbdAdmin([
                "import-diff",
                "--no-progress",
                file,
                `${this.ceph.pool}/${image}`,
            ]);
            assert.equal(r.status, 0, r.stderr);
        } finally {
            fs.rmSync(file, { force: true });
        }
    }

    /** The marker writeMarker put in the image ("" when none). */
    readMarker(image: string): string {
        const file = path.join(this.workDir, "..", `export-${process.pid}.diff`);
        fs.rmSync(file, { force: true });
        try {
            const r = this.cluster!.rbdAdmin([
                "export-diff",
                "--no-progress",
                `${this.ceph.pool}/${image}`,
                file,
            ]);
            assert.equal(r.status, 0, r.stderr);
            return (readDiff(fs.readFileSync(file), MARKER_AT) ?? Buffer.alloc(0))
                .subarray(0, 32)
                .toString()
                .trim();
        } finally {
            fs.rmSync(file, { force: true });
        }
    }

    /** The image's rbd id: what identifies it whatever its name. */
    imageId(image: string): string {
        const r = this.cluster!.rbdAdmin([
            "info",
            "--format",
            "json",
            `${this.ceph.pool}/${image}`,
        ]);
        assert.equal(r.status, 0, r.stderr);
        return (JSON.parse(r.stdout) as { id: string }).id;
    }

    /** `rbd create` as client.admin (an image outside any stack). */
    createImage(image: string, size = "64M"): void {
        const r = this.cluster!.rbdAdmin(["create", `${this.ceph.pool}/${image}`, "-s", size]);
        assert.equal(r.status, 0, r.stderr);
    }

    /** Every snapshot name of the image, as Ceph lists them (client.admin). */
    snapshots(image: string): string[] {
        const r = this.cluster!.rbdAdmin([
            "snap",
            "ls",
            "--format",
            "json",
            `${this.ceph.pool}/${image}`,
        ]);
        assert.equal(r.status, 0, r.stderr);
        return (JSON.parse(r.stdout) as { name: string }[]).map((x) => x.name);
    }

    /** A snapshot made by a person (client.admin), whatever its name. */
    createSnapshot(image: string, name: string): void {
        const r = this.cluster!.rbdAdmin(["snap", "create", `${this.ceph.pool}/${image}@${name}`]);
        assert.equal(r.status, 0, r.stderr);
    }

    removeSnapshot(image: string, name: string): void {
        const r = this.cluster!.rbdAdmin(["snap", "rm", `${this.ceph.pool}/${image}@${name}`]);
        assert.equal(r.status, 0, r.stderr);
    }

    /** `rbd resize` as client.admin, as a person does it by hand (growing or shrinking). */
    resizeImage(image: string, size: string): void {
        const r = this.cluster!.rbdAdmin([
            "resize",
            "--allow-shrink",
            "--no-progress",
            "--size",
            size,
            `${this.ceph.pool}/${image}`,
        ]);
        assert.equal(r.status, 0, r.stderr);
    }

    /** `rbd rename` as client.admin: the id stays, the name changes. */
    renameImage(from: string, to: string): void {
        const r = this.cluster!.rbdAdmin([
            "rename",
            `${this.ceph.pool}/${from}`,
            `${this.ceph.pool}/${to}`,
        ]);
        assert.equal(r.status, 0, r.stderr);
    }

    /** The image's size in bytes as Ceph reports it, or undefined when it does not exist. */
    imageSize(image: string): number | undefined {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "e2e-key."));
        const keyFile = path.join(dir, "key");
        fs.writeFileSync(keyFile, this.userKey(), { mode: 0o600 });
        try {
            const r = sh("rbd", [
                "-c",
                "/dev/null",
                "-m",
                this.ceph.monitors.join(","),
                "--id",
                this.ceph.user,
                "--keyfile",
                keyFile,
                "--client-mount-timeout",
                "20",
                "info",
                "--format",
                "json",
                `${this.ceph.pool}/${image}`,
            ]);
            if (r.status === 2) return undefined;
            assert.ok(r.ok, `rbd info ${image}: ${r.out}`);
            return (JSON.parse(r.out) as { size: number }).size;
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    }
}
