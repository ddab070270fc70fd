// `pulumi preview` on the real engine against the real Ceph: it says what rbd will do, one
// line per action (settings/rbdPlan.ts), reports what changed outside the program, refuses
// a shrink with the CLI's exit code before anything changes, and with the monitors down
// warns and returns within ceph.timeoutSeconds. Over SSH, on a runner with no rbd on its
// PATH, a static and a dynamic stack run every rbd step on rbdHost (docs/preview.md), and
// the static one backs up to Ceph's RADOS Gateway through the CLIs (docs/backups.md).
// And bad settings the engine refuses at preview with nothing registered.
import { strict as assert } from "assert";
import * as fs from "fs";
import type { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { describeWorld, E2eWorld, stopAfterFirstFailure } from "./engine";
import { localOnly } from "./events";
import type { Combo } from "./combos";
import { ScriptRunner } from "./scripts";
import { BAD_CONFIGS } from "../badConfigs";

/** The engine's diagnostics in `pulumi preview --json`, as "severity: message". */
function jsonDiagnostics(stdout: string): string[] {
    const doc = JSON.parse(stdout) as { diagnostics?: { severity: string; message: string }[] };
    return (doc.diagnostics ?? []).map((d) => `${d.severity}: ${d.message.trim()}`);
}

/** The stack's preview as a user runs it: the CLI, its exit code and its output. */
function preview(world: E2eWorld, s: Stack, ws?: LocalWorkspace, ...args: string[]) {
    const r = world.cli(s, ["preview", ...args], ws);
    return { ...r, text: `${r.stdout}\n${r.stderr}` };
}

describeWorld(
    "e2e: pulumi preview says what rbd will do, and refuses what up would refuse",
    (world) => {
        describe("static, rbd on this machine", function () {
            let s: Stack;
            let c: Combo;
            let at = "";
            stopAfterFirstFailure();

            it("a new stack previews the image's create and the initial snapshot; up makes them", async function () {
                c = localOnly(this, "it stops the monitors", "static", "in-tree", "pv-st");
                s = await world().stack(c);
                at = `${world().ceph.pool}/${c.image}`;
                const p = preview(world(), s);
                assert.equal(p.code, 0, p.text);
                assert.match(p.text, new RegExp(`rbd: create ${at} 1 GiB \\(features layering\\)`));
                assert.match(p.text, /rbd: snapshot the new image \(reason: initial\)/);
                await s.up();
                assert.equal(world().rbd.imageSize(c.image), 1024 ** 3);
                const again = preview(world(), s);
                assert.match(again.text, /rbd: no rbd change/);
            });

            it("a grow previews as its line, in the output and in --json; nothing changes", () => {
                world().editConfig(s, { volume: { size: "2Gi" } });
                const line = `rbd: grow ${at} 1 GiB -> 2 GiB`;
                const p = preview(world(), s);
                assert.equal(p.code, 0, p.text);
                assert.ok(p.text.includes(line), p.text);
                const json = preview(world(), s, undefined, "--json");
                assert.equal(json.code, 0, json.text);
                assert.ok(jsonDiagnostics(json.stdout).includes(`info: ${line}`), json.stdout);
                assert.equal(world().rbd.imageSize(c.image), 1024 ** 3, "a preview grows nothing");
            });

            it("a shrink is refused by pulumi preview: non-zero exit, one sentence, rbd and the API unchanged", () => {
                world().editConfig(s, { volume: { size: "512Mi" } });
                const pvBefore = world().kube.get("pv", undefined, `pv-${c.short}`);
                const p = preview(world(), s);
                assert.notEqual(p.code, 0, p.text);
                const line = p.text
                    .split("\n")
                    .find((l) => l.includes("jenkins-ceph:volume.size:"));
                assert.ok(line, p.text);
                // Against the last up's volumeSize, before anything is registered or read.
                assert.match(
                    line,
                    new RegExp(
                        `is 512Mi, below the 1Gi the last pulumi up gave Jenkins' home \\(rbd image ${at}\\): .*set volume.size to at least 1Gi`,
                    ),
                );
                assert.doesNotMatch(p.text, /rbd_ensure|RBD_KEY_END|at .*\.ts:\d+/);
                console.log(`      the reviewer reads: ${line.trim()}`);
                assert.equal(world().rbd.imageSize(c.image), 1024 ** 3);
                const pv = world().kube.get("pv", undefined, `pv-${c.short}`);
                assert.equal(pv.metadata.resourceVersion, pvBefore.metadata.resourceVersion);
            });

            it("an image resized by hand and a snapshot removed by hand preview as drift, with what the next up does", () => {
                const [initial] = world().rbd.snapshots(c.image);
                assert.match(initial, /^jenkins-ceph-\d{8}T\d{6}Z-initial$/);
                world().rbd.resizeImage(c.image, "2G");
                world().rbd.removeSnapshot(c.image, initial);
                world().editConfig(s, { volume: { size: "3Gi" } });
                const p = preview(world(), s);
                assert.equal(p.code, 0, p.text);
                for (const expected of [
                    `rbd drift: ${at} is 2 GiB in Ceph, 1 GiB when the last up left it (resized outside this program); the next up grows it to 3 GiB`,
                    `rbd drift: 1 of this program's snapshots of ${at} were removed outside it since the last up (${initial}); nothing brings them back`,
                    `rbd: grow ${at} 2 GiB -> 3 GiB`,
                ]) {
                    assert.ok(p.text.includes(expected), `no "${expected}" in:\n${p.text}`);
                }
                // volume.size as the last up left it, now below what Ceph has: only the read
                // knows, and the preview refuses what rbd would refuse at up.
                world().editConfig(s, { volume: { size: "1Gi" } });
                const back = preview(world(), s);
                assert.notEqual(back.code, 0, back.text);
                assert.match(
                    back.text,
                    new RegExp(
                        `jenkins-ceph:volume\\.size: is 1Gi, below the 2 GiB rbd image ${at} has in Ceph: refusing to shrink it`,
                    ),
                );
                assert.ok(back.text.includes("the next up refuses to shrink it"), back.text);
            });

            it("with the monitors stopped, the preview warns what it did not check and returns within ceph.timeoutSeconds", function () {
                world().editConfig(s, { ceph: { readAtPreview: false } });
                const floor = preview(world(), s);
                assert.equal(floor.code, 0, floor.text);
                world().editConfig(s, { ceph: { readAtPreview: undefined } });
                if (!world().stopMonitors()) this.skip();
                try {
                    const p = preview(world(), s);
                    assert.equal(p.code, 0, p.text);
                    assert.match(
                        p.text,
                        new RegExp(
                            `rbd: Ceph was not asked about ${at} at preview \\(.*no answer from the monitors.*\\); its size, features, watchers and snapshots were not checked`,
                        ),
                    );
                    // ceph.timeoutSeconds is 10 in the e2e stacks; the read is bounded by it + 5.
                    const extra = p.seconds - floor.seconds;
                    console.log(
                        `      preview ${p.seconds.toFixed(1)}s, without the read ${floor.seconds.toFixed(1)}s`,
                    );
                    assert.ok(extra < 15 + 3, `the read added ${extra.toFixed(1)}s`);
                } finally {
                    world().startMonitors();
                }
            });
        });

        describe("over SSH, on a runner with no rbd on its PATH", function () {
            let runner: LocalWorkspace;
            stopAfterFirstFailure();

            before(async function () {
                const w = await world().workspaceWithoutRbd();
                if (!w) {
                    console.log("    SKIP: a user cluster: the runner's PATH is the user's");
                    this.skip();
                }
                runner = w.ws;
                assert.ok(!w.path.split(":").some((d) => fs.existsSync(`${d}/rbd`)), w.path);
            });

            let st: Stack;
            let sc: Combo;

            it("static: up runs rbd on rbdHost; a shrink is refused, and a grow previews from the read over SSH", async function () {
                const c = localOnly(
                    this,
                    "it needs the local sshd",
                    "static",
                    "in-tree",
                    "pv-ssh",
                    {
                        remote: true,
                    },
                );
                const s = await world().stack(c, runner);
                await s.up();
                const at = `${world().ceph.pool}/${c.image}`;
                assert.equal(world().rbd.imageSize(c.image), 1024 ** 3);
                world().editConfig(s, { volume: { size: "512Mi" } });
                const shrink = preview(world(), s, runner);
                assert.notEqual(shrink.code, 0, shrink.text);
                assert.match(
                    shrink.text,
                    /jenkins-ceph:volume\.size: is 512Mi, below the 1Gi the last pulumi up gave Jenkins' home \(rbd image/,
                );
                world().editConfig(s, { volume: { size: "2Gi" } });
                const grow = preview(world(), s, runner);
                assert.equal(grow.code, 0, grow.text);
                assert.ok(grow.text.includes(`rbd: grow ${at} 1 GiB -> 2 GiB`), grow.text);
                [st, sc] = [s, c];
            });

            it("static backups: up makes the CronJob and its Secret with no key in the state; backup, backups and restore --from-backup run on rbdHost", async function () {
                if (!(await world().backUpTo(st, "static/"))) this.skip();
                await st.up();
                const keyNs = `${sc.namespace}-ceph`;
                const cronJob = world().kube.get("cronjob", keyNs, "jenkins-backup");
                assert.equal(cronJob.spec.concurrencyPolicy, "Forbid");
                assert.ok(world().kube.get("secret", keyNs, "jenkins-backup"));
                world().assertNoKeys(world().exportStack(st), "pulumi stack export");
                world().rbd.writeMarker(sc.image, "backed-up-over-ssh");
                const scripts = new ScriptRunner(runner.workDir, runner.envVars);
                const backup = scripts.runScript("backup", ["--stack", st.name, "--yes"]);
                assert.equal(backup.code, 0, backup.out);
                assert.match(backup.out, /^backup of \S+, on 127\.0\.0\.1 over SSH:$/m);
                const id = /^backup (\S+) of \S+: full \(a new chain\)/m.exec(backup.out)?.[1];
                assert.ok(id, backup.out);
                const list = scripts.runScript("backups", ["--stack", st.name]);
                assert.match(list.out, new RegExp(`^${id} .* full .* encrypted$`, "m"));
                world().rbd.writeMarker(sc.image, "written-after-the-backup");
                const copy = `${sc.image}-copy`;
                const args = ["--stack", st.name, "--from-backup", id, "--to", copy, "--yes"];
                const restore = scripts.runScript("restore", args);
                assert.equal(restore.code, 0, restore.out);
                assert.equal(world().rbd.readMarker(copy), "backed-up-over-ssh");
                // In place of Jenkins' home: Jenkins stopped, the home kept, Jenkins back.
                const inPlace = scripts.runScript("restore", [...args.slice(0, 4), "--yes"]);
                assert.equal(inPlace.code, 0, inPlace.out);
                assert.equal(world().rbd.readMarker(sc.image), "backed-up-over-ssh");
                const kept = /kept whole as \S+\/(\S+), with the safety snapshot/.exec(
                    inPlace.out,
                )?.[1];
                assert.ok(kept, inPlace.out);
                assert.equal(world().rbd.readMarker(kept), "written-after-the-backup");
                assert.match(inPlace.out, /3\. Jenkins is scaled back to 1/);
                const deploy = world().kube.get("deployment", sc.namespace, "jenkins");
                assert.equal(deploy.spec.replicas, 1);
                const verify = scripts.runScript("backup", ["--stack", st.name, "--verify"]);
                assert.equal(verify.code, 0, verify.out);
                assert.match(
                    verify.out,
                    new RegExp(`^verify passed: backup ${id} restores to`, "m"),
                );
            });

            it("dynamic: the snapshot before Jenkins starts is taken over SSH, the grow previews as the provisioner's expansion, and its image is backed up", async function () {
                const c = localOnly(
                    this,
                    "it needs the local sshd",
                    "dynamic",
                    "in-tree",
                    "pv-dyssh",
                    {
                        remote: true,
                    },
                );
                const s = await world().stack(c, runner);
                let output = "";
                await s.up({ onOutput: (o) => (output += o) });
                assert.doesNotMatch(output, /rbd is not on this machine's PATH/);
                const pvc = world().kube.get("pvc", c.namespace, c.claimName);
                const image = world().kube.imageOf(
                    world().kube.get("pv", undefined, pvc.spec.volumeName),
                );
                const snaps = world().rbd.snapshots(image);
                assert.equal(snaps.length, 1, snaps.join(", "));
                assert.match(snaps[0], /^jenkins-ceph-\d{8}T\d{6}Z-initial$/);
                world().editConfig(s, { volume: { size: "512Mi" } });
                const shrink = preview(world(), s, runner);
                assert.notEqual(shrink.code, 0, shrink.text);
                assert.match(
                    shrink.text,
                    /jenkins-ceph:volume\.size: is 512Mi, below the 1Gi the last pulumi up gave Jenkins' home \(claim jenkins\)/,
                );
                world().editConfig(s, { volume: { size: "2Gi" } });
                const p = preview(world(), s, runner);
                assert.equal(p.code, 0, p.text);
                assert.ok(
                    p.text.includes(
                        `rbd: grow ${world().ceph.pool}/${image} 1 GiB -> 2 GiB (the provisioner's volume expansion)`,
                    ),
                    p.text,
                );
                // npm run restore from the same runner: every rbd step over SSH.
                world().editConfig(s, { volume: { size: "1Gi" } });
                const before = world().rbd.readMarker(image);
                world().rbd.writeMarker(image, "after-the-snapshot");
                const scripts = new ScriptRunner(runner.workDir, runner.envVars);
                const args = ["--stack", s.name, "--snapshot", snaps[0], "--yes"];
                const r = scripts.runScript("restore", args);
                assert.equal(r.code, 0, r.out);
                assert.match(r.out, /2-4\. rbd on 127\.0\.0\.1 over SSH/);
                assert.equal(
                    world().rbd.readMarker(image),
                    before,
                    "the snapshot's content is back",
                );
                // Backups of the provisioner's image: the CronJob names it, the CLI backs it up.
                if (!(await world().backUpTo(s, "dynamic/"))) return;
                await s.up();
                const cm = world().kube.get("configmap", `${c.namespace}-ceph`, "jenkins-backup");
                const settings = JSON.parse(cm.data["settings.json"]) as {
                    pool: string;
                    image: string;
                };
                assert.deepEqual([settings.pool, settings.image], [world().ceph.pool, image]);
                const backup = scripts.runScript("backup", ["--stack", s.name, "--yes"]);
                assert.equal(backup.code, 0, backup.out);
                assert.match(
                    backup.out,
                    new RegExp(`^backup \\S+ of ${world().ceph.pool}/${image}: full`, "m"),
                );
            });
        });

        // The refusals of the settings added for least privilege, configuration as code and
        // snapshots, through the real engine: the same sentence as under the mocks, and nothing
        // registered (the rest of the table runs under the mocks in npm test).
        const ENGINE_REFUSALS = [
            "journaling, which the kernel client cannot map",
            "existingStorageClass in static mode",
            "existingStorageClass with monitors that would be ignored",
            "provisionerReplicas zero",
            "toleration with a value and Exists",
            "networkPolicy without the ingress namespace",
            "plugin at latest",
            "plugin listed twice",
            "JCasC that is not YAML",
            "adminPassword in plaintext",
            "agents namespace not a DNS label",
            "snapshots on with a class the cluster has",
            "ConfigMaps made immutable again",
        ];
        it(`refuses ${ENGINE_REFUSALS.length} bad settings on the real engine before anything is registered`, async function () {
            const combo = localOnly(
                this,
                "this test rewrites a stack's whole config",
                "static",
                "csi",
                "casc",
            );
            const s = await world().stack(
                { ...combo, short: "refusals" },
                undefined,
                "e2e-refusals",
            );
            const t0 = Date.now();
            for (const title of ENGINE_REFUSALS) {
                const found = BAD_CONFIGS.find(([t]) => t === title);
                assert.ok(found, `no bad config titled ${title}`);
                const [, input, key, reason] = found;
                const i = input();
                world().setWholeConfig(s, i.values, i.secrets ?? {});
                const message = await s.preview().then(
                    () => "",
                    (e: Error) => e.message,
                );
                const line = message
                    .split("\n")
                    .find((l) => l.includes(`${key}`) && reason.test(l));
                assert.ok(
                    line,
                    `${title}: no line for ${key} matching ${String(reason)} in:\n${message}`,
                );
                const resources = (await s.exportStack()).deployment.resources ?? [];
                assert.deepEqual(
                    resources.filter((r: { type: string }) => !r.type.startsWith("pulumi:")),
                    [],
                    `${title}: registered something`,
                );
            }
            console.log(
                `      ${ENGINE_REFUSALS.length} previews refused in ${((Date.now() - t0) / 1000).toFixed(1)}s`,
            );
            await world().remove(s);
        });
    },
);
