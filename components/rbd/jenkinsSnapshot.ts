// An rbd snapshot of Jenkins' home before Jenkins restarts on different software (image,
// plugins, JVM options, JCasC). The Deployment depends on this step, so the snapshot is
// taken while the old pod still runs: crash-consistent, not quiesced (docs/snapshots-and-restore.md).
import * as pulumi from "@pulumi/pulumi";
import { local, remote } from "@pulumi/command";
import { rbdCommand, rbdStepNow, SshHost } from "./rbdImage";
import type { RemovalGuard } from "./rbdRemoval";
import {
    rbdProgram,
    REMOVAL_STEPS,
    SETTINGS_WORDS,
    SNAPSHOT_COMMANDS,
    SNAPSHOT_PATTERN,
    SnapshotParams,
} from "./rbdScript";

export interface JenkinsSnapshotArgs extends Omit<SnapshotParams, "pool" | "image"> {
    pool: pulumi.Input<string>;
    image: pulumi.Input<string>;
    userKey: pulumi.Input<string>;
    /** Run rbd on this host over SSH; undefined = on the machine running Pulumi. */
    host?: SshHost;
    /** Purges this program's snapshots on destroy when purgeOnDelete says so. */
    removal: RemovalGuard;
    /** The stack's protect: the step guards data, so it is protected like the image. */
    protect: boolean;
}

/** A snapshot this program made, as the stack output lists it. */
export interface SnapshotInfo {
    name: string;
    /** UTC, ISO 8601. */
    time: string;
    /** What changed: image, plugins, javaopts, casc (joined by "-"), or initial. */
    reason: string;
}

const NAME = new RegExp(`^${SNAPSHOT_PATTERN}$`);
const PARTS = /(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z-(.*)$/;

/** The "snapshot: NAME" lines the step prints, oldest first; only this program's names. */
export function parseSnapshots(stdout: string): SnapshotInfo[] {
    const out: SnapshotInfo[] = [];
    for (const line of stdout.split("\n")) {
        const name = /^snapshot: (.+)$/.exec(line)?.[1];
        const m = name && NAME.test(name) ? PARTS.exec(name) : null;
        if (!name || !m) continue;
        const [, y, mo, d, h, mi, s, reason] = m;
        out.push({ name, time: `${y}-${mo}-${d}T${h}:${mi}:${s}Z`, reason });
    }
    return out;
}

export class JenkinsSnapshot extends pulumi.ComponentResource {
    public readonly command: local.Command | remote.Command;
    /** This program's snapshots of the image after the last run, oldest first. */
    public readonly snapshots: pulumi.Output<SnapshotInfo[]>;
    /** pool/image: in dynamic mode, what the bound PV names. */
    public readonly rbdImage: pulumi.Output<string>;

    constructor(name: string, args: JenkinsSnapshotArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jenkins-ceph:index:JenkinsSnapshot", name, {}, opts);
        const params = pulumi
            .all([args.pool, args.image])
            .apply(([pool, image]) => ({ ...args, pool, image }));
        const program = pulumi.all([params, args.userKey]).apply(([p, key]) => rbdProgram(p, key));
        this.command = rbdCommand(
            name,
            {
                commands: SNAPSHOT_COMMANDS,
                // A change of the fingerprints changes the program: an update, which runs it.
                stdin: program,
                triggers: [args.pool, args.image],
                host: args.host,
                removal: args.removal,
                keptBecause: args.purgeOnDelete
                    ? undefined
                    : `they stay with the image (${(args.words ?? SETTINGS_WORDS).deleteOnDestroy} is false, or the class keeps its volumes)`,
                remove: params.apply((p) =>
                    rbdStepNow(REMOVAL_STEPS.snapshots, p, args.userKey, args.host),
                ),
            },
            { parent: this, protect: args.protect },
        );
        this.snapshots = this.command.stdout.apply((out) => parseSnapshots(out ?? ""));
        this.rbdImage = pulumi
            .all([args.pool, args.image])
            .apply(([pool, image]) => (pool && image ? `${pool}/${image}` : ""));
        this.registerOutputs({ snapshots: this.snapshots });
    }
}
