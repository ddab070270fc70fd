// A change of Jenkins' home against the stack's last run (settings/homeGuard.ts), through
// the whole program under mocks: the last outputs come from the StackReference to itself.
import { strict as assert } from "assert";
import { runProgram, ProgramRun } from "../cli/mockRuntime";
import { baseStack, StackInput, toRunOptions } from "./fixtures";
import { merge, programResources } from "./helpers";

/** Runs `input` as the next `pulumi up` after a run of `last` (its outputs). */
async function after(last: StackInput, input: StackInput): Promise<ProgramRun> {
    const first = await runProgram(toRunOptions(last));
    assert.ifError(first.error);
    return runProgram({ ...toRunOptions(input), lastOutputs: first.outputs, preview: true });
}

/** Only the stack root and the reference to the last run: nothing of the program. */
function nothingRegistered(r: ProgramRun): void {
    const own = programResources(r).filter((x) => x.type !== "pulumi:pulumi:StackReference");
    assert.deepEqual(
        own.map((x) => `${x.type}::${x.name}`),
        [],
    );
}

function refused(r: ProgramRun, key: string, reason: RegExp): string {
    assert.ok(r.error, "the change must be refused");
    const line = r.error.message.split("\n").find((l) => l.includes(`jenkins-ceph:${key}:`));
    assert.ok(line, `no line for ${key} in:\n${r.error.message}`);
    assert.match(line, reason);
    assert.match(
        r.error.message,
        /^The stack configuration has \d+ problem\(s\); nothing was changed:/,
    );
    nothingRegistered(r);
    return line;
}

const dyn = baseStack("dynamic", "csi");
const st = baseStack("static", "csi");

describe("a change of Jenkins' home is refused at preview when it would start Jenkins empty", function () {
    this.timeout(60_000);

    const rows: [string, StackInput, StackInput, string, RegExp][] = [
        [
            "dynamic: volume.claimName renamed",
            dyn,
            merge(dyn, "volume", { claimName: "jenkins2" }),
            "volume.claimName",
            /changes from "jenkins" to "jenkins2": the claim would be replaced by a new, empty one .*provisioner deletes the old image.*volume\.startEmpty/,
        ],
        [
            "dynamic: jenkins.namespace renamed",
            dyn,
            merge(dyn, "jenkins", { namespace: "ci-new" }),
            "jenkins.namespace",
            /changes from "ci-infra" to "ci-new": the claim would be replaced by a new, empty one/,
        ],
        [
            "dynamic: ceph.storageClassName renamed",
            dyn,
            merge(dyn, "ceph", { storageClassName: "ceph2" }),
            "ceph.storageClassName",
            /changes from "ceph" to "ceph2"/,
        ],
        [
            "any mode: volume.accessMode changed",
            st,
            merge(st, "volume", { accessMode: "ReadWriteOncePod" }),
            "volume.accessMode",
            /access modes cannot change once it exists/,
        ],
        [
            "static -> dynamic",
            st,
            baseStack("dynamic", "csi"),
            "mode",
            /changes from "static" to "dynamic": Jenkins would start on another volume than its home \(rbd image kubes\/jenkins, claim ci-infra\/jenkins\)/,
        ],
        ["dynamic -> static", dyn, st, "mode", /changes from "dynamic" to "static"/],
        [
            "static: volume.image renamed under the same PV",
            st,
            merge(st, "volume", { image: "jenkins2" }),
            "volume.image",
            /changes from "kubes\/jenkins" to "kubes\/jenkins2": the PersistentVolume "jenkins" cannot change its rbd source in place.*volume\.pvName and volume\.claimName new names/,
        ],
        [
            "static: ceph.pool renamed under the same PV",
            st,
            merge(st, "ceph", { pool: "other" }),
            "ceph.pool",
            /changes from "kubes\/jenkins" to "other\/jenkins"/,
        ],
        [
            "static: ceph.provisioner switched under the same PV",
            st,
            baseStack("static", "in-tree"),
            "ceph.provisioner",
            /changes from "csi" to "in-tree"/,
        ],
        [
            "static: volume.pvName renamed under the same claim",
            st,
            merge(st, "volume", { pvName: "jenkins2" }),
            "volume.pvName",
            /the claim "jenkins" cannot be bound to another PersistentVolume in place/,
        ],
    ];
    rows.push(
        [
            "static: jenkins.namespace renamed",
            st,
            merge(st, "jenkins", { namespace: "ci-new" }),
            "jenkins.namespace",
            /in static mode the new Jenkins would start in the new namespace while the old one still runs, both on rbd image kubes\/jenkins; move it in two steps/,
        ],
        [
            "static: ceph.secretNamespace changed (the PV's secret reference)",
            st,
            merge(st, "ceph", { secretNamespace: "ci-keys" }),
            "ceph.secretNamespace",
            /changes the PV's csi.nodeStageSecretRef.namespace from "ci-infra-ceph" to "ci-keys": the PersistentVolume "jenkins" cannot change its rbd source in place/,
        ],
        [
            "static in-tree: ceph.monitors changed",
            baseStack("static", "in-tree"),
            merge(baseStack("static", "in-tree"), "ceph", { monitors: ["10.0.0.9:6789"] }),
            "ceph.monitors",
            /changes the PV's rbd.monitors/,
        ],
        [
            "static: volume.claimName renamed under the same PV",
            st,
            merge(st, "volume", { claimName: "jenkins2" }),
            "volume.claimName",
            /the PersistentVolume "jenkins" is pre-bound to the claim.*give volume.pvName a new name as well/,
        ],
    );
    for (const [what, last, next, key, reason] of rows) {
        it(`${what}: ${key} is refused and nothing is registered`, async () => {
            const line = refused(await after(last, next), key, reason);
            assert.ok(line.length < 600, line);
        });
    }

    it("a stack an earlier version last updated (flat outputs only): a change waits for one unchanged up", async () => {
        const first = await runProgram(toRunOptions(st));
        const flat = { ...first.outputs };
        delete flat.home;
        const next = (input: StackInput) =>
            runProgram({ ...toRunOptions(input), lastOutputs: flat });
        const moved = merge(st, "volume", {
            image: "jenkins2",
            pvName: "jenkins2",
            claimName: "jenkins2",
        });
        refused(
            await next(moved),
            "volume.claimName",
            /by an earlier version of this program.*run one pulumi up with the settings unchanged first/,
        );
        const off = merge(st, "volume", { snapshots: { enabled: false } });
        refused(
            await next(off),
            "volume.snapshots.enabled",
            /stored delete steps follow the settings of their day/,
        );
        const same = await next(st);
        assert.ifError(same.error);
    });

    it("the Ceph Secrets never move from where the PVs made so far name them", async () => {
        refused(
            await after(dyn, merge(dyn, "ceph", { secretNamespace: "ci-keys" })),
            "ceph.secretNamespace",
            /changes from "ci-infra-ceph" to "ci-keys": the Ceph Secrets would move, but the PersistentVolumes made so far name them where they are/,
        );
        // A stack from before ceph.secretNamespace kept them in Jenkins' namespace: the
        // upgrade must say so (the README's upgrade step), or its PVs stop mounting.
        const first = await runProgram(toRunOptions(dyn));
        const flat = { ...first.outputs };
        delete flat.home;
        delete flat.cephSecretNamespace;
        const r = await runProgram({ ...toRunOptions(dyn), lastOutputs: flat });
        refused(
            r,
            "ceph.secretNamespace",
            /set ceph.secretNamespace to "ci-infra"$|set ceph.secretNamespace to "ci-infra"\./,
        );
        const kept = await runProgram({
            ...toRunOptions(merge(dyn, "ceph", { secretNamespace: "ci-infra" })),
            lastOutputs: flat,
        });
        assert.ifError(kept.error);
    });

    it("the same settings again, or a first run, change nothing and adopt nothing", async () => {
        for (const r of [await after(st, st), await runProgram(toRunOptions(st))]) {
            assert.ifError(r.error);
            const cmd = r.resources.find((x) => x.name === "jenkins-home-image" && x.custom);
            assert.match(String(cmd?.inputs.stdin), /^RBD_ADOPT_ONLY=false$/m);
        }
    });

    it("static: a new image under a new PV and claim is adoption: rbd must find it, never create it empty", async () => {
        // The preview asks Ceph whether the image exists (test/ceph/rbd.ts does that
        // against a real Ceph); here no rbd is on PATH, so nothing reaches the fixture's
        // made-up monitors and the check is left to rbd at up.
        const pathBefore = process.env.PATH;
        process.env.PATH = "/nonexistent";
        try {
            const next = merge(st, "volume", {
                image: "jenkins2",
                pvName: "jenkins2",
                claimName: "jenkins2",
            });
            const r = await after(st, next);
            assert.ifError(r.error);
            const cmd = r.resources.find((x) => x.name === "jenkins-home-image" && x.custom);
            assert.match(String(cmd?.inputs.stdin), /^RBD_ADOPT_ONLY=true$/m);
            assert.ok(
                r.logs.some((l) =>
                    /warn: volume\.image changes from "kubes\/jenkins" to "kubes\/jenkins2": kubes\/jenkins2 is adopted if it exists; pulumi up refuses to create it empty/.test(
                        l,
                    ),
                ),
                r.logs.join("\n"),
            );
            const empty = await after(st, merge(next, "volume", { startEmpty: true }));
            const cmd2 = empty.resources.find((x) => x.name === "jenkins-home-image" && x.custom);
            assert.match(String(cmd2?.inputs.stdin), /^RBD_ADOPT_ONLY=false$/m);
        } finally {
            process.env.PATH = pathBefore;
        }
    });

    it("volume.startEmpty lets a dynamic claim rename through, and says so on the run", async () => {
        const r = await after(
            dyn,
            merge(dyn, "volume", { claimName: "jenkins2", startEmpty: true }),
        );
        assert.ifError(r.error);
        assert.ok(r.logs.some((l) => /warn: volume\.startEmpty is true/.test(l)));
    });

    it("a shrink below the last up's volumeSize is refused in every run, before anything is registered", async () => {
        for (const [base, what] of [
            [st, /\(rbd image kubes\/jenkins\)/],
            [dyn, /\(claim jenkins\)/],
        ] as const) {
            const big = merge(base, "volume", { size: "2Gi" });
            const small = merge(base, "volume", { size: "1536Mi" });
            const line = refused(await after(big, small), "volume.size", what);
            assert.match(
                line,
                /is 1536Mi, below the 2Gi the last pulumi up gave Jenkins' home .*set volume\.size to at least 2Gi\. Example: 2Gi$/,
            );
            // The update phase of up (and up --skip-preview) refuses it the same way.
            const first = await runProgram(toRunOptions(big));
            const up = await runProgram({ ...toRunOptions(small), lastOutputs: first.outputs });
            refused(up, "volume.size", what);
            // Growing, or the same size written another way, passes.
            assert.ifError((await after(big, merge(base, "volume", { size: "2048Mi" }))).error);
        }
        // A new image (adoption) is not the last home: its size is Ceph's to say.
        const renamed = merge(st, "volume", {
            size: "1Gi",
            image: "jenkins2",
            pvName: "jenkins2",
            claimName: "jenkins2",
        });
        assert.ifError((await after(merge(st, "volume", { size: "2Gi" }), renamed)).error);
    });
});
