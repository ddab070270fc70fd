// The repository root, whether this runs from scripts/ (ts-node) or from its compiled
// copy in bin/scripts/ (npm run bench).
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
