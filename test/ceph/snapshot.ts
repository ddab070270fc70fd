// The snapshot and restore steps against a real Ceph: a marker written into the image
// comes back after a restore, retention keeps the newest N of this program's snapshots
// and nothing else, and every refusal changes nothing.
import { strict as assert } from "assert";
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { rbdProgram, RbdScriptParams, SnapshotParams } from "../../components/rbd/rbdScript";
import { parseSnapshots } from "../../components/rbd/jenkinsSnapshot";
import { parseInspect } from "../../components/rbd/imageFacts";
import { snapshotReason } from "../../settings/rbdPlan";
import { CephCluster, missingCephBinaries } from "./cluster";
import { readDiff, writeDiff } from "./rbdDiff";

const required = process.env.CI === "true" || process.env.REQUIRE_CEPH === "1";
const MARKER_AT = 4096;

describe("snapshot and restore steps against a real Ceph cluster", function () {
    this.timeout(240_000);
    let cluster: CephCluster | undefined;
    let tmp = "";
    const image = `jenkins-snap-${process.pid}`;
    const fp = { image: "a1", plugins: "b1", javaopts: "c1", casc: "d1" };

    before(async function () {
        const missing = missingCephBinaries();
        if (missing.length > 0) {
            const why = `Ceph binaries missing (${missing.join(", ")})`;
            if (required) throw new Error(`${why}; CI/REQUIRE_CEPH makes this a failure`);
            console.log(`    SKIP: ${why}`);
            this.skip();
        }
        cluster = await CephCluster.shared();
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "snap-it."));
        const r = cluster.rbdAdmin(["create", "--size", "64M", `kubes/${image}`]);
        assert.equal(r.status, 0, r.stderr);
    });

    after(function () {
        if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    });

    function run(step: string, extra: Partial<SnapshotParams> = {}) {
        const params: SnapshotParams = {
            pool: "kubes",
            image,
            monitors: [cluster!.monitor],
            userId: "kube",
            timeoutSeconds: 10,
            fingerprints: fp,
            keep: 5,
            purgeOnDelete: false,
            ...extra,
        };
        const r = spawnSync("sh", ["-s", step], {
            input: rbdProgram(params, cluster!.userKey),
            encoding: "utf8",
            timeout: 120_000,
        });
        assert.ok(!r.stdout.includes(cluster!.userKey) && !r.stderr.includes(cluster!.userKey));
        return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    }

    function writeMarker(text: string): void {
        const file = path.join(tmp, "marker.diff");
        fs.writeFileSync(
            file,
            writeDiff(64 * 1024 * 1024, MARKER_AT, Buffer.from(text.padEnd(32))),
        );
        const r = cluster!.rbdAdmin(["import-diff", "--no-progress", file, `kubes/${image}`]);
        assert.equal(r.status, 0, r.stderr);
    }

    function readMarker(): string {
        const file = path.join(tmp, "export.diff");
        fs.rmSync(file, { force: true });
        const r = cluster!.rbdAdmin(["export-diff", "--no-progress", `kubes/${image}`, file]);
        assert.equal(r.status, 0, r.stderr);
        return (readDiff(fs.readFileSync(file), MARKER_AT) ?? Buffer.alloc(0))
            .subarray(0, 32)
            .toString()
            .trim();
    }

    const names = (stdout: string) => parseSnapshots(stdout).map((s) => s.reason);
    const allSnaps = () =>
        (
            JSON.parse(
                cluster!.rbdAdmin(["snap", "ls", "--format", "json", `kubes/${image}`]).stdout,
            ) as { name: string }[]
        ).map((s) => s.name);

    it("takes an initial snapshot, then one per change, naming what changed; none when nothing did", async () => {
        writeMarker("marker-1");
        const first = run("snapshot");
        assert.equal(first.code, 0, first.stderr);
        assert.deepEqual(names(first.stdout), ["initial"]);
        const same = run("snapshot");
        assert.match(
            same.stdout,
            /nothing Jenkins runs on changed since the last snapshot; none taken/,
        );
        assert.deepEqual(names(same.stdout), ["initial"]);
        // Names carry the second they were taken in: the next one is a second later.
        await new Promise((res) => setTimeout(res, 1100));
        fp.image = "a2";
        const second = run("snapshot");
        assert.deepEqual(names(second.stdout), ["initial", "image"]);
        const [, taken] = parseSnapshots(second.stdout);
        assert.match(taken.name, /^jenkins-ceph-\d{8}T\d{6}Z-image$/);
        assert.match(taken.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    });

    it("restore brings the marker back, after a safety snapshot of the state it replaces", async () => {
        const before = parseSnapshots(run("snapshot").stdout).at(-1)!.name;
        writeMarker("marker-2");
        assert.equal(readMarker(), "marker-2");
        const r = run("restore", { restore: before });
        assert.equal(r.code, 0, r.stderr);
        assert.equal(readMarker(), "marker-1");
        assert.match(r.stdout, /snapshot jenkins-ceph-\d{8}T\d{6}Z-pre-restore taken/);
        const safety = allSnaps().find((n) => n.endsWith("-pre-restore"));
        assert.ok(safety, "the restore's own safety snapshot exists");
        // And the restore itself can be undone.
        await new Promise((res) => setTimeout(res, 1100));
        const undo = run("restore", { restore: safety });
        assert.equal(undo.code, 0, undo.stderr);
        assert.equal(readMarker(), "marker-2");
    });

    it("restore refuses a snapshot it does not know, and changes nothing", () => {
        const snaps = allSnaps();
        const r = run("restore", { restore: "jenkins-ceph-20200101T000000Z-image" });
        assert.notEqual(r.code, 0);
        assert.match(
            r.stderr,
            /has no snapshot jenkins-ceph-20200101T000000Z-image made by this program; nothing was changed/,
        );
        assert.deepEqual(allSnaps(), snaps);
    });

    it("inspect (the preview's and the takeover's read-only look): id, size, features, watchers, this program's snapshots and image-meta; a missing image is a fact, not an error", () => {
        const admin = (args: string[]) =>
            JSON.parse(cluster!.rbdAdmin([...args, "--format", "json", `kubes/${image}`]).stdout);
        const info = admin(["info"]) as { id: string; features: string[] };
        // A snapshot of another name, which this program never lists.
        assert.equal(cluster!.rbdAdmin(["snap", "create", `kubes/${image}@by-hand`]).status, 0);
        const r = run("inspect");
        assert.equal(r.code, 0, r.stderr);
        const facts = parseInspect(r.stdout);
        assert.ok(facts.exists);
        assert.deepEqual(
            [facts.id, facts.sizeBytes, facts.features, facts.watchers],
            [info.id, 64 * 1024 * 1024, info.features, []],
        );
        assert.deepEqual(
            facts.snapshots,
            parseSnapshots(run("list").stdout).map((x) => x.name),
        );
        assert.ok(facts.snapshots.length > 0 && !facts.snapshots.includes("by-hand"));
        assert.deepEqual(facts.meta, admin(["image-meta", "list"]));
        // The preview's reason agrees with the snapshot step's: the fingerprints it set.
        assert.equal(snapshotReason(fp, facts.meta), "");
        assert.equal(snapshotReason({ ...fp, plugins: "b2" }, facts.meta), "plugins");
        // The preview asks only for what its plan needs: fewer rbd calls, the same facts.
        const lean = run("inspect", { inspect: { watchers: false, meta: false } });
        assert.equal(lean.code, 0, lean.stderr);
        assert.doesNotMatch(lean.stdout, /^(status|meta): /m);
        assert.deepEqual(parseInspect(lean.stdout), { ...facts, meta: {} });
        assert.equal(cluster!.rbdAdmin(["snap", "rm", `kubes/${image}@by-hand`]).status, 0);
        const missing = run("inspect", { image: "no-such-image" });
        assert.equal(missing.code, 0, missing.stderr);
        assert.equal(missing.stdout.trim(), "exists: no");
        const pool = run("inspect", { pool: "no-such-pool" });
        assert.notEqual(pool.code, 0);
        assert.match(pool.stderr, /pool 'no-such-pool' does not exist/);
    });

    it("restore refuses while a client still has the image open (the pod holds the volume)", async () => {
        const info = JSON.parse(
            cluster!.rbdAdmin(["info", "--format", "json", `kubes/${image}`]).stdout,
        ) as { id: string };
        let watcher: ChildProcess | undefined;
        try {
            watcher = spawn(
                "rados",
                [
                    "-c",
                    path.join(cluster!.dir, "ceph.conf"),
                    "-p",
                    "kubes",
                    "watch",
                    `rbd_header.${info.id}`,
                ],
                // stdin stays open: rados watch exits at end of input.
                { stdio: ["pipe", "ignore", "ignore"] },
            );
            await new Promise((res) => setTimeout(res, 2000));
            const snaps = allSnaps();
            const marker = readMarker();
            const r = run("restore", { restore: parseSnapshots(run("snapshot").stdout)[0].name });
            assert.notEqual(r.code, 0);
            assert.match(
                r.stderr,
                /is still open by a client .* still holds the volume; nothing was changed/,
            );
            assert.deepEqual(allSnaps(), snaps);
            assert.equal(readMarker(), marker);
            // The takeover's inspect step sees the same client.
            const seen = run("inspect");
            assert.equal(seen.code, 0, seen.stderr);
            const facts = parseInspect(seen.stdout);
            assert.equal(facts.exists && facts.watchers.length, 1, seen.stdout);
        } finally {
            // End of input ends the watch cleanly; a killed watcher's watch would linger
            // on the OSD until it times out (30 s), and every later notify waits for it.
            if (watcher && watcher.exitCode === null) {
                const exited = new Promise((res) => watcher!.once("exit", res));
                watcher.stdin?.end();
                const t = setTimeout(() => watcher!.kill(), 10_000);
                await exited;
                clearTimeout(t);
            }
        }
    });

    it("keeps the newest N of its own over three changes, never another snapshot, and keeps one with clones", async () => {
        cluster!.rbdAdmin(["snap", "create", `kubes/${image}@someone-elses`]);
        for (const v of ["a3", "a4", "a5"]) {
            await new Promise((res) => setTimeout(res, 1100));
            fp.image = v;
            const r = run("snapshot", { keep: 2 });
            assert.equal(r.code, 0, r.stderr);
        }
        const own = allSnaps().filter((n) => n.startsWith("jenkins-ceph-"));
        assert.equal(own.length, 2, own.join());
        assert.ok(allSnaps().includes("someone-elses"), "another snapshot is never touched");

        // A clone of the older one: pruning it is refused with a message, and it stays.
        const older = own[0];
        assert.equal(cluster!.rbdAdmin(["snap", "protect", `kubes/${image}@${older}`]).status, 0);
        const clone = cluster!.rbdAdmin([
            "clone",
            `kubes/${image}@${older}`,
            `kubes/${image}-clone`,
        ]);
        assert.equal(clone.status, 0, clone.stderr);
        await new Promise((res) => setTimeout(res, 1100));
        fp.image = "a7";
        const r = run("snapshot", { keep: 1 });
        assert.equal(r.code, 0, r.stderr);
        assert.match(
            r.stdout,
            new RegExp(`kept snapshot ${older} beyond volume.snapshots.keep: it has clones`),
        );
        assert.ok(allSnaps().includes(older));
    });

    it("names from Ceph are data: hostile user snapshot names survive retention, purge and listing, and break no step", async () => {
        const hostile = [
            "jenkins-ceph-0 keepme",
            "keepme",
            "*",
            "-rf",
            `it's "quoted"`,
            "jenkins-ceph-20200101T000000Z-image keepme",
            "jenkins-ceph-20200101T000000Z-image*",
            `x","name":"jenkins-ceph-20200101T000000Z-initial`,
            "$(touch pwned-by-snapshot-name)",
            "`touch pwned-by-snapshot-name`",
        ];
        // An image of its own: the clone test above leaves a protected snapshot behind.
        const img = `${image}-names`;
        const snapsOf = () =>
            (
                JSON.parse(
                    cluster!.rbdAdmin(["snap", "ls", "--format", "json", `kubes/${img}`]).stdout,
                ) as { name: string }[]
            ).map((x) => x.name);
        assert.equal(cluster!.rbdAdmin(["create", "--size", "16M", `kubes/${img}`]).status, 0);
        for (const n of hostile) {
            const r = cluster!.rbdAdmin(["snap", "create", `kubes/${img}@${n}`]);
            assert.equal(r.status, 0, `${n}: ${r.stderr}`);
        }
        for (const v of ["h1", "h2"]) {
            await new Promise((res) => setTimeout(res, 1100));
            fp.image = v;
            const r = run("snapshot", { keep: 1, image: img });
            assert.equal(r.code, 0, r.stderr);
            for (const line of r.stdout.split("\n").filter((l) => l.startsWith("snapshot: "))) {
                assert.match(line, /^snapshot: jenkins-ceph-\d{8}T\d{6}Z-[a-z-]+$/, line);
            }
        }
        for (const n of hostile)
            assert.ok(snapsOf().includes(n), `retention kept the user's ${JSON.stringify(n)}`);
        assert.equal(
            snapsOf().filter((n) => /^jenkins-ceph-\d{8}T\d{6}Z-[a-z-]+$/.test(n)).length,
            1,
        );

        const listed = run("list", { image: img });
        assert.equal(listed.code, 0, listed.stderr);
        assert.equal(parseSnapshots(listed.stdout).length, 1);
        const kept = run("keep-snapshots", { image: img });
        assert.equal(kept.code, 0, kept.stderr);
        assert.match(
            kept.stdout,
            /kept 1 snapshot\(s\) of this program with the image; remove one by hand with: rbd snap rm/,
        );
        assert.doesNotMatch(kept.stdout, /keepme/);
        const notAsked = run("purge", { image: img });
        assert.equal(notAsked.code, 1);
        assert.match(notAsked.stderr, /purge is not asked for by the current settings/);
        const purged = run("purge", { purgeOnDelete: true, image: img });
        assert.equal(purged.code, 0, purged.stderr);
        assert.deepEqual(
            snapsOf().sort(),
            [...hostile].sort(),
            "only this program's snapshots went",
        );
        assert.equal(
            fs.existsSync("/tmp/pwned-by-snapshot-name"),
            false,
            "no name ran as a command",
        );
        for (const n of hostile) cluster!.rbdAdmin(["snap", "rm", `kubes/${image}@${n}`]);
    });

    it("ensure with adoptOnly (the home was another image) refuses to create an empty image, and adopts one that exists", () => {
        const params = (img: string): RbdScriptParams => ({
            pool: "kubes",
            image: img,
            sizeMiB: 64n,
            features: "layering",
            monitors: [cluster!.monitor],
            userId: "kube",
            timeoutSeconds: 10,
            deleteOnDestroy: false,
            adoptOnly: true,
        });
        const sh = (p: RbdScriptParams) =>
            spawnSync("sh", ["-s", "ensure"], {
                input: rbdProgram(p, cluster!.userKey),
                encoding: "utf8",
            });
        const missing = `jenkins-missing-${process.pid}`;
        const r = sh(params(missing));
        assert.equal(r.status, 1);
        assert.match(
            r.stderr,
            new RegExp(
                `^rbd image kubes/${missing}: does not exist, and Jenkins' home was another image: refusing to start Jenkins on a new empty image`,
            ),
        );
        assert.equal(
            cluster!.rbdAdmin(["info", `kubes/${missing}`]).status,
            2,
            "nothing was created",
        );
        const adopted = sh(params(image));
        assert.equal(adopted.status, 0, adopted.stderr);
        assert.match(adopted.stdout, /exists with 64 MiB; adopted unchanged/);
    });
});
