// Entry point for the Pulumi language host (Pulumi.yaml `main`). Runs the program
// precompiled in bin/ when it is newer than every TypeScript source (`npm ci` builds
// it), so a preview does not pay for the TypeScript compiler; otherwise compiles the
// sources in memory (transpile-only) so edited code is never run stale.
// Type checking is `npm run lint` / `npm test`, not every preview.
"use strict";
const fs = require("fs");
const path = require("path");

// What bin/ is compiled from: tsconfig.build.json's include list, so a folder added
// there can never leave a stale bin/ running. ("components/**/*.ts" -> components)
const SOURCES = JSON.parse(
    fs.readFileSync(path.join(__dirname, "tsconfig.build.json"), "utf8"),
).include.map((pattern) => path.join(__dirname, pattern.split("/")[0]));
const COMPILED = path.join(__dirname, "bin", "index.js");

function newestMtime(p) {
    const st = fs.statSync(p);
    if (!st.isDirectory()) return p.endsWith(".ts") ? st.mtimeMs : 0;
    return fs.readdirSync(p).reduce((m, f) => Math.max(m, newestMtime(path.join(p, f))), 0);
}

function compiledIsFresh() {
    try {
        const built = fs.statSync(COMPILED).mtimeMs;
        return SOURCES.every((s) => newestMtime(s) <= built);
    } catch {
        return false;
    }
}

if (compiledIsFresh()) {
    // Pulumi's runner installs source-map-support (@pulumi/pulumi cmd/run), and the SDK takes
    // a full stack trace at every resource it registers (Resource.callsites). bin/ ships no
    // source maps (tsconfig.build.json), so that mapping would only parse node_modules' own
    // maps, about 60 ms of every preview (docs/performance.md). V8's stack format is kept:
    // a stack names the compiled file and line in bin/.
    Error.prepareStackTrace = undefined;
    module.exports = require(COMPILED);
} else {
    require("ts-node").register({
        transpileOnly: true,
        project: path.join(__dirname, "tsconfig.json"),
    });
    module.exports = require("./index.ts");
}
