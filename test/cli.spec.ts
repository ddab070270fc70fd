// The operator CLIs as a user runs them: --help, a missing or unknown flag, and which
// `pulumi` they start (the user's, never the npm wrapper `npm run` puts first on PATH).
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_ROOT } from "../cli/projectRoot";
import { usersPulumiPath } from "../cli/shared";

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

        it(`${name} names a missing --stack and an unknown flag, exit 1`, () => {
            const missing = cli(name, []);
            assert.equal(missing.code, 1);
            assert.match(missing.stderr, /--stack (and --snapshot )?(is|are) missing; usage:/);
            const unknown = cli(name, ["--stack", "dev", "--bogus"]);
            assert.equal(unknown.code, 1);
            assert.match(unknown.stderr, /Unknown option '--bogus'/);
        });
    }

    it("restore names each missing flag", () => {
        const r = cli("restore", ["--yes"]);
        assert.match(r.stderr, /--stack is missing/);
        const which = cli("restore", ["--stack", "dev"]);
        assert.match(which.stderr, /give either --snapshot or --from-backup/);
        const both = cli("restore", ["--stack", "dev", "--snapshot", "x", "--from-backup", "y"]);
        assert.match(both.stderr, /give either --snapshot or --from-backup/);
        const to = cli("restore", ["--stack", "dev", "--snapshot", "x", "--to", "copy"]);
        assert.match(to.stderr, /--to goes with --from-backup/);
        const id = cli("restore", ["--stack", "dev", "--from-backup", "last-tuesday"]);
        assert.match(id.stderr, /--from-backup last-tuesday is not a backup ID/);
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
