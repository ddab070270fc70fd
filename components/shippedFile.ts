// Programs this package ships as source beside its TypeScript (the backup program, the
// plugin installer): their text, read from the sources, since bin/ holds only compiled
// TypeScript (tsconfig.build.json).
import * as fs from "fs";
import * as path from "path";

/** The text of `components/<dir>/<name>`, found from this file's directory upwards. */
export function shippedFile(dir: string, name: string): string {
    for (let at = __dirname; ; at = path.dirname(at)) {
        const file = path.join(at, "components", dir, name);
        if (fs.existsSync(file)) return fs.readFileSync(file, "utf8");
        const here = path.join(at, dir, name);
        if (fs.existsSync(here)) return fs.readFileSync(here, "utf8");
        if (path.dirname(at) === at) throw new Error(`${dir}/${name} is not above ${__dirname}`);
    }
}
