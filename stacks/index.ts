// The one place that reads Pulumi's stack config. Components take Settings as args.
import * as pulumi from "@pulumi/pulumi";
import { parseSettings, RawStackConfig, Settings } from "./settings";

export { ConfigError, parseSettings } from "./settings";
export type { RawStackConfig, Settings } from "./settings";

// isConfigSecret is marked internal in the SDK's typings but is the only way to
// learn whether a key was stored encrypted; without it a plaintext key would pass.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const runtimeConfig = require("@pulumi/pulumi/runtime/config") as {
    isConfigSecret(key: string): boolean;
};

export function readStackConfig(): RawStackConfig {
    const values = pulumi.runtime.allConfig();
    const secretKeys = new Set(Object.keys(values).filter((k) => runtimeConfig.isConfigSecret(k)));
    return { project: pulumi.getProject(), stack: pulumi.getStack(), values, secretKeys };
}

export function loadStackSettings(): Settings {
    return parseSettings(readStackConfig());
}
