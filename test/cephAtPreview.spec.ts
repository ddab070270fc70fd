// The preview read when Ceph cannot be asked (settings/cephAtPreview.ts): one warning that
// says what was not checked, and the preview goes on, within ceph.timeoutSeconds. Against
// nothing but 127.0.0.1 (a port nobody listens on) and a PATH without rbd; the read of a
// real Ceph is in test/ceph/rbd.ts and test/e2e/preview.spec.ts.
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as net from "net";
import { runProgram } from "../cli/mockRuntime";
import { baseStack, toRunOptions } from "./fixtures";
import { merge } from "./helpers";

/** A loopback port that was free a moment ago: nothing answers there. */
async function closedPort(): Promise<number> {
    return new Promise((resolve) => {
        const s = net.createServer().listen(0, "127.0.0.1", () => {
            const p = (s.address() as net.AddressInfo).port;
            s.close(() => resolve(p));
        });
    });
}

async function previewWith(ceph: Record<string, unknown>) {
    const input = merge(baseStack("static", "in-tree"), "ceph", { readAtPreview: true, ...ceph });
    const t0 = Date.now();
    const r = await runProgram({ ...toRunOptions(input), preview: true });
    return { ...r, seconds: (Date.now() - t0) / 1000 };
}

describe("the preview read when Ceph cannot be asked: one warning, and the preview goes on", function () {
    this.timeout(60_000);

    it("no rbd where the step runs: says so, checks nothing, registers the stack", async () => {
        const before = process.env.PATH;
        process.env.PATH = "/nonexistent";
        try {
            const r = await previewWith({});
            assert.ifError(r.error);
            const warns = r.logs.filter((l) => l.startsWith("warn: rbd: Ceph was not asked"));
            assert.equal(warns.length, 1, r.logs.join("\n"));
            assert.match(
                warns[0],
                /about kubes\/jenkins at preview \(.*rbd is not installed on .*\); its size, features, watchers and snapshots were not checked, and pulumi up still refuses a shrink or an empty home on its own$/,
            );
            assert.ok(r.resources.some((x) => x.type === "kubernetes:apps/v1:Deployment"));
        } finally {
            process.env.PATH = before;
        }
    });

    it("monitors that do not answer: the warning comes within ceph.timeoutSeconds", async function () {
        if (spawnSync("sh", ["-c", "command -v rbd"]).status !== 0) {
            const why = "rbd is not installed (ceph-common)";
            if (process.env.CI === "true") throw new Error(`${why}; CI makes this a failure`);
            console.log(`    SKIP: ${why}`);
            this.skip();
        }
        const port = await closedPort();
        const r = await previewWith({ monitors: [`v1:127.0.0.1:${port}`], timeoutSeconds: 2 });
        assert.ifError(r.error);
        const warn = r.logs.find((l) => l.startsWith("warn: rbd: Ceph was not asked"));
        assert.ok(warn, r.logs.join("\n"));
        assert.match(warn, /no answer from the monitors|no answer within 7s/);
        // The read is bounded by timeoutSeconds + 5; the rest of the run is the mock runtime.
        assert.ok(r.seconds < 2 + 5 + 5, `took ${r.seconds}s`);
    });
});
