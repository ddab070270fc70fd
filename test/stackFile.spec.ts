// `pulumi up` and `npm run render` read the same stack (settings/stackFile.ts,
// settings/settings.ts): numbers Go's YAML reader and YAML 1.2 read differently, a
// misspelt config namespace, and a structured key set with --secret --path are refused
// the same way by both, and a secret value never reaches the message.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { render } from "../cli/render";
import { ConfigError, parseSettings } from "../settings/settings";
import { ambiguousNumbers } from "../settings/stackFile";
import { baseStack, toRunOptions } from "./fixtures";
import { run } from "./helpers";

const AMBIGUOUS = `config:
  jenkins-ceph:mode: static
  jenkins-ceph:volume:
    snapshots:
      keep: 010
    size: 100Gi
  jenkins-ceph:rbdHost:
    host: ceph-admin
    user: ceph
    port: 0022
  jenkins-ceph:jenkins:
    name: "010"
    resources:
      limits:
        cpu: 1_000
`;

describe("one stack for both readers", function () {
    this.timeout(60_000);
    let dir = "";
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "stackfile."));
        fs.copyFileSync(path.join(__dirname, "..", "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("finds each plain number Go's yaml.v3 reads otherwise, and leaves quoted ones", () => {
        const found = ambiguousNumbers(AMBIGUOUS, "jenkins-ceph").map(([k, why]) => `${k}: ${why}`);
        assert.deepEqual(found, [
            "volume.snapshots.keep: 010 reads as 8 to pulumi up (Go's YAML reader) but as 10 to YAML 1.2; write it unambiguously",
            "rbdHost.port: 0022 reads as 18 to pulumi up (Go's YAML reader) but as 22 to YAML 1.2; write it unambiguously",
            'jenkins.resources.limits.cpu: 1_000 reads as 1000 to pulumi up (Go\'s YAML reader) but as "1_000" to YAML 1.2; write it unambiguously',
        ]);
    });

    it("pulumi up (the program, which reads the stack file beside it) and render refuse them alike", async () => {
        const input = baseStack("static", "csi");
        const raw = toRunOptions(input);
        let fromProgram = "";
        try {
            parseSettings({
                project: "jenkins-ceph",
                stack: "test",
                values: raw.config,
                secretKeys: new Set(raw.secretKeys),
                stackFileText: AMBIGUOUS,
            });
        } catch (e) {
            assert.ok(e instanceof ConfigError);
            fromProgram = e.message;
        }
        assert.match(
            fromProgram,
            /- jenkins-ceph:volume\.snapshots\.keep: 010 reads as 8 to pulumi up .* Example: 10$/m,
        );
        const file = path.join(dir, "Pulumi.amb.yaml");
        fs.writeFileSync(file, AMBIGUOUS);
        const err = await render("amb", dir, file).then(
            () => undefined,
            (e: Error) => e,
        );
        // By name: render reloads the program's modules, and with them the class.
        assert.equal(err?.name, "ConfigError", String(err));
        for (const line of fromProgram.split("\n").filter((l) => l.includes("reads as"))) {
            assert.ok(err.message.includes(line), `render lacks: ${line}`);
        }
    });

    it("a misspelt config namespace is refused with did-you-mean, not dropped", async () => {
        const input = baseStack("dynamic", "csi");
        input.values["jenkins_ceph:volume"] = { size: "200Gi" };
        const r = await run(input);
        assert.ok(r.error);
        assert.match(
            r.error.message,
            /- jenkins_ceph:volume: is in the config namespace "jenkins_ceph", which nothing reads \(did you mean "jenkins-ceph"\?\); as it is, this setting is ignored\. Example: jenkins-ceph:volume/,
        );
    });

    it("a structured key set with --secret --path is refused by both, and its value is never echoed", async () => {
        const secret = "-Dtoken=s3cr3t-value";
        const input = baseStack("dynamic", "csi");
        const opts = toRunOptions(input);
        opts.config["jenkins-ceph:jenkins"] = JSON.stringify({
            javaOpts: secret,
            timezone: "Asia/Seul",
        });
        opts.secretKeys = [...(opts.secretKeys ?? []), "jenkins-ceph:jenkins"];
        const { runProgram } = await import("../cli/mockRuntime");
        const r = await runProgram(opts);
        assert.ok(r.error);
        assert.match(
            r.error.message,
            /- jenkins-ceph:jenkins: holds a value set with --secret \(--path\); nothing in jenkins is secret material/,
        );
        assert.ok(!r.error.message.includes("s3cr3t"), "the secret is not echoed");
        assert.ok(!r.error.message.includes("Seul"), "nothing of the key's value is echoed");

        const file = path.join(dir, "Pulumi.sec.yaml");
        fs.writeFileSync(
            file,
            `config:\n  jenkins-ceph:mode: dynamic\n  jenkins-ceph:ceph:\n    pool: kubes\n    user: kube\n    clusterId: c\n    monitors: ["10.0.0.1:6789"]\n  jenkins-ceph:cephUserKey:\n    secure: v1:AAAA\n  jenkins-ceph:jenkins:\n    javaOpts:\n      secure: v1:BBBB\n`,
        );
        const err = await render("sec", dir, file).then(
            () => undefined,
            (e: Error) => e,
        );
        assert.ok(err, "render refuses it too");
        assert.match(
            err.message,
            /jenkins-ceph:jenkins: holds a value set with --secret \(--path\)/,
        );
    });
});
