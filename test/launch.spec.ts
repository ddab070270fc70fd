// launch.js, the entry Pulumi runs: precompiled code only while it is fresh.
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_ROOT } from "../cli/mockRuntime";

function tree(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "launch."));
    fs.copyFileSync(path.join(PROJECT_ROOT, "launch.js"), path.join(dir, "launch.js"));
    fs.copyFileSync(path.join(PROJECT_ROOT, "tsconfig.json"), path.join(dir, "tsconfig.json"));
    fs.copyFileSync(
        path.join(PROJECT_ROOT, "tsconfig.build.json"),
        path.join(dir, "tsconfig.build.json"),
    );
    fs.symlinkSync(path.join(PROJECT_ROOT, "node_modules"), path.join(dir, "node_modules"));
    for (const d of ["components", "settings", "bin"]) fs.mkdirSync(path.join(dir, d));
    fs.writeFileSync(path.join(dir, "index.ts"), 'export const which: string = "typescript";\n');
    fs.writeFileSync(path.join(dir, "settings", "a.ts"), "export {};\n");
    return dir;
}

/** Which program launch.js ran, under source-map-support as Pulumi's runner installs it. */
function which(dir: string, what = "which"): string {
    const script = `require("source-map-support/register"); console.log(require("./launch.js").${what})`;
    const r = spawnSync(process.execPath, ["-e", script], { cwd: dir, encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim();
}

describe("launch.js", function () {
    this.timeout(30_000);

    it("runs bin/ when it is newer than every source, else compiles the sources", () => {
        const dir = tree();
        try {
            assert.equal(which(dir), "typescript", "no bin/ yet");
            const built = path.join(dir, "bin", "index.js");
            fs.writeFileSync(built, 'exports.which = "compiled";\n');
            const future = new Date(Date.now() + 60_000);
            fs.utimesSync(built, future, future);
            assert.equal(which(dir), "compiled");
            // A source edited after the build must win: never run stale code.
            const later = new Date(Date.now() + 120_000);
            fs.utimesSync(path.join(dir, "settings", "a.ts"), later, later);
            assert.equal(which(dir), "typescript");
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("runs bin/ with V8's own stack traces, the sources with theirs mapped", () => {
        const dir = tree();
        try {
            const probe = "exports.mapping = String(Error.prepareStackTrace !== undefined);\n";
            fs.appendFileSync(path.join(dir, "index.ts"), probe);
            assert.equal(which(dir, "mapping"), "true", "ts-node maps the sources' stacks");
            const built = path.join(dir, "bin", "index.js");
            fs.writeFileSync(built, probe);
            const future = new Date(Date.now() + 60_000);
            fs.utimesSync(built, future, future);
            assert.equal(which(dir, "mapping"), "false", "no stack of bin/ is mapped");
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("watches every folder tsconfig.build.json compiles, including one added later", () => {
        const dir = tree();
        try {
            const built = path.join(dir, "bin", "index.js");
            fs.writeFileSync(built, 'exports.which = "compiled";\n');
            const future = new Date(Date.now() + 60_000);
            fs.utimesSync(built, future, future);
            const cfgFile = path.join(dir, "tsconfig.build.json");
            const cfg = JSON.parse(fs.readFileSync(cfgFile, "utf8")) as { include: string[] };
            fs.writeFileSync(
                cfgFile,
                JSON.stringify({ ...cfg, include: [...cfg.include, "lib/**/*.ts"] }),
            );
            fs.mkdirSync(path.join(dir, "lib"));
            fs.writeFileSync(path.join(dir, "lib", "x.ts"), "export {};\n");
            assert.equal(which(dir), "compiled");
            const later = new Date(Date.now() + 120_000);
            fs.utimesSync(path.join(dir, "lib", "x.ts"), later, later);
            assert.equal(which(dir), "typescript", "an edit in the new folder makes bin/ stale");
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
