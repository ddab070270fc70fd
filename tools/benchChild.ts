// One benchmark sample, run as its own process by bench.ts (compiled to bin/tools/).
//   benchChild program <entry>     evaluate the program as Pulumi loads it, config from
//                                  PULUMI_CONFIG like the language host passes it
//   benchChild scale <n>           the component stack instantiated n times
//   benchChild sdk <n>             n bare resources: the SDK's own cost per registration
// Prints one JSON line: {ms, resources, maxRssKb}.
import * as pulumi from "@pulumi/pulumi";
import { runTransformsSdkSide } from "../cli/underMocks";

class Bare extends pulumi.CustomResource {
    constructor(name: string) {
        super("bench:index:Bare", name, { value: name });
    }
}

async function main(): Promise<void> {
    const [mode, arg] = process.argv.slice(2);
    let resources = 0;
    await pulumi.runtime.setMocks(
        {
            newResource(a: pulumi.runtime.MockResourceArgs) {
                resources++;
                // A first run: the stack's reference to itself has no outputs yet.
                const last = a.type === "pulumi:pulumi:StackReference" ? { outputs: {} } : {};
                return {
                    id: a.custom === false ? undefined : `${a.name}-id`,
                    state: { ...(a.inputs as Record<string, unknown>), ...last },
                };
            },
            call: (a: pulumi.runtime.MockCallArgs) => a.inputs as Record<string, unknown>,
        },
        "jenkins-ceph",
        process.env.BENCH_STACK ?? "bench",
        false,
        // The file backend's organization, which the stack's reference to itself names.
        "organization",
    );
    runTransformsSdkSide();
    const t0 = process.hrtime.bigint();
    await pulumi.runtime.runInPulumiStack(async (): Promise<unknown> => {
        if (mode === "program") {
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            return require(arg) as unknown;
        }
        const n = Number(arg);
        if (mode === "scale") {
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            const { scaleProgram } = require("./benchScale") as typeof import("./benchScale");
            scaleProgram(n);
        } else {
            for (let i = 0; i < n; i++) {
                new Bare(`r${i}`);
            }
        }
        return Promise.resolve({});
    });
    await pulumi.runtime.disconnect();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    console.log(
        JSON.stringify({ ms, resources: resources - 1, maxRssKb: process.resourceUsage().maxRSS }),
    );
}

main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
});
