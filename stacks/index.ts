// The one place that reads Pulumi's stack config. Components take typed args, never config.
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, parseSettings, RawStackConfig, Settings } from "./settings";

export { composeStack } from "./compose";

// isConfigSecret is marked internal in the SDK's typings but is the only way to
// learn whether a key was stored encrypted; without it a plaintext key would pass.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const runtimeConfig = require("@pulumi/pulumi/runtime/config") as {
    isConfigSecret(key: string): boolean;
};

function readStackConfig(): RawStackConfig {
    const values = pulumi.runtime.allConfig();
    const secretKeys = new Set(Object.keys(values).filter((k) => runtimeConfig.isConfigSecret(k)));
    return { project: pulumi.getProject(), stack: pulumi.getStack(), values, secretKeys };
}

/** The stack's Settings; a bad config is one RunError: a clean message, no stack trace. */
export function loadStackSettings(): Settings {
    try {
        return parseSettings(readStackConfig());
    } catch (e) {
        if (e instanceof ConfigError) throw new pulumi.RunError(e.message);
        throw e;
    }
}
