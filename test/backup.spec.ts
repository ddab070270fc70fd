// components/backup: what a stack with backup.* registers, under the mock runtime. The
// program itself runs against a real Ceph and S3 in test/ceph/backup.ts, and the CronJob
// goes through the real API server in test/cluster.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { BACKUP_ID, backupProgramText, SECRET_FILES } from "../components/backup/backupProgram";
import { backupStack, FAKE_BACKUP_KEY, FAKE_S3_SECRET_KEY, FAKE_USER_KEY } from "./fixtures";
import { Any, byKind, k8s, merge, one, runOk } from "./helpers";
import { restrictedViolations } from "./podSecurity";

describe("backups: the CronJob, its program and its Secret", () => {
    it("puts all three in the key's namespace, never in Jenkins'", async () => {
        const r = await runOk(backupStack());
        const names = k8s(r)
            .filter((x) => /backup/.test(String((x.inputs.metadata as Any).name)))
            .map((x) => `${x.inputs.kind as string} ${(x.inputs.metadata as Any).namespace}`);
        assert.deepEqual(names.sort(), [
            "ConfigMap ci-infra-ceph",
            "CronJob ci-infra-ceph",
            "Secret ci-infra-ceph",
        ]);
    });

    it("runs the backup program once at a time, without retries, under restricted Pod Security", async () => {
        const r = await runOk(merge(backupStack(), "backup", { verifySchedule: "47 4 * * 0" }));
        const jobs = byKind(r, "CronJob")
            .map((x) => x.inputs as Any)
            .sort((a, b) => String(a.metadata.name).localeCompare(String(b.metadata.name)));
        assert.deepEqual(
            jobs.map((j) => [j.metadata.name, j.spec.schedule]),
            [
                ["jenkins-backup", "17 3 * * *"],
                ["jenkins-backup-verify", "47 4 * * 0"],
            ],
        );
        for (const j of jobs) {
            assert.equal(j.spec.concurrencyPolicy, "Forbid");
            assert.equal(j.spec.jobTemplate.spec.backoffLimit, 0);
            const pod = j.spec.jobTemplate.spec.template.spec;
            assert.deepEqual(restrictedViolations(pod), []);
            assert.equal(pod.automountServiceAccountToken, false);
            assert.match(pod.containers[0].image, /^quay\.io\/ceph\/ceph:v\d+\.\d+\.\d+$/);
        }
        const [backup, verify] = jobs.map(
            (j) => j.spec.jobTemplate.spec.template.spec.containers[0].command as string[],
        );
        assert.deepEqual(backup.slice(2), [
            "backup",
            "--yes",
            "--config",
            "/opt/jenkins-backup/settings.json",
        ]);
        assert.deepEqual(verify.slice(2), [
            "verify",
            "--config",
            "/opt/jenkins-backup/settings.json",
        ]);
    });

    it("ships the program and settings without a secret; the secrets are the Secret's files", async () => {
        const r = await runOk(backupStack());
        const cm = one(r, "ConfigMap", "jenkins-backup").inputs as Any;
        assert.equal(cm.data["jenkinsBackup.py"], backupProgramText());
        const settings = JSON.parse(cm.data["settings.json"]);
        assert.equal(settings.image, "jenkins");
        assert.equal(settings.s3.prefix, "jenkins-ceph/test/");
        assert.deepEqual(settings.keep, { chains: 4 });
        const text = JSON.stringify(cm);
        for (const secret of [FAKE_USER_KEY, FAKE_S3_SECRET_KEY, FAKE_BACKUP_KEY])
            assert.ok(!text.includes(secret), "a secret in the ConfigMap");
        const secret = one(r, "Secret", "jenkins-backup");
        const files = Object.keys((secret.inputs as Any).stringData as object).sort();
        assert.deepEqual([...files], Object.values(SECRET_FILES).sort());
        assert.ok(secret.secretPaths.length > 0, "the Secret's data is a Pulumi secret");
        for (const file of Object.values(settings.secretFiles as Record<string, string>))
            assert.ok(files.includes(path.basename(file)), `${file} is not in the Secret`);
    });

    it("leaves the encryption key out when backups are not encrypted", async () => {
        const input = backupStack();
        const secrets = { ...input.secrets };
        delete secrets.backupEncryptionKey;
        const r = await runOk({ ...input, secrets });
        const secret = one(r, "Secret", "jenkins-backup").inputs as Any;
        assert.ok(!("encryption-key" in secret.stringData));
        const cm = one(r, "ConfigMap", "jenkins-backup").inputs as Any;
        assert.ok(!/encryption/.test(cm.data["settings.json"] as string));
    });

    it("registers nothing for backups when backup is not set", async () => {
        const input = backupStack();
        const values = { ...input.values };
        delete values.backup;
        const secrets = { cephUserKey: FAKE_USER_KEY, cephAdminKey: input.secrets!.cephAdminKey };
        const r = await runOk({ ...input, values, secrets });
        assert.deepEqual(byKind(r, "CronJob"), []);
    });

    it("backs up a dynamic volume: the image is the one its bound PV names", async () => {
        const input = backupStack();
        const r = await runOk({ ...input, values: { ...input.values, mode: "dynamic" } });
        const cm = one(r, "ConfigMap", "jenkins-backup").inputs as Any;
        const settings = JSON.parse(cm.data["settings.json"]);
        // The mock runtime's PV read names no image: as before a claim is bound, none.
        assert.deepEqual([settings.pool, settings.image], ["", ""]);
        assert.ok(r.resources.some((x) => x.name === "jenkins-home-pvc"));
        assert.equal(byKind(r, "CronJob").length, 1);
    });

    it("knows a backup ID as the backup program does", () => {
        const py = fs.readFileSync(
            path.join(__dirname, "../components/backup/jenkinsBackup.py"),
            "utf8",
        );
        const m = /^BACKUP_ID = re\.compile\(r"(.*)"\)$/m.exec(py);
        assert.ok(m, "jenkinsBackup.py defines BACKUP_ID");
        assert.equal(BACKUP_ID.source, m[1]);
    });
});
