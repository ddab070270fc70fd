// Every spec file runs in CI: test:e2e names its specs one by one (longest first, so the
// two workers finish close together), and a spec left out of that list would never run.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { PROJECT_ROOT } from "../cli/projectRoot";

describe("suites: every spec file runs in CI", () => {
    it("test:e2e lists each test/e2e spec once", () => {
        const pkg = JSON.parse(
            fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8"),
        ) as {
            scripts: Record<string, string>;
        };
        const listed = pkg.scripts["test:e2e"].split(/\s+/).filter((w) => w.endsWith(".spec.ts"));
        const present = fs
            .readdirSync(path.join(PROJECT_ROOT, "test", "e2e"))
            .filter((f) => f.endsWith(".spec.ts"))
            .map((f) => `test/e2e/${f}`);
        assert.deepEqual([...listed].sort(), present.sort());
        assert.equal(new Set(listed).size, listed.length, "a spec listed twice");
    });
});
