// The operator CLIs as a user runs them: --help, a missing or unknown flag, and which
// `pulumi` they start (the user's, never the npm wrapper `npm run` puts first on PATH).
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_ROOT } from "../cli/projectRoot";
import { parseRestoreArgs } from "../cli/restore";
import { Refusal, usersPulumiPath } from "../cli/shared";

function cli(name: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
    const r = spawnSync(
        process.execPath,
        [
            "-r",
            "ts-node/register/transpile-only",
            path.join(PROJECT_ROOT, "cli", `${name}.ts`),
            ...args,
        ],
        { cwd: PROJECT_ROOT, encoding: "utf8", env, timeout: 60_000 },
    );
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("cli: render, restore, takeover and backup", function () {
    this.timeout(60_000);

    for (const name of ["render", "restore", "takeover", "backup"]) {
        it(`${name} --help prints what it does and every option, exit 0`, () => {
            const r = cli(name, ["--help"]);
            assert.equal(r.code, 0, r.stderr);
            assert.match(r.stdout, new RegExp(`^usage: npm run ${name} -- --stack <name>`, "m"));
            assert.match(r.stdout, /--help/);
            assert.equal(r.stderr, "");
        });

        it(`${name} names a missing --stack, exit 1`, () => {
            const missing = cli(name, []);
            assert.equal(missing.code, 1);
            assert.match(
                missing.stderr,
                new RegExp(`^${name}: --stack (and --snapshot )?(is|are) missing; usage:`),
            );
        });
    }

    it("restore names each missing flag and an unknown one", () => {
        const refusal = (argv: string[]) => {
            try {
                parseRestoreArgs(argv);
            } catch (e) {
                assert.ok(e instanceof Refusal, String(e));
                return e.message;
            }
            assert.fail(`${argv.join(" ")} was taken`);
        };
        // The process's exit and stderr for a refusal are the tests above; these are the
        // restore's own checks, in process (each spawn costs about two seconds).
        assert.match(refusal(["--yes"]), /--stack is missing/);
        // parseCommandArgs (cli/shared.ts), which every command parses with, is strict.
        assert.match(refusal(["--stack", "dev", "--bogus"]), /Unknown option '--bogus'/);
        assert.match(refusal(["--stack", "dev"]), /give either --snapshot or --from-backup/);
        assert.match(
            refusal(["--stack", "dev", "--snapshot", "x", "--from-backup", "y"]),
            /give either --snapshot or --from-backup/,
        );
        assert.match(
            refusal(["--stack", "dev", "--snapshot", "x", "--to", "copy"]),
            /--to goes with --from-backup/,
        );
        assert.match(
            refusal(["--stack", "dev", "--from-backup", "last-tuesday"]),
            /--from-backup last-tuesday is not a backup ID/,
        );
        assert.match(
            refusal(["--stack", "dev", "--from-backup", "20261201T031700Z-3", "--to", "a/b"]),
            /--to a\/b: .*name a new image/,
        );
    });

    it("backups (cli/backup.ts --list) takes only --stack", () => {
        const help = cli("backup", ["--list", "--help"]);
        assert.match(help.stdout, /^usage: npm run backups -- --stack <name>$/m);
        const r = cli("backup", ["--list", "--stack", "dev", "--yes"]);
        assert.equal(r.code, 1);
        assert.match(r.stderr, /^backups: Unknown option '--yes'/);
    });

    it("runs the pulumi the user has, not the npm wrapper that npm run puts first", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "users-pulumi."));
        const bin = path.join(dir, "bin");
        fs.mkdirSync(bin);
        fs.writeFileSync(
            path.join(bin, "pulumi"),
            "#!/bin/sh\necho 'the users pulumi ran' >&2\nexit 3\n",
            {
                mode: 0o755,
            },
        );
        try {
            const wrapper = path.join(PROJECT_ROOT, "node_modules", ".bin");
            assert.ok(fs.existsSync(path.join(wrapper, "pulumi")), "the npm wrapper is installed");
            const PATH = [wrapper, bin, "/usr/bin", "/bin"].join(path.delimiter);
            const r = cli("restore", ["--stack", "dev", "--snapshot", "x"], {
                ...process.env,
                PATH,
            });
            assert.equal(r.code, 1);
            // The restore checks its snapshot name first; give it one of the program's form.
            const named = cli(
                "restore",
                ["--stack", "dev", "--snapshot", "jenkins-ceph-20260101T000000Z-image"],
                {
                    ...process.env,
                    PATH,
                },
            );
            assert.match(
                named.stderr,
                /the Pulumi CLI did not run \(the users pulumi ran\)/,
                named.stderr,
            );
            assert.match(named.stderr, /PULUMI_CLI/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("PULUMI_CLI comes first; node_modules/.bin never", () => {
        const p = usersPulumiPath({
            PATH: ["/p/node_modules/.bin", "/usr/local/bin", "/x/node_modules/.bin/"].join(
                path.delimiter,
            ),
            PULUMI_CLI: "/opt/pulumi/bin/pulumi",
        });
        assert.deepEqual(p.split(path.delimiter), ["/opt/pulumi/bin", "/usr/local/bin"]);
    });
});
