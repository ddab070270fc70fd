// `npm run render` as a user runs it: a process, its exit code, stdout/stderr and files.
import { strict as assert } from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { PROJECT_ROOT } from "../cli/mockRuntime";
import { STAND_IN_CEPH_KEY } from "../cli/standIns";
import { BAD_CONFIGS } from "./badConfigs";
import { FAKE_USER_KEY } from "./fixtures";

interface Proc {
    code: number | null;
    stdout: string;
    stderr: string;
}

function renderProcess(args: string[]): Promise<Proc> {
    return new Promise((resolve) => {
        const child = spawn(
            process.execPath,
            [
                "-r",
                "ts-node/register/transpile-only",
                path.join(PROJECT_ROOT, "cli/render.ts"),
                ...args,
            ],
            { cwd: PROJECT_ROOT },
        );
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
}

/** A stack file as a user writes it: objects as YAML, keys as `secure:` ciphertext. */
function stackFile(
    dir: string,
    name: string,
    values: Record<string, unknown>,
    secrets: string[],
): string {
    const config: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(values)) config[`jenkins-ceph:${k}`] = v;
    for (const k of secrets) config[`jenkins-ceph:${k}`] = { secure: "v1:AAAA:BBBB" };
    const file = path.join(dir, `Pulumi.${name}.yaml`);
    fs.writeFileSync(file, YAML.stringify({ config }));
    return file;
}

describe("render: the offline render as a process", function () {
    this.timeout(60_000);
    let out: string;
    let good: Record<string, Proc>;

    before(async () => {
        out = fs.mkdtempSync(path.join(os.tmpdir(), "render-test."));
        const [dev, prod] = await Promise.all(
            ["dev", "prod"].map((s) => renderProcess(["--stack", s, "--out", out])),
        );
        good = { dev, prod };
    });
    after(() => fs.rmSync(out, { recursive: true, force: true }));

    for (const stack of ["dev", "prod"]) {
        it(`renders Pulumi.${stack}.yaml to <out>/${stack}/manifests.yaml in apply order`, () => {
            const r = good[stack];
            assert.equal(r.code, 0, r.stderr);
            const file = path.join(out, stack, "manifests.yaml");
            const docs = YAML.parseAllDocuments(fs.readFileSync(file, "utf8")).map(
                (d) => d.toJS() as Record<string, any>,
            );
            const kinds = docs.map((d) => d.kind);
            assert.equal(kinds[0], "Namespace");
            assert.ok(kinds.indexOf("Secret") < kinds.indexOf("PersistentVolumeClaim"));
            assert.ok(kinds.indexOf("PersistentVolumeClaim") < kinds.indexOf("Deployment"));
            if (stack === "prod")
                assert.ok(
                    kinds.indexOf("PersistentVolume") < kinds.indexOf("PersistentVolumeClaim"),
                );
            else assert.ok(kinds.indexOf("StorageClass") < kinds.indexOf("PersistentVolumeClaim"));
            const secret = docs.find((d) => d.kind === "Secret")!;
            assert.deepEqual(Object.values(secret.stringData), ["<redacted>", "<redacted>"]);
            assert.match(
                r.stdout,
                new RegExp(`jenkins-ceph: stack ${stack}, mode (dynamic|static)`),
            );
            assert.match(r.stdout, /note: jenkins-ceph:cephUserKey is not set in the stack file/);
            assert.match(r.stdout, new RegExp(`wrote ${docs.length} objects`));
            assert.ok(r.stdout.split("\n").length <= 24, "the summary fits one screen");
        });
    }

    it("names the rbd image step in the static stack's summary", () => {
        assert.match(
            good.prod.stdout,
            /rbd image kubes\/jenkins, 102400 MiB, features layering: .* on destroy kept/,
        );
    });

    it("never writes a key: encrypted keys are replaced by stand-ins and redacted", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "render-keys."));
        try {
            const file = stackFile(
                dir,
                "keys",
                {
                    mode: "static",
                    ceph: {
                        monitors: ["10.0.0.1:6789"],
                        pool: "kubes",
                        user: "kube",
                        clusterId: "c1",
                    },
                },
                ["cephUserKey"],
            );
            const r = await renderProcess(["--stack", "keys", "--stack-file", file, "--out", dir]);
            assert.equal(r.code, 0, r.stderr);
            const text = fs.readFileSync(path.join(dir, "keys", "manifests.yaml"), "utf8");
            assert.ok(!text.includes(STAND_IN_CEPH_KEY), "the stand-in key was written");
            assert.match(
                r.stdout,
                /cephUserKey is encrypted in the stack file: rendered with a stand-in/,
            );
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    // Config mistakes that live in the stack file (secrets are set outside it).
    const fileCases = BAD_CONFIGS.filter(([title]) =>
        [
            "unknown mode",
            "monitor without port",
            "size 100Gb",
            "ReadWriteMany",
            "jenkins image latest",
            "typo inside ceph",
            "unknown top-level key",
            "csi without clusterId",
        ].includes(title),
    );
    it("covers a spread of bad stack files", () => assert.equal(fileCases.length, 8));

    const badRuns = new Map<string, { proc: Proc; left: string[] }>();
    before(async () => {
        // In parallel: each is a whole node process.
        await Promise.all(
            fileCases.map(async ([title, input]) => {
                const dir = fs.mkdtempSync(path.join(os.tmpdir(), "render-bad."));
                try {
                    const i = input();
                    const file = stackFile(dir, "bad", i.values, Object.keys(i.secrets ?? {}));
                    // A manifest from an earlier, good render must not survive a failed one.
                    const outDir = path.join(dir, "out", "bad");
                    fs.mkdirSync(outDir, { recursive: true });
                    fs.writeFileSync(path.join(outDir, "manifests.yaml"), "stale");
                    const proc = await renderProcess([
                        "--stack",
                        "bad",
                        "--stack-file",
                        file,
                        "--out",
                        path.join(dir, "out"),
                    ]);
                    badRuns.set(title, { proc, left: fs.readdirSync(outDir) });
                } finally {
                    fs.rmSync(dir, { recursive: true, force: true });
                }
            }),
        );
    });

    for (const [title, , key, reason] of fileCases) {
        it(`bad stack file (${title}): non-zero exit, the error on stderr, no manifest left`, () => {
            const { proc: r, left } = badRuns.get(title)!;
            assert.equal(r.code, 1);
            assert.match(r.stderr, /render: The stack configuration has \d+ problem/);
            const line = r.stderr.split("\n").find((l) => l.includes(key));
            assert.ok(line, r.stderr);
            assert.match(line, reason);
            assert.equal(r.stdout, "");
            assert.deepEqual(left, [], "a file was left behind");
            assert.ok(!r.stderr.includes(FAKE_USER_KEY));
        });
    }

    it("an unknown stack and bad arguments exit non-zero with usage", async () => {
        const [missing, noStack] = await Promise.all([
            renderProcess(["--stack", "nope", "--out", out]),
            renderProcess(["--bogus"]),
        ]);
        assert.equal(missing.code, 1);
        assert.match(missing.stderr, /no stack file Pulumi\.nope\.yaml \(stacks: .*dev.*prod/);
        assert.equal(noStack.code, 1);
        assert.match(noStack.stderr, /usage: npm run render -- --stack <name>/);
    });
});
