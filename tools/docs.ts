// `npm run docs`: writes what docs/ holds that is made from the code, the settings
// reference and one diagram per mode (the shipped dev stack is dynamic, prod static).
// test/docs.spec.ts fails when a committed file is not what this writes.
import * as fs from "fs";
import * as path from "path";
import { PROJECT_ROOT } from "../cli/projectRoot";
import { render } from "../cli/render";
import { stackSvg } from "../cli/diagram";
import { SETTINGS_REFERENCE, settingsReference } from "./settingsReference";

/** docs/diagrams/<mode>.svg, from the shipped stack of that mode. */
export const DIAGRAMS: Record<string, string> = { dynamic: "dev", static: "prod" };

export async function diagramOf(stack: string): Promise<string> {
    return stackSvg(stack, await render(stack));
}

export const diagramFile = (mode: string) =>
    path.join(PROJECT_ROOT, "docs", "diagrams", `${mode}.svg`);

async function main(): Promise<void> {
    fs.writeFileSync(SETTINGS_REFERENCE, settingsReference());
    for (const [mode, stack] of Object.entries(DIAGRAMS)) {
        fs.mkdirSync(path.dirname(diagramFile(mode)), { recursive: true });
        fs.writeFileSync(diagramFile(mode), await diagramOf(stack));
    }
    console.log("wrote docs/settings.md and docs/diagrams/{dynamic,static}.svg");
}

if (require.main === module) void main();
