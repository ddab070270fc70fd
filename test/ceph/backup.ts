// The backup program (components/backup/jenkinsBackup.py) against a real Ceph and a real S3
// endpoint: Ceph's RADOS Gateway on the same throwaway cluster. It runs as the CLIs run it
// (`python3 -`, the program and its settings with the secrets on standard input). A marker
// is written, backed up, changed twice (two incrementals); the image and all its snapshots
// are then deleted, and the chosen backup comes back byte for byte.
import { strict as assert } from "assert";
import { createHash } from "crypto";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { BackupTarget } from "../../components/backup/backupProgram";
import { backupTargetOn, runBackupOn } from "./backupOn";
import { CephCluster, missingCephBinaries, S3Gateway } from "./cluster";
import { writeDiff } from "./rbdDiff";

const required = process.env.CI === "true" || process.env.REQUIRE_CEPH === "1";
const MARKER_AT = 5 * 1024 * 1024;
const SIZE = 64 * 1024 * 1024;
const ENCRYPTION_KEY = "correct horse battery staple, twice";

/** Why the backup suite cannot run here, or undefined. */
function missingParts(): string | undefined {
    const missing = missingCephBinaries();
    for (const bin of ["radosgw", "radosgw-admin", "python3", "gpg", "curl"]) {
        if (spawnSync("sh", ["-c", `command -v ${bin}`]).status !== 0) missing.push(bin);
    }
    return missing.length ? `missing ${missing.join(", ")}` : undefined;
}

describe("backups to S3 (Ceph's RADOS Gateway) against a real Ceph cluster", function () {
    this.timeout(300_000);
    let cluster: CephCluster;
    let s3: S3Gateway;
    let tmp = "";
    const image = `jenkins-backup-${process.pid}`;
    /** The image's sha256 right after each backup, by backup ID. */
    const hashes = new Map<string, string>();
    const ids: string[] = [];

    before(async function () {
        const why = missingParts();
        if (why) {
            if (required) throw new Error(`${why}; CI/REQUIRE_CEPH makes this a failure`);
            console.log(`    SKIP: ${why}`);
            this.skip();
        }
        cluster = await CephCluster.shared();
        s3 = await cluster.startGateway("jenkins-backups");
        console.log(`    rgw: up in ${s3.startSeconds.toFixed(1)}s at ${s3.endpoint}`);
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "backup-it."));
        const r = cluster.rbdAdmin(["create", "--size", "64M", `kubes/${image}`]);
        assert.equal(r.status, 0, r.stderr);
    });

    after(function () {
        if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    });

    function target(prefix: string, extra: Partial<BackupTarget["backup"]> = {}): BackupTarget {
        return backupTargetOn(cluster, s3, image, prefix, {
            timeoutSeconds: 10,
            chainLength: extra.chainLength ?? 5,
            keep: extra.keep,
        });
    }

    async function run(t: BackupTarget, args: string[], encryptionKey?: string) {
        const r = await runBackupOn(cluster, s3, t, args, encryptionKey);
        for (const secret of [cluster.userKey, s3.secretKey, ENCRYPTION_KEY]) {
            assert.ok(!`${r.stdout}${r.stderr}`.includes(secret), "a secret in the output");
        }
        return r;
    }

    function writeMarker(text: string): void {
        const file = path.join(tmp, "marker.diff");
        fs.writeFileSync(file, writeDiff(SIZE, MARKER_AT, Buffer.from(text.padEnd(32))));
        const r = cluster.rbdAdmin(["import-diff", "--no-progress", file, `kubes/${image}`]);
        assert.equal(r.status, 0, r.stderr);
    }

    /** The image's whole content: its sha256 and the marker in it. */
    function content(spec: string): { sha256: string; marker: string } {
        const file = path.join(tmp, "export.raw");
        fs.rmSync(file, { force: true });
        const r = cluster.rbdAdmin(["export", "--no-progress", spec, file]);
        assert.equal(r.status, 0, r.stderr);
        const data = fs.readFileSync(file);
        const marker = data
            .subarray(MARKER_AT, MARKER_AT + 32)
            .toString()
            .trim();
        return { sha256: createHash("sha256").update(data).digest("hex"), marker };
    }

    const images = () => cluster.rbdAdmin(["ls", "kubes"]).stdout.trim().split("\n").sort();

    async function backupNow(t: BackupTarget, encryptionKey?: string): Promise<string> {
        const r = await run(t, ["backup", "--yes"], encryptionKey);
        assert.equal(r.code, 0, r.stderr);
        const id = /^backup (\S+) of /m.exec(r.stdout)?.[1];
        assert.ok(id, r.stdout);
        hashes.set(id, content(`kubes/${image}`).sha256);
        return id;
    }

    it("backs up a full export, then two incrementals, and lists each with its ID first", async () => {
        const t = target("plain/");
        const dry = await run(t, ["backup"]);
        assert.equal(dry.code, 0, dry.stderr);
        assert.match(dry.stdout, /would back up kubes\/\S+: full \(a new chain\) \(dry run/);
        for (const marker of ["marker-one", "marker-two", "marker-three"]) {
            writeMarker(marker);
            ids.push(await backupNow(t));
        }
        const list = await run(t, ["list"]);
        const lines = list.stdout.trim().split("\n");
        assert.deepEqual(
            lines.map((l) => l.split(/\s+/)[0]),
            ids,
        );
        assert.deepEqual(
            lines.map((l) => l.split(/\s+/)[2]),
            ["full", "incremental", "incremental"],
        );
        const full = Number(lines[0].split(/\s+/)[3]);
        const incremental = Number(lines[2].split(/\s+/)[3]);
        console.log(`    sizes: full ${full} bytes, incremental ${incremental} bytes`);
        // Only the base of the next incremental stays on the image; the rest are in the bucket.
        const snaps = cluster.rbdAdmin(["snap", "ls", `kubes/${image}`]).stdout;
        assert.equal(snaps.match(/-backup\b/g)?.length, 1, snaps);
    });

    it("restores the chosen backup byte for byte after the image and its snapshots are gone", async () => {
        const t = target("plain/");
        const purge = cluster.rbdAdmin(["snap", "purge", `kubes/${image}`]);
        assert.equal(purge.status, 0, purge.stderr);
        assert.equal(cluster.rbdAdmin(["rm", "--no-progress", `kubes/${image}`]).status, 0);
        const dry = await run(t, ["restore", "--from-backup", ids[1], "--to", `${image}-b`]);
        assert.equal(dry.code, 0, dry.stderr);
        assert.ok(!images().includes(`${image}-b`), "a dry run writes nothing");
        const r = await run(t, ["restore", "--from-backup", ids[1], "--to", `${image}-b`, "--yes"]);
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(content(`kubes/${image}-b`), {
            sha256: hashes.get(ids[1]),
            marker: "marker-two",
        });
        // The stack's own image, rebuilt from nothing: the newest backup in its place.
        const home = await run(t, ["restore", "--from-backup", ids[2], "--into-stack", "--yes"]);
        assert.equal(home.code, 0, home.stderr);
        assert.deepEqual(content(`kubes/${image}`), {
            sha256: hashes.get(ids[2]),
            marker: "marker-three",
        });
        const again = await run(t, [
            "restore",
            "--from-backup",
            ids[1],
            "--to",
            `${image}-b`,
            "--yes",
        ]);
        assert.equal(again.code, 1);
        assert.match(again.stderr, /exists already; --to names a new image; nothing was written/);
    });

    it("restores into the stack's image, keeping the image it replaces whole", async () => {
        const t = target("plain/");
        writeMarker("written-after");
        const before = content(`kubes/${image}`);
        const r = await run(t, ["restore", "--from-backup", ids[0], "--into-stack", "--yes"]);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(content(`kubes/${image}`).marker, "marker-one");
        const kept = /kept whole as kubes\/(\S+), with the safety snapshot /.exec(r.stdout)?.[1];
        assert.ok(kept && images().includes(kept), r.stdout);
        assert.deepEqual(content(`kubes/${kept}`), before);
    });

    it("encrypts with backupEncryptionKey, and refuses a wrong or missing key before writing", async () => {
        const t = target("sealed/");
        writeMarker("sealed-one");
        const id = await backupNow(t, ENCRYPTION_KEY);
        const list = await run(t, ["list"]);
        assert.match(list.stdout, new RegExp(`^${id} .* encrypted$`, "m"));
        const before = images();
        const wrong = await run(
            t,
            ["restore", "--from-backup", id, "--to", `${image}-s`, "--yes"],
            "another key of twenty chars",
        );
        assert.equal(wrong.code, 1);
        assert.match(
            wrong.stderr,
            /is not the key backup \S+ was encrypted with; nothing was written/,
        );
        const none = await run(t, ["restore", "--from-backup", id, "--to", `${image}-s`, "--yes"]);
        assert.match(
            none.stderr,
            /is encrypted and no backupEncryptionKey is set; nothing was written/,
        );
        assert.deepEqual(images(), before);
        const right = await run(
            t,
            ["restore", "--from-backup", id, "--to", `${image}-s`, "--yes"],
            ENCRYPTION_KEY,
        );
        assert.equal(right.code, 0, right.stderr);
        assert.deepEqual(content(`kubes/${image}-s`), {
            sha256: hashes.get(id),
            marker: "sealed-one",
        });
    });

    it("refuses a missing or damaged object with nothing written, and verify says so", async () => {
        const t = target("damaged/");
        writeMarker("damaged-one");
        await backupNow(t);
        writeMarker("damaged-two");
        const id = await backupNow(t);
        const ok = await run(t, ["verify"]);
        assert.equal(ok.code, 0, ok.stderr);
        assert.match(
            ok.stdout,
            new RegExp(`^verify passed: backup ${id} restores to .* byte for byte`, "m"),
        );
        const before = images();
        const chain = id.split("-")[0];
        s3Object("corrupt", `damaged/${chain}/2.diff`);
        const bad = await run(t, ["restore", "--from-backup", id, "--to", `${image}-d`, "--yes"]);
        assert.equal(bad.code, 1);
        assert.match(bad.stderr, /does not match its checksum .* nothing else was written/);
        assert.deepEqual(images(), before, "the scratch image is gone, no image was made");
        const failed = await run(t, ["verify"]);
        assert.equal(failed.code, 1);
        assert.equal(failed.stderr.trim().split("\n").length, 1, failed.stderr);
        s3Object("delete", `damaged/${chain}/1.diff`);
        const gone = await run(t, ["restore", "--from-backup", id, "--to", `${image}-d`, "--yes"]);
        assert.match(gone.stderr, /is missing from the bucket; nothing was written/);
        assert.deepEqual(images(), before);
    });

    it("starts a new chain every chainLength backups and keeps backup.keep chains", async () => {
        const t = target("chains/", { chainLength: 2, keep: { chains: 2 } });
        for (let i = 0; i < 5; i++) {
            writeMarker(`chain-${i}`);
            await backupNow(t);
        }
        const lines = (await run(t, ["list"])).stdout.trim().split("\n");
        assert.deepEqual(
            lines.map((l) => l.split(/\s+/)[2]),
            ["full", "incremental", "full"],
            "five backups in chains of 2: the oldest chain is removed, two remain",
        );
    });

    /** Damages or removes one object in the bucket, as a lost or bit-rotted copy would. */
    function s3Object(op: "corrupt" | "delete", key: string): void {
        const script = `
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("jb", sys.argv[1]); jb = importlib.util.module_from_spec(spec); spec.loader.exec_module(jb)
s3 = jb.S3(json.loads(sys.stdin.read()))
if sys.argv[2] == "corrupt":
    data = bytearray(s3.get(sys.argv[3])); data[len(data) // 2] ^= 1; s3.put(sys.argv[3], bytes(data))
else:
    s3.delete(sys.argv[3])
`;
        const program = path.join(__dirname, "../../components/backup/jenkinsBackup.py");
        const r = spawnSync("python3", ["-c", script, program, op, key], {
            input: JSON.stringify({ ...s3, accessKey: s3.accessKey, secretKey: s3.secretKey }),
            encoding: "utf8",
        });
        assert.equal(r.status, 0, r.stderr);
    }
});
