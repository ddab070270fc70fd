// A real JVM judges JAVA_OPTS: what the program generates must start, and what the
// validator refuses must be what the JVM refuses.
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import { javaOptsOrderErrors } from "../settings/javaOpts";
import { splitOpts } from "../components/jenkins/javaOpts";
import { baseStack } from "./fixtures";
import { Any, merge, one, runOk } from "./helpers";

const SEED_JAVA_OPTS =
    "-Xms8G -Xmx8G -XX:+UseG1GC -XX:+ExplicitGCInvokesConcurrent -XX:+ParallelRefProcEnabled " +
    "-XX:+UseStringDeduplication -XX:+UnlockExperimentalVMOptions -XX:G1NewSizePercent=20 " +
    "-XX:+UnlockDiagnosticVMOptions -XX:G1SummarizeRSetStatsPeriod=1 " +
    "-Dorg.apache.commons.jelly.tags.fmt.timeZone=Asia/Seoul";

function java(args: string[]) {
    const r = spawnSync("java", args, { encoding: "utf8", timeout: 60_000 });
    return { status: r.status, out: `${r.stdout}${r.stderr}`, error: r.error };
}

const javaPresent = !java(["-version"]).error;
const required = process.env.CI === "true" || process.env.REQUIRE_JVM === "1";

async function generatedJavaOpts(jenkinsPatch: Record<string, unknown> = {}): Promise<string> {
    const r = await runOk(merge(baseStack("dynamic", "csi"), "jenkins", jenkinsPatch));
    const c = (one(r, "Deployment").inputs as Any).spec.template.spec.containers[0];
    return c.env.find((e: Any) => e.name === "JAVA_OPTS").value as string;
}

describe("JVM: JAVA_OPTS checked by a real java", function () {
    before(function () {
        if (!javaPresent) {
            if (required)
                throw new Error(
                    "java is missing and CI/REQUIRE_JVM demands it (apt-get install openjdk-17-jre-headless)",
                );
            console.log(
                "    SKIP: `java` not found; install openjdk-17-jre-headless to run the JVM checks",
            );
            this.skip();
        }
    });

    it("accepts the generated default JAVA_OPTS and applies heap percentages and time zone", async () => {
        // A zone other than the UTC default, so that the check shows the setting arrives.
        const opts = await generatedJavaOpts({ timezone: "Asia/Seoul" });
        const r = java([
            ...splitOpts(opts),
            "-XX:+PrintFlagsFinal",
            "-XshowSettings:properties",
            "-version",
        ]);
        assert.equal(r.status, 0, r.out);
        assert.match(r.out, /MaxRAMPercentage\s+= 75\.0/);
        assert.match(r.out, /InitialRAMPercentage\s+= 50\.0/);
        assert.match(r.out, /UseG1GC\s+= true/);
        assert.match(r.out, /user\.timezone = Asia\/Seoul/);
        assert.match(r.out, /org\.apache\.commons\.jelly\.tags\.fmt\.timeZone = Asia\/Seoul/);
    });

    it("configured as code, the JVM gets the wizard switched off", async () => {
        const r = await runOk({
            ...merge(baseStack("dynamic", "csi"), "jenkins", {}),
            secrets: {
                ...baseStack("dynamic", "csi").secrets,
                "jenkins.adminPassword": "jvm-check-password",
            },
        });
        const c = (one(r, "Deployment").inputs as Any).spec.template.spec.containers[0];
        const opts = c.env.find((e: Any) => e.name === "JAVA_OPTS").value as string;
        const out = java([...splitOpts(opts), "-XshowSettings:properties", "-version"]);
        assert.equal(out.status, 0, out.out);
        assert.match(out.out, /jenkins\.install\.runSetupWizard = false/);
    });

    it("accepts the 2018 installation's full JAVA_OPTS, and the validator agrees", () => {
        assert.deepEqual(javaOptsOrderErrors(splitOpts(SEED_JAVA_OPTS)), []);
        const r = java([...splitOpts(SEED_JAVA_OPTS), "-version"]);
        assert.equal(r.status, 0, r.out);
    });

    it("accepts the 2018 installation's diagnostic flags added through settings", async () => {
        const opts = await generatedJavaOpts({
            javaOpts:
                "-XX:+UnlockExperimentalVMOptions -XX:G1NewSizePercent=20 -XX:+UnlockDiagnosticVMOptions -XX:G1SummarizeRSetStatsPeriod=1",
        });
        const r = java([...splitOpts(opts), "-version"]);
        assert.equal(r.status, 0, r.out);
    });

    for (const bad of [
        "-XX:G1SummarizeRSetStatsPeriod=1 -XX:+UnlockDiagnosticVMOptions",
        "-XX:G1NewSizePercent=20",
        "-XX:+UnlockDiagnosticVMOptions -XX:G1NewSizePercent=20",
    ]) {
        it(`refuses what the JVM refuses: ${bad}`, () => {
            const r = java([...splitOpts(bad), "-version"]);
            assert.notEqual(r.status, 0, `the JVM accepted ${bad}`);
            assert.ok(javaOptsOrderErrors(splitOpts(bad)).length > 0, "the validator accepted it");
        });
    }
});
