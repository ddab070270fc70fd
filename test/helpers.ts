// Shared helpers: run the program for a stack input and find what it registered.
import { ProgramRun, RegisteredResource, runProgram } from "../cli/mockRuntime";
import { isKubernetesObject } from "../cli/render";
import { StackInput, toRunOptions } from "./fixtures";

export async function run(input: StackInput, preview = false): Promise<ProgramRun> {
    return runProgram({ ...toRunOptions(input), preview });
}

/** Runs a config that must be valid; fails loudly with the program's error otherwise. */
export async function runOk(input: StackInput): Promise<ProgramRun> {
    const r = await run(input);
    if (r.error) throw new Error(`program failed: ${r.error.message}`);
    return r;
}

export function k8s(run: ProgramRun): RegisteredResource[] {
    return run.resources.filter(isKubernetesObject);
}

export function byKind(run: ProgramRun, kind: string): RegisteredResource[] {
    return k8s(run).filter((r) => r.inputs.kind === kind);
}

export function one(run: ProgramRun, kind: string, name?: string): RegisteredResource {
    const found = byKind(run, kind).filter(
        (r) => name === undefined || (r.inputs.metadata as { name?: string }).name === name,
    );
    if (found.length !== 1) {
        throw new Error(`expected one ${kind}${name ? ` ${name}` : ""}, found ${found.length}`);
    }
    return found[0];
}

/** Resources a failed config registered: the stack root is the engine's, not the program's. */
export function programResources(run: ProgramRun): RegisteredResource[] {
    return run.resources.filter((r) => r.type !== "pulumi:pulumi:Stack");
}

export function merge(input: StackInput, key: string, patch: Record<string, unknown>): StackInput {
    const cur = (input.values[key] ?? {}) as Record<string, unknown>;
    return { ...input, values: { ...input.values, [key]: { ...cur, ...patch } } };
}

export type Any = any;

/** The command steps, less the notes of kept namespaces (components/keptNamespace.ts). */
export function commandSteps(run: ProgramRun): RegisteredResource[] {
    return run.resources.filter(
        (x) =>
            x.type.startsWith("command:") &&
            (x.inputs.environment as { KEPT_NAMESPACE?: unknown } | undefined)?.KEPT_NAMESPACE ===
                undefined,
    );
}
