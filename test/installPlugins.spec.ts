// The plugin installer (components/jenkins/installPlugins.sh) as the init container runs
// it: with the real /bin/sh, in a home of its own, and a stand-in jenkins-plugin-cli on
// PATH that records each call and can fail. No Jenkins war or update centre is here, so
// what the real jenkins-plugin-cli downloads is not checked: only what the script does
// around it (docs/jenkins-as-code.md says so).
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_ROOT } from "../cli/projectRoot";

const SCRIPT = path.join(PROJECT_ROOT, "components", "jenkins", "installPlugins.sh");

// Like the real tool: it deletes and recreates the download directory, then writes one
// .jpi per line of the plugin file; STANDIN_FAIL makes it fail as an unreachable site does.
const STAND_IN = `#!/bin/sh
echo "$*" >> "$STANDIN_CALLS"
while [ $# -gt 0 ]; do
    case $1 in
        --plugin-file) file=$2; shift ;;
        --plugin-download-directory) dir=$2; shift ;;
    esac
    shift
done
rm -rf "$dir"; mkdir -p "$dir"
if [ -n "\${STANDIN_FAIL:-}" ]; then
    echo "Unable to retrieve JSON from https://updates.jenkins.io/update-center.actual.json" >&2
    exit 1
fi
grep -v '^#' "$file" | while IFS=: read -r id version; do
    [ -n "$id" ] && echo "$version" > "$dir/$id.jpi"
done
exit 0
`;

interface Home {
    root: string;
    home: string;
    pluginFile: string;
    calls(): string[];
    run(env?: Record<string, string>): { code: number | null; stdout: string; stderr: string };
    installed(dir?: string): Record<string, string>;
}

function makeHome(): Home {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "install-plugins."));
    const bin = path.join(root, "bin");
    const home = path.join(root, "home");
    fs.mkdirSync(bin);
    fs.mkdirSync(home);
    fs.writeFileSync(path.join(bin, "jenkins-plugin-cli"), STAND_IN, { mode: 0o755 });
    const pluginFile = path.join(root, "plugins.txt");
    const callsFile = path.join(root, "calls");
    return {
        root,
        home,
        pluginFile,
        calls: () =>
            fs.existsSync(callsFile)
                ? fs.readFileSync(callsFile, "utf8").trim().split("\n").filter(Boolean)
                : [],
        run(env = {}) {
            const r = spawnSync("/bin/sh", [SCRIPT], {
                encoding: "utf8",
                env: {
                    PATH: `${bin}:/usr/bin:/bin`,
                    JENKINS_HOME: home,
                    JENKINS_WAR: "/usr/share/jenkins/jenkins.war",
                    JENKINS_IMAGE: "jenkins/jenkins:2.568.2-jdk21",
                    PLUGIN_FILE: pluginFile,
                    TMPDIR: root,
                    STANDIN_CALLS: callsFile,
                    ...env,
                },
            });
            return { code: r.status, stdout: r.stdout, stderr: r.stderr };
        },
        installed(dir = "plugins") {
            const at = path.join(home, dir);
            const out: Record<string, string> = {};
            for (const f of fs.readdirSync(at).filter((x) => x.endsWith(".jpi")))
                out[f] = fs.readFileSync(path.join(at, f), "utf8").trim();
            return out;
        },
    };
}

describe("install-plugins.sh: plugins in the home, downloaded only when the list changes", () => {
    let h: Home;
    beforeEach(() => {
        h = makeHome();
        fs.writeFileSync(h.pluginFile, "configuration-as-code:1985.vdda_32d0c4ea_b_\ngit:5.7.0\n");
    });
    afterEach(() => fs.rmSync(h.root, { recursive: true, force: true }));

    it("first install: one call with the pinned list, --latest false, into the home", () => {
        const r = h.run();
        assert.equal(r.code, 0, r.stderr);
        assert.equal(h.calls().length, 1);
        assert.match(h.calls()[0], new RegExp(`--plugin-file ${h.pluginFile} `));
        assert.match(h.calls()[0], /--latest false/);
        assert.deepEqual(h.installed(), {
            "configuration-as-code.jpi": "1985.vdda_32d0c4ea_b_",
            "git.jpi": "5.7.0",
        });
        assert.match(r.stdout, /installed 2 plugins for jenkins\/jenkins:2\.568\.2-jdk21$/m);
        assert.equal(fs.existsSync(path.join(h.home, ".jenkins-ceph-plugins.download")), false);
    });

    it("a restart with the same list and image calls nothing (no network needed)", () => {
        assert.equal(h.run().code, 0);
        const again = h.run();
        assert.equal(again.code, 0, again.stderr);
        assert.equal(h.calls().length, 1, "no second call");
        assert.match(again.stdout, /holds the pinned list .*; nothing to download/);
        assert.deepEqual(Object.keys(h.installed()).sort(), [
            "configuration-as-code.jpi",
            "git.jpi",
        ]);
    });

    it("a changed list installs the new set and keeps the one before as plugins.previous", () => {
        assert.equal(h.run().code, 0);
        fs.writeFileSync(h.pluginFile, "configuration-as-code:1985.vdda_32d0c4ea_b_\ngit:5.8.0\n");
        const r = h.run();
        assert.equal(r.code, 0, r.stderr);
        assert.equal(h.calls().length, 2);
        assert.equal(h.installed()["git.jpi"], "5.8.0");
        assert.equal(h.installed("plugins.previous")["git.jpi"], "5.7.0");
        assert.match(r.stdout, /the set before is kept in .*plugins\.previous/);
    });

    it("a new image installs again with the same list (its war may need other dependencies)", () => {
        assert.equal(h.run().code, 0);
        const r = h.run({ JENKINS_IMAGE: "jenkins/jenkins:2.568.3-jdk21" });
        assert.equal(r.code, 0, r.stderr);
        assert.equal(h.calls().length, 2);
    });

    it("a failed download keeps the last good set and exits non-zero with one sentence first", () => {
        assert.equal(h.run().code, 0);
        const before = h.installed();
        fs.writeFileSync(h.pluginFile, "git:5.8.0\n");
        const r = h.run({ STANDIN_FAIL: "1" });
        assert.equal(r.code, 1);
        const [first, ...rest] = r.stderr.trim().split("\n");
        assert.match(
            first,
            /^install-plugins: the pinned plugins could not be downloaded, so \S+\/plugins keeps the last good set; Jenkins starts once the download works \(check jenkins\.pluginDownload and the update centre; this container retries on every restart\)\.$/,
        );
        // Details after the sentence: the tool's own last lines.
        assert.match(rest.join("\n"), /Unable to retrieve JSON/);
        assert.deepEqual(h.installed(), before);
        assert.equal(fs.existsSync(path.join(h.home, ".jenkins-ceph-plugins.download")), false);
        // Once the site answers, the next start installs the new list.
        const fixed = h.run();
        assert.equal(fixed.code, 0, fixed.stderr);
        assert.deepEqual(h.installed(), { "git.jpi": "5.8.0" });
    });

    it("a failed first install says that no plugins are installed yet", () => {
        const r = h.run({ STANDIN_FAIL: "1" });
        assert.equal(r.code, 1);
        assert.match(
            r.stderr,
            /^install-plugins: .* so no plugins are installed yet; Jenkins starts once/,
        );
        assert.equal(fs.existsSync(path.join(h.home, "plugins")), false);
    });

    it("plugins a home already had (the 2018 installation's) are kept aside, not deleted", () => {
        fs.mkdirSync(path.join(h.home, "plugins"));
        fs.writeFileSync(path.join(h.home, "plugins", "greenballs.jpi"), "1.15\n");
        const r = h.run();
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(h.installed("plugins.previous"), { "greenballs.jpi": "1.15" });
        assert.equal(h.installed()["greenballs.jpi"], undefined);
    });

    it("a swap cut short between its two renames is put back before anything else", () => {
        assert.equal(h.run().code, 0);
        fs.renameSync(path.join(h.home, "plugins"), path.join(h.home, "plugins.previous"));
        const r = h.run();
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /put back the set an interrupted install had moved aside/);
        assert.equal(h.calls().length, 1, "the set put back is the pinned one: no download");
        assert.equal(h.installed()["git.jpi"], "5.7.0");
    });
});
