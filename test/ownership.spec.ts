// A stack never takes over a Kubernetes object it did not create (components/ownership.ts):
// the decision, and that every object the program registers is guarded and annotated.
import { strict as assert } from "assert";
import { OWNER_ANNOTATION, takeoverRefusal } from "../components/cluster/ownership";
import { objectPath } from "../components/cluster/clusterReader";
import { baseStack, COMBINATIONS } from "./fixtures";
import { Any, k8s, runOk } from "./helpers";

describe("ownership: what a stack may create over an existing object", () => {
    const me = "organization/jenkins-ceph/prod";

    it("its own (an earlier, interrupted run of this stack) and what the takeover adopts: allowed", () => {
        assert.equal(
            takeoverRefusal(
                "PersistentVolume",
                undefined,
                "jenkins",
                { annotations: { [OWNER_ANNOTATION]: me }, managers: [] },
                me,
                [],
            ),
            undefined,
        );
        assert.equal(
            takeoverRefusal(
                "Namespace",
                undefined,
                "ci-infra",
                { annotations: {}, managers: ["kubectl-create"] },
                me,
                ["Namespace//ci-infra"],
            ),
            undefined,
        );
    });

    it("another stack's: refused, naming the object and the owner", () => {
        const why = takeoverRefusal(
            "PersistentVolume",
            undefined,
            "jenkins",
            { annotations: { [OWNER_ANNOTATION]: "organization/jenkins-ceph/dev" }, managers: [] },
            me,
            [],
        );
        assert.match(
            String(why),
            /^PersistentVolume jenkins already exists and belongs to stack organization\/jenkins-ceph\/dev: this stack does not take over what it did not create/,
        );
    });

    it("a person's, or another Pulumi program's: refused, with who made it", () => {
        assert.match(
            String(
                takeoverRefusal(
                    "PersistentVolumeClaim",
                    "ci-infra",
                    "jenkins",
                    { annotations: {}, managers: ["kubectl-create"] },
                    me,
                    [],
                ),
            ),
            /^PersistentVolumeClaim ci-infra\/jenkins already exists and belongs to someone else \(made by kubectl-create\).*npm run takeover$/,
        );
        assert.match(
            String(
                takeoverRefusal(
                    "Secret",
                    "x",
                    "y",
                    { annotations: {}, managers: ["pulumi-kubernetes-1a2b3c"] },
                    me,
                    [],
                ),
            ),
            /belongs to a Pulumi stack of another program/,
        );
    });

    it("looks objects up at their API paths", () => {
        assert.equal(
            objectPath("v1", "persistentvolumes", "jenkins"),
            "/api/v1/persistentvolumes/jenkins",
        );
        assert.equal(
            objectPath("apps/v1", "deployments", "jenkins", "ci-infra"),
            "/apis/apps/v1/namespaces/ci-infra/deployments/jenkins",
        );
    });

    for (const [mode, prov] of COMBINATIONS) {
        it(`${mode} x ${prov}: every Kubernetes object is guarded before create and names its stack`, async () => {
            const r = await runOk(baseStack(mode, prov));
            for (const x of k8s(r)) {
                assert.deepEqual(
                    x.options.beforeCreate,
                    ["jenkins-ceph-not-taken-over"],
                    `${x.type} ${x.name}`,
                );
                assert.equal(
                    (x.inputs as Any).metadata.annotations[OWNER_ANNOTATION],
                    "organization/jenkins-ceph/test",
                );
            }
        });
    }
});
