// components/jenkins/cascMerge.ts: the configuration-as-code plugin's merge of its
// directory (ErrorOnConflictMergeStrategy), as the program refuses a collision at preview.
import { strict as assert } from "assert";
import * as YAML from "yaml";
import { cascCollisions } from "../components/jenkins/cascMerge";

const docs = (files: Record<string, string>) =>
    Object.entries(files).map(([file, text]) => ({ file, doc: YAML.parse(text) as unknown }));

describe("cascMerge: JCasC's merge of several files", () => {
    it("merges mappings key by key and appends lists, as the plugin does", () => {
        const found = cascCollisions(
            docs({
                "a.yaml": "jenkins:\n  numExecutors: 0\n  clouds:\n    - kubernetes: {name: k8s}\n",
                "b.yaml":
                    "jenkins:\n  systemMessage: hi\n  clouds:\n    - kubernetes: {name: other}\n",
                "c.yaml": "unclassified:\n  location: {url: 'http://x/'}\n",
            }),
        );
        assert.deepEqual(found, []);
    });

    it("refuses a scalar set in two files, even to the same value", () => {
        const found = cascCollisions(
            docs({
                "a.yaml": "jenkins: {numExecutors: 0}\n",
                "b.yaml": "jenkins: {numExecutors: 0}\n",
            }),
        );
        assert.deepEqual(
            found.map((c) => [c.path, c.files]),
            [["jenkins.numExecutors", ["a.yaml", "b.yaml"]]],
        );
        assert.match(found[0].reason, /Found conflicting configuration/);
    });

    it("refuses a mapping against a list or a scalar", () => {
        const found = cascCollisions(
            docs({
                "a.yaml": "jenkins: {clouds: []}\n",
                "b.yaml": "jenkins: {clouds: {kubernetes: {}}}\n",
            }),
        );
        assert.match(found[0].reason, /Found incompatible configuration elements/);
    });

    it("refuses two list entries that name the same thing once appended", () => {
        const found = cascCollisions(
            docs({
                "a.yaml": "jenkins:\n  clouds:\n    - kubernetes: {name: kubernetes}\n",
                "b.yaml":
                    "jenkins:\n  clouds:\n    - kubernetes: {name: kubernetes, namespace: x}\n",
            }),
        );
        assert.equal(found[0].path, "jenkins.clouds");
        assert.match(found[0].reason, /lists kubernetes name "kubernetes" twice/);
    });

    it("names where a collision is deep inside, with both files", () => {
        const found = cascCollisions(
            docs({
                "base.yaml": "jenkins:\n  securityRealm:\n    local: {allowsSignup: false}\n",
                "ldap.yaml": "jenkins:\n  securityRealm:\n    local: {allowsSignup: true}\n",
            }),
        );
        assert.deepEqual(
            found.map((c) => [c.path, c.files]),
            [["jenkins.securityRealm.local.allowsSignup", ["base.yaml", "ldap.yaml"]]],
        );
    });
});
