// The stack file as two readers see it. `pulumi up` gets the config from the Pulumi CLI,
// which reads Pulumi.<stack>.yaml with Go's yaml.v3; `npm run render` and this program's
// own tooling read it with the `yaml` package (YAML 1.2). The two disagree on some plain
// numbers: yaml.v3 reads `010` as 8 (octal), `1_000` as 1000 and `0b11` as 3, where YAML
// 1.2 reads 10 and two strings. Such a number is refused, so both read the same stack.
import * as YAML from "yaml";

/** How Go's strconv.ParseInt(s, 0, 64), which yaml.v3 uses, reads a plain scalar. */
function goInt(text: string): number | undefined {
    const t = text.replace(/_/g, "");
    const m = /^([-+]?)(0b[01]+|0o[0-7]+|0x[0-9a-fA-F]+|0[0-7]+|[0-9]+)$/.exec(t);
    if (!m) return undefined;
    const sign = m[1] === "-" ? -1 : 1;
    const body = m[2];
    if (/^0[0-7]+$/.test(body)) return sign * parseInt(body, 8);
    return sign * Number(body);
}

/** [setting path, what is wrong, a right value] for each number the two readers disagree on. */
export function ambiguousNumbers(text: string, project: string): [string, string, string][] {
    const out: [string, string, string][] = [];
    let doc: YAML.Document.Parsed;
    try {
        doc = YAML.parseDocument(text, { keepSourceTokens: true });
    } catch {
        return out;
    }
    YAML.visit(doc, {
        Scalar(_key, node, path) {
            const src = node.srcToken?.type === "scalar" ? node.srcToken.source : undefined;
            if (src === undefined) return;
            const keys = path.filter((p) => YAML.isPair(p)).map((p) => String(p.key));
            // Only values (not keys) under config: of this project.
            if (keys[0] !== "config" || path.at(-1) === undefined || !YAML.isPair(path.at(-1)))
                return;
            if ((path.at(-1) as YAML.Pair).key === node) return;
            const go = goInt(src);
            const other = node.value;
            if (go === undefined || go === other) return;
            const [top, ...rest] = keys.slice(1);
            if (!top?.startsWith(`${project}:`)) return;
            const setting = [top.slice(project.length + 1), ...rest].join(".");
            const right = typeof other === "number" ? String(other) : `"${src}"`;
            out.push([
                setting,
                `${src} reads as ${go} to pulumi up (Go's YAML reader) but as ${JSON.stringify(other)} to YAML 1.2; write it unambiguously`,
                right,
            ]);
        },
    });
    return out;
}
