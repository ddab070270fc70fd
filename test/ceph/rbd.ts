// The rbd scripts the program registers, captured from the mock runtime and run as the
// command provider would run them (/bin/sh -c, key on stdin) against a real Ceph.
import { strict as assert } from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { baseStack, fakeCephKey, toRunOptions } from "../fixtures";
import { runProgram } from "../../cli/mockRuntime";
import { merge, runOk } from "../helpers";
import { CephCluster, missingCephBinaries } from "./cluster";
import { TestSshd } from "./sshd";

const required = process.env.CI === "true" || process.env.REQUIRE_CEPH === "1";
const GiB = 1024 ** 3;
const timings: string[] = [];
/** The first line a user reads for each failure cause, compared at the end. */
const firstSentence: Record<string, string> = {};

interface Captured {
    create: string;
    update: string;
    delete: string;
    stdin: string;
    interpreter: string[];
}

interface Result {
    code: number | null;
    stdout: string;
    stderr: string;
    seconds: number;
}

/** The command inputs the program registers for a static volume with these settings. */
async function capture(
    cluster: CephCluster,
    opts: {
        image: string;
        size: string;
        pool?: string;
        key?: string;
        deleteImageOnDestroy?: boolean;
        timeoutSeconds?: number;
    },
): Promise<Captured> {
    let input = merge(baseStack("static", "csi"), "ceph", {
        monitors: [cluster.monitor],
        pool: opts.pool ?? "kubes",
        timeoutSeconds: opts.timeoutSeconds ?? 20,
    });
    input = merge(input, "volume", {
        image: opts.image,
        size: opts.size,
        deleteImageOnDestroy: opts.deleteImageOnDestroy ?? false,
    });
    input.secrets = { cephUserKey: opts.key ?? cluster.userKey };
    const r = await runOk(input);
    const cmd = r.resources.find((x) => x.type === "command:local:Command");
    assert.ok(cmd, "the program registers a local.Command");
    assert.ok(cmd.secretPaths.includes("stdin"), "the key on stdin is a secret");
    return cmd.inputs as unknown as Captured;
}

/** Runs one script the way local.Command does; `during` sees the live process tree. */
function runScript(c: Captured, script: string, tmp: string, during?: () => void): Promise<Result> {
    const t0 = Date.now();
    return new Promise((resolve) => {
        const [shell, ...args] = c.interpreter;
        const child = spawn(shell, [...args, script], {
            env: { PATH: process.env.PATH ?? "/usr/bin:/bin", TMPDIR: tmp },
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        const poll = during ? setInterval(during, 100) : undefined;
        child.on("close", (code) => {
            if (poll) clearInterval(poll);
            resolve({ code, stdout, stderr, seconds: (Date.now() - t0) / 1000 });
        });
        child.stdin.end(c.stdin);
    });
}

/** Every process's argv and environment that contains `needle`. */
function processesContaining(needle: string): string[] {
    const hits: string[] = [];
    for (const pid of fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
        for (const f of ["cmdline", "environ"]) {
            try {
                if (fs.readFileSync(`/proc/${pid}/${f}`).includes(needle)) hits.push(`${pid}/${f}`);
            } catch {
                /* process gone or not readable */
            }
        }
    }
    return hits;
}

function rbdProcesses(): string[] {
    const out: string[] = [];
    for (const pid of fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
        try {
            const argv = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
            if (path.basename(argv[0]) === "rbd" && argv.includes("--keyfile"))
                out.push(argv.join(" "));
        } catch {
            /* gone */
        }
    }
    return out;
}

describe("rbd scripts against a real Ceph cluster", function () {
    this.timeout(240_000);
    let cluster: CephCluster | undefined;
    let tmp: string;
    const image = `jenkins-it-${process.pid}`;

    before(async function () {
        const missing = missingCephBinaries();
        if (missing.length > 0) {
            const why = `Ceph binaries missing (${missing.join(", ")}); install ceph-mon ceph-osd ceph-common`;
            if (required) throw new Error(`${why}; CI/REQUIRE_CEPH makes this a failure`);
            console.log(`    SKIP: ${why}`);
            this.skip();
        }
        cluster = await CephCluster.shared();
        timings.push(`cluster start ${cluster.startSeconds.toFixed(1)}s`);
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "rbd-it."));
    });

    after(function () {
        if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
        if (timings.length) console.log(`    timings: ${timings.join(", ")}`);
    });

    async function step(
        name: string,
        c: Captured,
        script: string,
        during?: () => void,
    ): Promise<Result> {
        const r = await runScript(c, script, tmp, during);
        timings.push(`${name} ${r.seconds.toFixed(2)}s`);
        return r;
    }

    it("create makes the image with the requested size and layering only", async () => {
        const c = await capture(cluster!, { image, size: "1Gi" });
        const r = await step("create", c, c.create);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /created with 1024 MiB \(features layering\)/);
        assert.equal(cluster!.imageSize("kubes", image), GiB);
        const info = JSON.parse(
            cluster!.rbdAdmin(["info", "--format", "json", `kubes/${image}`]).stdout,
        ) as { features: string[]; format: number };
        assert.deepEqual(info.features, ["layering"]);
        assert.equal(info.format, 2);
    });

    it("create again adopts the image without error", async () => {
        const c = await capture(cluster!, { image, size: "1Gi" });
        const r = await step("create again", c, c.create);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /exists with 1024 MiB; adopted unchanged/);
        assert.equal(cluster!.imageSize("kubes", image), GiB);
    });

    it("update with a larger size grows the image", async () => {
        const c = await capture(cluster!, { image, size: "2Gi" });
        const r = await step("grow", c, c.update);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /grown from 1024 MiB to 2048 MiB/);
        assert.equal(cluster!.imageSize("kubes", image), 2 * GiB);
    });

    it("update with a smaller size is refused and changes nothing", async () => {
        const c = await capture(cluster!, { image, size: "1Gi" });
        const r = await step("shrink (refused)", c, c.update);
        assert.notEqual(r.code, 0);
        assert.match(
            r.stderr,
            /exists with 2048 MiB, more than the requested 1024 MiB; refusing to shrink/,
        );
        assert.match(r.stderr, /volume\.size to at least 2048Mi/);
        // The sentence and nothing else: the provider adds only "running \"sh -s ensure\"".
        assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
        assert.equal(c.update, "sh -s ensure");
        assert.equal(cluster!.imageSize("kubes", image), 2 * GiB);
    });

    it("the stored delete step leaves the image and says where it is, even with deleteImageOnDestroy", async () => {
        for (const deleteImageOnDestroy of [false, true]) {
            const c = await capture(cluster!, { image, size: "2Gi", deleteImageOnDestroy });
            const r = await step(
                `delete (stored, deleteImageOnDestroy ${deleteImageOnDestroy})`,
                c,
                c.delete,
            );
            assert.equal(r.code, 0, r.stderr);
            assert.match(
                r.stdout,
                /kubes\/jenkins-it-\d+: left in place with its data; remove it by hand with: rbd snap purge kubes\/jenkins-it-\d+ && rbd rm kubes\/jenkins-it-/,
            );
            assert.equal(cluster!.imageSize("kubes", image), 2 * GiB);
        }
    });

    it("the remove step (the destroy hook's) refuses without deleteImageOnDestroy, removes with it", async () => {
        const keep = await capture(cluster!, { image, size: "2Gi" });
        const refused = await step("remove (not asked)", keep, "sh -s remove");
        assert.equal(refused.code, 1);
        assert.match(
            refused.stderr,
            /removal is not asked for by the current settings; nothing was removed/,
        );
        assert.equal(cluster!.imageSize("kubes", image), 2 * GiB);

        const c = await capture(cluster!, { image, size: "2Gi", deleteImageOnDestroy: true });
        const r = await step("remove (deleteImageOnDestroy)", c, "sh -s remove");
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /removed \(jenkins-ceph:volume\.deleteImageOnDestroy is true\)/);
        assert.equal(cluster!.imageSize("kubes", image), undefined);
        const gone = await step("delete after remove", c, c.delete);
        assert.match(
            gone.stdout,
            /is gone \(removed by jenkins-ceph:volume\.deleteImageOnDestroy, or by hand\)/,
        );
    });

    it("the preview asks Ceph: a static image renamed onto a missing one is refused before anything, an existing one is adopted", async () => {
        const stackWith = (img: string, names: string) => {
            let input = merge(baseStack("static", "csi"), "ceph", {
                monitors: [cluster!.monitor],
                pool: "kubes",
                readAtPreview: true,
            });
            input = merge(input, "volume", {
                image: img,
                size: "1Gi",
                pvName: names,
                claimName: names,
            });
            input.secrets = { cephUserKey: cluster!.userKey };
            return toRunOptions(input);
        };
        const last = await runProgram(stackWith(image, "jenkins"));
        assert.ifError(last.error);
        const missing = await runProgram({
            ...stackWith(`${image}-missing`, "jenkins-b"),
            lastOutputs: last.outputs,
            preview: true,
        });
        assert.ok(missing.error, "refused");
        assert.match(
            missing.error.message,
            /jenkins-ceph:volume\.image: "jenkins-it-\d+-missing" does not exist in pool kubes, and Jenkins' home was another image: refusing to start Jenkins on a new empty image/,
        );
        assert.ok(!missing.error.message.includes(cluster!.userKey));
        assert.equal(cluster!.imageSize("kubes", `${image}-missing`), undefined);
        cluster!.rbdAdmin(["create", "--size", "64M", `kubes/${image}-other`]);
        const other = await runProgram({
            ...stackWith(`${image}-other`, "jenkins-b"),
            lastOutputs: last.outputs,
            preview: true,
        });
        assert.ifError(other.error);
        const info = other.logs.filter((l) => l.startsWith("info: rbd: "));
        assert.deepEqual(info, [
            `info: rbd: adopt kubes/${image}-other (exists, 64 MiB, 0 snapshots)`,
            `info: rbd: grow kubes/${image}-other 64 MiB -> 1 GiB`,
            "info: rbd: snapshot before the change (reason: initial)",
        ]);
        // A key Ceph refuses: up would fail on it too, so the preview refuses, naming the key.
        const wrongKey = stackWith(`${image}-other`, "jenkins-b");
        wrongKey.config["jenkins-ceph:cephUserKey"] = fakeCephKey("jenkinsCephWRONG");
        const wrong = await runProgram({ ...wrongKey, lastOutputs: last.outputs, preview: true });
        assert.ok(wrong.error, "refused");
        assert.match(
            wrong.error.message,
            /jenkins-ceph:cephUserKey: rbd image kubes\/jenkins-it-\d+-other: info failed: authentication refused for client\.kube/,
        );
        assert.ok(!wrong.error.message.includes(fakeCephKey("jenkinsCephWRONG")));
        cluster!.rbdAdmin(["rm", `kubes/${image}-other`]);
    });

    it("a wrong key fails fast with a clear message (not as a timeout)", async function () {
        const c = await capture(cluster!, {
            image,
            size: "1Gi",
            key: fakeCephKey("jenkinsCephWRONG"),
        });
        const r = await step("wrong key", c, c.create);
        assert.notEqual(r.code, 0);
        firstSentence.wrongKey = r.stderr.split("\n")[0];
        assert.match(r.stderr, /authentication refused for client\.kube \(wrong key/);
        assert.ok(r.seconds < 10, `took ${r.seconds}s`);
        assert.equal(cluster!.imageSize("kubes", image), undefined);
    });

    it("a user without caps on the pool gets the full caps line ceph-csi documents", async () => {
        cluster!.createPool("nocaps");
        const c = await capture(cluster!, { image, size: "1Gi", pool: "nocaps" });
        const r = await step("no caps", c, c.create);
        assert.notEqual(r.code, 0);
        assert.match(
            r.stderr,
            /permission denied; client\.kube needs the caps ceph-csi documents for an rbd user: ceph auth get-or-create client\.kube mon 'profile rbd' osd 'profile rbd pool=nocaps' mgr 'profile rbd pool=nocaps'/,
        );
    });

    it("a nonexistent pool is a clear error", async () => {
        const c = await capture(cluster!, { image, size: "1Gi", pool: "nopool" });
        const r = await step("missing pool", c, c.create);
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, /pool 'nopool' does not exist/);
    });

    it("monitors down: fails within the bound, keeps the key out of every process, converges after", async () => {
        const timeoutSeconds = 4;
        const c = await capture(cluster!, { image, size: "1Gi", timeoutSeconds });
        cluster!.stopMon();
        const leaks: string[] = [];
        const seenRbd: string[] = [];
        let r: Result;
        try {
            r = await step("monitors down", c, c.create, () => {
                leaks.push(...processesContaining(cluster!.userKey));
                seenRbd.push(...rbdProcesses());
            });
        } finally {
            cluster!.startMon();
        }
        assert.notEqual(r.code, 0);
        firstSentence.monitorsDown = r.stderr.split("\n")[0];
        assert.match(r.stderr, /no answer from the monitors (v1:)?127\.0\.0\.1:\d+ within 4s/);
        assert.ok(r.seconds <= timeoutSeconds * 3 + 10, `took ${r.seconds}s`);
        assert.ok(seenRbd.length > 0, "the check never saw rbd running, so it proves nothing");
        assert.deepEqual(leaks, [], "the key showed up in a process's argv or environment");
        assert.deepEqual(fs.readdirSync(tmp), [], "the temporary key file was left behind");

        const again = await step("rerun after monitors are back", c, c.create);
        assert.equal(again.code, 0, again.stderr);
        assert.match(again.stdout, /created with 1024 MiB/);
        assert.equal(cluster!.imageSize("kubes", image), GiB);
    });

    it("a wrong key and monitors that are down read differently from the first sentence", () => {
        const { wrongKey, monitorsDown } = firstSentence;
        assert.ok(wrongKey && monitorsDown, "both failures ran above");
        assert.match(wrongKey, /authentication refused/);
        assert.doesNotMatch(wrongKey, /no answer/);
        assert.match(monitorsDown, /no answer from the monitors/);
        assert.doesNotMatch(monitorsDown, /authentication/);
    });

    it("an undecodable key is reported without echoing it (rbd itself would print it)", async () => {
        const bad = "AQBwrongwrongwrongwrongwrongwrongwrong==";
        const c = await capture(cluster!, { image, size: "1Gi" });
        const stdin = c.stdin.replace(cluster!.userKey, bad);
        assert.notEqual(stdin, c.stdin, "the program carries the key");
        const r = await step("undecodable key", { ...c, stdin }, c.create);
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, /not a usable cephx key/);
        assert.ok(!r.stderr.includes(bad) && !r.stdout.includes(bad), r.stderr);
    });

    it("never writes the key to stdout or stderr", async () => {
        const c = await capture(cluster!, { image, size: "1Gi" });
        const r = await runScript(c, c.create, tmp);
        assert.equal(r.code, 0, r.stderr);
        assert.ok(!r.stdout.includes(cluster!.userKey) && !r.stderr.includes(cluster!.userKey));
        assert.ok(!c.create.includes(cluster!.userKey) && !c.delete.includes(cluster!.userKey));
    });

    it("over SSH (remote.Command's transport) the same script creates and adopts the image", async function () {
        if (!TestSshd.available()) {
            if (required)
                throw new Error(
                    "sshd is missing and CI/REQUIRE_CEPH demands it (apt-get install openssh-server)",
                );
            console.log(
                "    SKIP: sshd not installed (openssh-server); the remote path is covered under mocks only",
            );
            this.skip();
        }
        const sshd = await TestSshd.start();
        try {
            const remoteImage = `${image}-ssh`;
            let input = merge(baseStack("static", "csi"), "ceph", { monitors: [cluster!.monitor] });
            input = merge(input, "volume", { image: remoteImage, size: "1Gi" });
            // Pinned, as a user pins it: the host key as ssh-keyscan prints it.
            const pub = fs.readFileSync(path.join(sshd.dir, "host.pub"), "utf8").trim().split(" ");
            input.values.rbdHost = {
                host: "127.0.0.1",
                port: sshd.port,
                user: sshd.user,
                hostKey: `[127.0.0.1]:${sshd.port} ${pub[0]} ${pub[1]}`,
            };
            input.secrets = { cephUserKey: cluster!.userKey, rbdHostKey: sshd.privateKey };
            const r = await runOk(input);
            const cmd = r.resources.find((x) => x.type === "command:remote:Command");
            assert.ok(cmd, "a remote.Command");
            const conn = cmd.inputs.connection as {
                host: string;
                port: number;
                user: string;
                privateKey: string;
                hostKey: string;
            };
            assert.equal(conn.hostKey, `${pub[0]} ${pub[1]}`, "the provider gets the pinned key");
            assert.deepEqual(
                [conn.host, conn.port, conn.user],
                ["127.0.0.1", sshd.port, sshd.user],
            );
            assert.equal(conn.privateKey.trim(), sshd.privateKey.trim());
            const t0 = Date.now();
            const first = sshd.run(String(cmd.inputs.create), String(cmd.inputs.stdin));
            timings.push(`create over ssh ${((Date.now() - t0) / 1000).toFixed(2)}s`);
            assert.equal(first.code, 0, first.stderr);
            assert.match(first.stdout, /created with 1024 MiB/);
            const again = sshd.run(String(cmd.inputs.update), String(cmd.inputs.stdin));
            assert.equal(again.code, 0, again.stderr);
            assert.match(again.stdout, /adopted unchanged/);
            const kept = sshd.run(String(cmd.inputs.delete), String(cmd.inputs.stdin));
            assert.match(kept.stdout, /left in place/);
            assert.equal(cluster!.imageSize("kubes", remoteImage), GiB);
        } finally {
            sshd.stop();
        }
    });
});
