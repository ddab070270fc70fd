// What docs/ holds that is made from the code stays what the code makes (npm run docs),
// every setting has a meaning, and the README stays a first screen with working links.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { PROJECT_ROOT } from "../cli/projectRoot";
import { MEANINGS } from "../settings/meanings";
import { SETTINGS_REFERENCE, settingLeaves, settingsReference } from "../tools/settingsReference";
import { diagramFile, diagramOf, DIAGRAMS } from "../tools/docs";

const STALE = "is stale: run `npm run docs` and commit the result";

describe("docs: made from the code", function () {
    this.timeout(60_000);

    it("the settings reference is what the schema makes", () => {
        assert.equal(
            fs.readFileSync(SETTINGS_REFERENCE, "utf8"),
            settingsReference(),
            `docs/settings.md ${STALE}`,
        );
    });

    it("every setting has a meaning, and every meaning a setting", () => {
        const keys = settingLeaves().map((s) => s.key);
        assert.deepEqual(
            keys.filter((k) => !MEANINGS[k]),
            [],
            "settings without a meaning in settings/meanings.ts",
        );
        assert.deepEqual(
            Object.keys(MEANINGS).filter((k) => !keys.includes(k)),
            [],
            "meanings of no setting",
        );
        assert.ok(
            keys.includes("volume.snapshots.keep") && keys.includes("cephUserKey"),
            keys.join(" "),
        );
    });

    for (const [mode, stack] of Object.entries(DIAGRAMS)) {
        it(`the ${mode} diagram is what npm run render draws for stack ${stack}, with its arrows`, async () => {
            const svg = await diagramOf(stack);
            assert.equal(
                fs.readFileSync(diagramFile(mode), "utf8"),
                svg,
                `docs/diagrams/${mode}.svg ${STALE}`,
            );
            const titles = [...svg.matchAll(/<title>([^<]*)<\/title>/g)].map((m) =>
                m[1].replace(/&#45;/g, "-").replace(/&gt;/g, ">"),
            );
            const has = (t: string) =>
                assert.ok(titles.includes(t), `${t} not in ${titles.join(", ")}`);
            has("Deployment/ci-infra/jenkins->PersistentVolumeClaim/ci-infra/jenkins");
            has("Service/ci-infra/jenkins->Deployment/ci-infra/jenkins");
            has(
                "step/jenkins-home-snapshot->" +
                    (mode === "static" ? "rbd/kubes/jenkins" : "rbd//(provisioned)"),
            );
            if (mode === "static") {
                has("PersistentVolumeClaim/ci-infra/jenkins->PersistentVolume//jenkins");
                has("PersistentVolume//jenkins->rbd/kubes/jenkins");
                has("PersistentVolume//jenkins->Secret/ci-infra-ceph/ceph-secret-user");
            } else {
                has("PersistentVolumeClaim/ci-infra/jenkins->StorageClass//ceph");
                has("StorageClass//ceph->Secret/ci-infra-ceph/ceph-secret-user");
            }
        });
    }
});

describe("docs: the README", () => {
    const readme = fs.readFileSync(path.join(PROJECT_ROOT, "README.md"), "utf8");

    it("is a first screen: at most 150 lines", () => {
        assert.ok(readme.split("\n").length <= 151, `${readme.split("\n").length} lines`);
    });

    it("links only to files that exist", () => {
        const links = [
            ...readme.matchAll(/\]\(([^)#]+)\)|\b((?:docs|examples)\/[\w./-]+\.(?:md|ts|svg))/g),
        ]
            .map((m) => m[1] ?? m[2])
            .filter((l) => !/^https?:/.test(l));
        assert.ok(links.length > 10, links.join(" "));
        const missing = links.filter((l) => !fs.existsSync(path.join(PROJECT_ROOT, l)));
        assert.deepEqual(missing, []);
    });
});
