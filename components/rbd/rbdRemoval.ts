// The only way this program deletes rbd data: a named beforeDelete hook that runs the rbd
// program's remove (or purge) step with the settings of the run that deletes.
//
// Why a hook and not the command's own delete: the command provider runs the delete
// script stored with the resource's last update, so it follows the settings of the past.
// A renamed image, a switch to dynamic mode or snapshots turned off would delete what the
// current settings no longer name (issue #21). The stored delete steps therefore never
// delete (rbdScript.ts, `keep` and `keep-snapshots`); this hook is code of the current
// program. The engine refuses `pulumi destroy` of a resource with delete hooks unless the
// program runs (`--run-program`), so a destroy always deletes by the current settings.
//
// The hook acts only on the step the current program still registers, by id: in `pulumi
// destroy --run-program` the engine hands the program the stored resource (same id); in
// `pulumi up`, a replaced step has a new id and a removed one none, so a rename, a mode or
// provider switch, or `--replace` keeps the data and says how to remove it by hand.
import * as pulumi from "@pulumi/pulumi";
import type { StepResult } from "./rbdRun";

/** What the guard watches: the step the current program registers, and how to remove its data. */
export interface GuardedStep {
    command: pulumi.CustomResource & { triggers: pulumi.Output<unknown[] | undefined> };
    /** Why the current settings keep the data even on destroy; undefined = remove it. */
    keptBecause: pulumi.Input<string | undefined>;
    /** Runs the removal step with the current settings (resolved secrets inside). */
    remove: pulumi.Output<() => Promise<StepResult>>;
}

/**
 * A named beforeDelete hook that removes the data of the step being deleted only when
 * that step is the one the current program registers (same id, same pool and image) and
 * the current settings ask for it; anything else is kept and said so. JenkinsVolume
 * registers it whatever the settings, because a stored resource that names a hook fails
 * to delete when the program does not register it.
 */
export class RemovalGuard {
    readonly hook: pulumi.ResourceHook;
    private currentId?: string;
    private currentTriggers?: string;
    private keptBecause?: string = "nothing registers this step in the current settings";
    private remove?: () => Promise<StepResult>;

    constructor(
        name: string,
        /** What the data is, from the stored triggers [pool, image]: "rbd image kubes/jenkins". */
        private readonly what: (triggers: string[]) => string,
        /** How to remove it by hand. */
        private readonly byHand: (triggers: string[]) => string,
    ) {
        this.hook = new pulumi.ResourceHook(name, (h) => this.run(h));
    }

    /** The step of the current program this guard removes data for. */
    watch(step: GuardedStep): void {
        this.keptBecause = undefined;
        step.command.id.apply((id) => (this.currentId = id));
        step.command.triggers.apply((t) => (this.currentTriggers = JSON.stringify(t ?? [])));
        pulumi.output(step.keptBecause).apply((k) => (this.keptBecause = k));
        step.remove.apply((f) => (this.remove = f));
    }

    private async run(h: pulumi.ResourceHookArgs): Promise<void> {
        const stored = (h.oldInputs?.triggers ?? h.oldOutputs?.triggers ?? []) as string[];
        const kept = keptBecause({
            deletedId: h.id,
            stored,
            currentId: this.currentId,
            currentTriggers: this.currentTriggers,
            settingsKeep: this.remove ? this.keptBecause : "nothing can run the removal",
        });
        if (kept !== undefined) {
            void pulumi.log.info(
                `kept ${this.what(stored)}: ${kept}; to remove it by hand: ${this.byHand(stored)}`,
            );
            return;
        }
        const remove = this.remove!;
        const r = await remove();
        const out = r.stdout.trim();
        if (out) void pulumi.log.info(out);
        if (r.code !== 0) {
            const last = r.stderr.trim().split("\n").filter(Boolean).pop() ?? `exit ${r.code}`;
            throw new Error(last);
        }
    }
}

/**
 * Why the data of a step being deleted is kept, or undefined when it is removed: only the
 * step the current program registers (same id, same pool and image) is removed, and only
 * when the current settings ask for it.
 */
export function keptBecause(d: {
    deletedId: string;
    stored: string[];
    currentId?: string;
    currentTriggers?: string;
    settingsKeep?: string;
}): string | undefined {
    const same =
        d.deletedId !== "" &&
        d.deletedId === d.currentId &&
        JSON.stringify(d.stored) === d.currentTriggers;
    if (!same) {
        return "the current settings do not name it (a rename, a mode switch, snapshots turned off or a replacement)";
    }
    return d.settingsKeep;
}
