// What the SDK's mocks lack and this program uses in every run, for the mock runtime
// (cli/mockRuntime.ts) and the bench's child (tools/benchChild.ts).
import * as pulumi from "@pulumi/pulumi";

// The MockMonitor has no registerResourceHook, and the program registers its delete hooks
// (components/rbd/rbdRemoval.ts) in every run: accepted and, as the engine does at
// registration, only named.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const mocks = require("@pulumi/pulumi/runtime/mocks") as {
    MockMonitor: { prototype: Record<string, unknown> };
};
mocks.MockMonitor.prototype.registerResourceHook ??= (
    _req: unknown,
    cb: (err: Error | null, res: unknown) => void,
) => cb(null, {});

/**
 * The MockMonitor has no registerStackTransform either: the program's resource transforms
 * (the ownership guard, components/cluster/ownership.ts) run through the SDK-side stack
 * transformation instead, synchronously, as the engine would run them.
 */
export function runTransformsSdkSide(): void {
    pulumi.runtime.registerResourceTransform = (t) =>
        pulumi.runtime.registerStackTransformation((args) => {
            const r = t({ ...args, custom: pulumi.CustomResource.isInstance(args.resource) });
            if (r instanceof Promise)
                throw new Error("under mocks only synchronous transforms run");
            return r ? { props: r.props, opts: r.opts } : undefined;
        });
}
