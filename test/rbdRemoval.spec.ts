// The removal guard's decision (components/rbdRemoval.ts): rbd data goes only with the
// step the current program registers, and only when the current settings ask for it.
import { strict as assert } from "assert";
import { keptBecause } from "../components/rbd/rbdRemoval";

describe("removal guard: which deletes may remove rbd data", () => {
    const stored = ["kubes", "jenkins"];
    const current = {
        currentId: "jenkins-home-image-1a2b",
        currentTriggers: JSON.stringify(stored),
    };

    it("pulumi destroy --run-program of the current step, asked for: removed", () => {
        assert.equal(
            keptBecause({ deletedId: "jenkins-home-image-1a2b", stored, ...current }),
            undefined,
        );
    });

    it("the current step, but the current settings keep it: kept, with their reason", () => {
        const why = "volume.deleteImageOnDestroy is false";
        assert.equal(
            keptBecause({
                deletedId: "jenkins-home-image-1a2b",
                stored,
                ...current,
                settingsKeep: why,
            }),
            why,
        );
    });

    type Case = [string, Partial<Parameters<typeof keptBecause>[0]> & { deletedId: string }];
    const kept: Case[] = [
        [
            "a rename (the step was replaced: a new id, another image)",
            { deletedId: "old-9f", stored: ["kubes", "old"] },
        ],
        ["pulumi up --replace (same image, new id)", { deletedId: "old-9f", stored }],
        [
            "a mode switch or snapshots off (no current step)",
            { deletedId: "old-9f", stored, currentId: undefined, currentTriggers: undefined },
        ],
        [
            "a pool rename with the same id (cannot happen, still kept)",
            { deletedId: "jenkins-home-image-1a2b", stored: ["other", "jenkins"] },
        ],
        ["an empty id (a step that never ran)", { deletedId: "", stored, currentId: "" }],
    ];
    for (const [what, d] of kept) {
        it(`${what}: kept`, () => {
            const why = keptBecause({ stored, ...current, ...d });
            assert.match(String(why), /current settings do not name it/);
        });
    }
});
