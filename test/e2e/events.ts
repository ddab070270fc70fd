// What the e2e specs read from the engine's events, and the stacks of their own that some
// tests need (a local world only).
import { localCombo } from "./combos";
import { EngineEvent, OpType } from "@pulumi/pulumi/automation";
import type { Combo } from "./engine";

/** URN tail "type::name" of every step the engine took that was not "same". */
export function changes(events: EngineEvent[]): Map<string, OpType> {
    const out = new Map<string, OpType>();
    for (const e of events) {
        const m = e.resourcePreEvent?.metadata;
        if (!m || m.op === "same" || m.op === "read") continue;
        if (m.type === "pulumi:pulumi:Stack") continue;
        const key = `${m.type}::${m.urn.split("::").pop()}`;
        // A replacement shows as several steps; keep the most telling one.
        if (!out.has(key) || /replace/.test(m.op)) out.set(key, m.op);
    }
    return out;
}

/**
 * A stack of its own for a test that changes the cluster beyond it (localCombo),
 * or a skip that says why on a user's cluster.
 */
export function localOnly(
    test: Mocha.Context,
    why: string,
    ...args: Parameters<typeof localCombo>
): Combo {
    const combo = localCombo(...args);
    if (!combo) {
        console.log(`    SKIP: a user cluster: ${why}`);
        test.skip();
    }
    return combo;
}

export const REPLACING: OpType[] = ["replace", "create-replacement", "delete-replaced"];

/** Each change as "op type::name", in the engine's order. */
export function changeLines(c: Map<string, OpType>): string[] {
    return [...c].map(([k, op]) => `${op} ${k}`);
}

export function describeChanges(c: Map<string, OpType>): string {
    return changeLines(c).join(", ") || "(none)";
}
