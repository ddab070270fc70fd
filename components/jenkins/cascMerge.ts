// How the configuration-as-code plugin merges the YAML files of its directory, so that a
// collision is refused at preview instead of stopping Jenkins at its start. Its default
// strategy (`errorOnConflict`, plugin/src/main/java/io/jenkins/plugins/casc/yaml/
// ErrorOnConflictMergeStrategy.java in jenkinsci/configuration-as-code-plugin):
// mappings merge key by key; sequences are concatenated; the same key holding a scalar in
// two files is "Found conflicting configuration", even with equal values; a mapping
// against a sequence or a scalar is "Found incompatible configuration elements".
// Concatenation itself is silent, but two entries with the same `name` or `id` in one list
// (two clouds "kubernetes", two users "admin") are refused here too: Jenkins would keep one.
import * as YAML from "yaml";

/** One JCasC file: its name in the directory and its parsed document. */
export interface CascDoc {
    file: string;
    doc: unknown;
}

/** Why two files cannot be merged: the key path, the files, and what JCasC would say. */
export interface CascCollision {
    path: string;
    files: [string, string];
    reason: string;
}

type Origin = { value: unknown; file: string };

const isMap = (v: unknown): v is Record<string, unknown> =>
    typeof v === "object" && v !== null && !Array.isArray(v);

/** Every collision merging `docs` in order would meet; none when JCasC merges them. */
export function cascCollisions(docs: CascDoc[]): CascCollision[] {
    const out: CascCollision[] = [];
    const root: Record<string, Origin> = {};
    for (const d of docs) {
        if (isMap(d.doc)) mergeMap(root, d.doc, d.file, "", out);
    }
    return out;
}

function mergeMap(
    into: Record<string, Origin>,
    from: Record<string, unknown>,
    file: string,
    at: string,
    out: CascCollision[],
): void {
    for (const [key, value] of Object.entries(from)) {
        const path = at ? `${at}.${key}` : key;
        const have = into[key];
        if (have === undefined) {
            into[key] = { value: origins(value, file), file };
            continue;
        }
        const files: [string, string] = [have.file, file];
        if (isMap(have.value) && isMap(value)) {
            mergeMap(have.value as Record<string, Origin>, value, file, path, out);
        } else if (Array.isArray(have.value) && Array.isArray(value)) {
            const list = have.value as Origin[];
            list.push(...(value as unknown[]).map((v): Origin => ({ value: v, file })));
            const dup = duplicateIdentity(list);
            if (dup) out.push({ path, files: [dup.first, dup.second], reason: dup.reason });
        } else if (
            isMap(have.value) ||
            Array.isArray(have.value) ||
            isMap(value) ||
            Array.isArray(value)
        ) {
            out.push({
                path,
                files,
                reason: "holds a mapping or a list in one file and another kind of value in the other (JCasC: Found incompatible configuration elements)",
            });
        } else {
            out.push({
                path,
                files,
                reason: "is set in both (JCasC: Found conflicting configuration, even for equal values)",
            });
        }
    }
}

/** A value with the file of each mapping's entries kept, for the messages. */
function origins(value: unknown, file: string): unknown {
    if (Array.isArray(value)) return (value as unknown[]).map((v): Origin => ({ value: v, file }));
    if (!isMap(value)) return value;
    return Object.fromEntries(
        Object.entries(value).map(([k, v]) => [k, { value: origins(v, file), file }]),
    );
}

/** Two list entries that name the same thing: a mapping with the same name or id, or one key each. */
function duplicateIdentity(
    list: Origin[],
): { first: string; second: string; reason: string } | undefined {
    const seen = new Map<string, string>();
    for (const { value, file } of list) {
        const id = identity(value);
        if (id === undefined) continue;
        const before = seen.get(id);
        if (before !== undefined) {
            return {
                first: before,
                second: file,
                reason: `lists ${id} twice once the files are merged (JCasC appends the lists; Jenkins keeps only one)`,
            };
        }
        seen.set(id, file);
    }
    return undefined;
}

function identity(v: unknown): string | undefined {
    if (!isMap(v)) return undefined;
    const entries = Object.entries(v);
    // A list of one-key mappings (clouds: [{kubernetes: {name: ...}}]): the inner name.
    const inner = entries.length === 1 && isMap(entries[0][1]) ? entries[0][1] : v;
    const kind = entries.length === 1 && isMap(entries[0][1]) ? `${entries[0][0]} ` : "";
    for (const key of ["name", "id"]) {
        const n = inner[key];
        if (typeof n === "string") return `${kind}${key} "${n}"`;
    }
    return undefined;
}

/**
 * Whether Jenkins is configured as code (JCasC, no setup wizard): the one place this is
 * decided. An admin password, from the stack or an existing Secret, makes the program's
 * local admin; a stack file that brings its own login (securityRealm) needs neither.
 */
export function configuredAsCode(j: {
    hasAdminPassword: boolean;
    adminExistingSecret?: string;
    casc: Record<string, string>;
}): boolean {
    return (
        j.hasAdminPassword ||
        j.adminExistingSecret !== undefined ||
        stackSetsJenkins(j.casc, "securityRealm")
    );
}

/** Whether any of the stack's JCasC files sets `jenkins.<key>`. */
export function stackSetsJenkins(files: Record<string, string>, key: string): boolean {
    return Object.values(files).some((text) => {
        const doc: unknown = YAML.parse(text);
        return isMap(doc) && isMap(doc.jenkins) && key in doc.jenkins;
    });
}
