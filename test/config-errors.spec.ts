// Bad input: the program registers nothing and the error names the key, what is wrong
// and a right value. Table-driven (test/badConfigs.ts); each row is one realistic mistake.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { PROJECT_ROOT } from "../cli/mockRuntime";
import { MUTABLE_KEYS } from "../settings/settings";
import { BAD_CONFIGS } from "./badConfigs";
import { baseStack, FAKE_USER_KEY } from "./fixtures";
import { merge, programResources, run } from "./helpers";

const csi = () => baseStack("dynamic", "csi");

describe("config errors: nothing registered, a clear message", () => {
    it(`has at least 40 distinct bad configurations (${BAD_CONFIGS.length})`, () => {
        assert.ok(BAD_CONFIGS.length >= 40);
        assert.equal(new Set(BAD_CONFIGS.map((c) => c[0])).size, BAD_CONFIGS.length);
    });

    for (const [title, input, key, reason] of BAD_CONFIGS) {
        it(title, async () => {
            const r = await run(input());
            assert.ok(r.error, "the program must fail");
            assert.deepEqual(
                programResources(r).map((x) => `${x.type} ${x.name}`),
                [],
                "no resource may be registered",
            );
            const lines = r.error.message
                .split("\n")
                .filter((l) => [":", ".", "["].some((end) => l.includes(`${key}${end}`)));
            assert.ok(lines.length > 0, `no line names ${key}:\n${r.error.message}`);
            const line = lines.find((l) => reason.test(l));
            assert.ok(line, `no line for ${key} matches ${String(reason)}:\n${lines.join("\n")}`);
            assert.match(line, /Example: |did you mean/, "the line shows a right value");
            assert.ok(
                !r.error.message.includes(FAKE_USER_KEY),
                "a key value leaked into the error",
            );
        });
    }

    it("Pulumi.yaml keeps Secrets and ConfigMaps mutable for every stack, so a key rotation or a plugin change is an update", () => {
        const project = YAML.parse(
            fs.readFileSync(path.join(PROJECT_ROOT, "Pulumi.yaml"), "utf8"),
        ) as { config: Record<string, { value: unknown }> };
        for (const key of Object.keys(MUTABLE_KEYS))
            assert.equal(project.config[key]?.value, true, key);
    });

    it("reports every problem of one config together", async () => {
        const input = merge(merge(csi(), "ceph", { pool: "", user: "client.kube" }), "volume", {
            size: "100Gb",
            accessMode: "ReadWriteMany",
        });
        const r = await run(input);
        const lines = (r.error?.message ?? "").split("\n").filter((l) => l.startsWith("  - "));
        assert.equal(lines.length, 4, r.error?.message);
        assert.match(r.error?.message ?? "", /has 4 problem\(s\); nothing was changed/);
    });

    it("accepts bracketed IPv6 monitors and host names", async () => {
        const r = await run(
            merge(csi(), "ceph", { monitors: ["[2001:db8::1]:3300", "mon-a.ceph.local:6789"] }),
        );
        assert.equal(r.error, undefined, r.error?.message);
    });
});
