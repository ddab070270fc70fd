// The repository root, whether this runs from cli/ or tools/ (ts-node) or from a compiled
// copy in bin/ (npm run bench).
import * as fs from "fs";
import * as path from "path";

function find(): string {
    let dir = __dirname;
    while (!fs.existsSync(path.join(dir, "Pulumi.yaml"))) {
        const up = path.dirname(dir);
        if (up === dir) throw new Error(`no Pulumi.yaml above ${__dirname}`);
        dir = up;
    }
    return dir;
}

export const PROJECT_ROOT = find();

/**
 * What the program is made of, as top-level entries ("components/**\/*.ts" -> "components"):
 * tsconfig.build.json's include list, the one list that launch.js, the mock runtime and the
 * e2e project directories all read.
 */
export const PROGRAM_SOURCES: readonly string[] = (
    JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "tsconfig.build.json"), "utf8")) as {
        include: string[];
    }
).include.map((pattern) => pattern.split("/")[0]);
