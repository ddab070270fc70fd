// Bench-only program: the stack the dev stack file describes, composed n times in one
// program by the same composition as index.ts, each copy under its own names.
import { instanceSettings, JenkinsOnCeph } from "../components/jenkinsOnCeph";
import { parseSettings } from "../settings/settings";
import { stackFileConfig } from "../cli/render";

export function scaleProgram(n: number): void {
    const { project, config, secretKeys } = stackFileConfig("dev");
    const dev = parseSettings({
        project,
        stack: "dev",
        values: config,
        secretKeys: new Set(secretKeys),
    });
    for (let i = 0; i < n; i++) {
        new JenkinsOnCeph(`i${i}`, { settings: instanceSettings(dev, String(i)) });
    }
}
