// How a config's problems are worded: each names the full key, what is wrong and a
// right value (an Example, or "did you mean" for a typo); zod's issues are translated
// here. Secret values never reach a message.
import { z } from "zod";
import { exampleFor, schemaAt, STACK_FIELDS, unwrap } from "./schema";

export class ConfigError extends Error {
    constructor(public readonly problems: string[]) {
        super(
            `The stack configuration has ${problems.length} problem(s); nothing was changed:\n` +
                problems.map((p) => `  - ${p}`).join("\n"),
        );
        this.name = "ConfigError";
    }
}

export class Problems {
    readonly list: string[] = [];
    constructor(private readonly project: string) {}

    add(path: string, reason: string, example = exampleFor(path)): void {
        this.addKey(`${this.project}:${path}`, reason, example);
    }

    /** A key outside this project's namespace, e.g. a provider's. */
    addKey(fullKey: string, reason: string, example?: string): void {
        const ex = example ? ` Example: ${example}` : "";
        this.list.push(`${fullKey}: ${reason}.${ex}`);
    }

    /** The issues of the stack's root schema: each path is a setting path. */
    fromZod(error: z.ZodError): void {
        for (const issue of error.issues) {
            const path = issue.path.reduce<string>(
                (p, seg) =>
                    typeof seg === "number"
                        ? `${p}[${seg}]`
                        : p
                          ? `${p}.${String(seg)}`
                          : String(seg),
                "",
            );
            if (issue.code === "unrecognized_keys") {
                const known = knownFields(issue.path);
                for (const key of issue.keys) {
                    const guess = closest(key, known);
                    // A top-level key is written with the project's namespace.
                    const right = path ? `"${guess}"` : `${this.project}:${guess}`;
                    this.add(
                        path ? `${path}.${key}` : key,
                        `unknown setting${guess ? ` (did you mean "${guess}"?)` : ""}; known: ${known.join(", ")}`,
                        guess ? right : undefined,
                    );
                }
                continue;
            }
            const example =
                issue.code === "custom"
                    ? (issue.params as { example?: string } | undefined)?.example
                    : undefined;
            this.add(path, zodReason(issue), example);
        }
    }
}

function zodReason(issue: z.ZodIssue): string {
    switch (issue.code) {
        case "invalid_type":
            return issue.received === "undefined" ? "is required" : `expected ${issue.expected}`;
        case "invalid_enum_value":
            return `must be one of ${issue.options.map(String).join(", ")}`;
        case "too_small":
        case "too_big":
            return `is out of range (${issue.message})`;
        default:
            return issue.message;
    }
}

/** The fields an object setting (or the stack) has, for "unknown setting ...; known: ...". */
function knownFields(path: PropertyKey[]): string[] {
    if (path.length === 0) return Object.keys(STACK_FIELDS);
    const fields = path.filter((seg) => typeof seg !== "number").map(String);
    const schema = unwrap(schemaAt(fields.join(".")));
    return schema instanceof z.ZodObject ? Object.keys(schema.shape as object) : [];
}

/** The known name within edit distance 2, for "did you mean". */
export function closest(word: string, candidates: string[]): string | undefined {
    const dist = (a: string, b: string): number => {
        const d = Array.from({ length: a.length + 1 }, (_, i) => [
            i,
            ...Array<number>(b.length).fill(0),
        ]);
        for (let j = 1; j <= b.length; j++) d[0][j] = j;
        for (let i = 1; i <= a.length; i++) {
            for (let j = 1; j <= b.length; j++) {
                const cost = a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1;
                d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
            }
        }
        return d[a.length][b.length];
    };
    const scored = candidates.map((c) => ({ c, d: dist(word, c) })).sort((x, y) => x.d - y.d);
    return scored.length && scored[0].d <= 2 ? scored[0].c : undefined;
}
