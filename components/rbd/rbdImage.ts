// An rbd image created, adopted and grown by `rbd` through the command provider.
import * as pulumi from "@pulumi/pulumi";
import { local, remote } from "@pulumi/command";
import {
    RBD_COMMANDS,
    rbdProgram,
    RbdScriptParams,
    REMOVAL_STEPS,
    SETTINGS_WORDS,
} from "./rbdScript";
import { GuardedStep, RemovalGuard } from "./rbdRemoval";
import { runRbdStepNow, StepResult } from "./rbdRun";

export interface SshHost {
    host: string;
    port: number;
    user: string;
    privateKey: pulumi.Input<string>;
    /**
     * The host's public key ("ssh-ed25519 AAAA..."), pinned: a host that shows another
     * key is refused. Undefined only when the stack opted out (every run warns then).
     */
    hostKey?: string;
}

export interface RbdImageArgs extends RbdScriptParams {
    /** The Ceph user's key; reaches rbd only inside the program on standard input. */
    userKey: pulumi.Input<string>;
    /** Run rbd on this host over SSH; undefined = on the machine running Pulumi. */
    host?: SshHost;
    /** Removes the image on destroy when deleteOnDestroy says so (see rbdRemoval.ts). */
    removal: RemovalGuard;
    /** Keeps the data and guards the step like the rest of Jenkins' home. */
    protect: boolean;
}

/** Runs one step of the rbd program now, where the command runs, with these parameters. */
export function rbdStepNow(
    step: string,
    params: Parameters<typeof rbdProgram>[0],
    userKey: pulumi.Input<string>,
    host?: SshHost,
): pulumi.Output<() => Promise<StepResult>> {
    return pulumi.all([userKey, host?.privateKey ?? ""]).apply(
        ([key, privateKey]) =>
            () =>
                runRbdStepNow(step, rbdProgram(params, key), host && { ...host, privateKey }),
    );
}

export interface RbdCommandArgs {
    commands: { create: string; update: string; delete: string };
    /** The whole program, with the key: a Pulumi secret on standard input. */
    stdin: pulumi.Input<string>;
    /** What identifies the object the command manages: a change replaces the command. */
    triggers: pulumi.Input<string>[];
    host?: SshHost;
    /** The guard that alone removes the data (rbdRemoval.ts), and what it runs then. */
    removal: RemovalGuard;
    remove: GuardedStep["remove"];
    /** Why the current settings keep the data on destroy; undefined: they ask to remove it. */
    keptBecause: string | undefined;
}

/** A command that runs the rbd program locally, or on `host` over SSH. */
export function rbdCommand(
    name: string,
    args: RbdCommandArgs,
    opts: pulumi.CustomResourceOptions,
): local.Command | remote.Command {
    const common = {
        ...args.commands,
        stdin: pulumi.secret(args.stdin),
        triggers: args.triggers,
        addPreviousOutputInEnv: false,
        // The scripts never print the key; stdout says what happened.
        logging: "stdoutAndStderr" as const,
    };
    // The hook is attached only when the current settings ask to remove the data.
    const cmdOpts: pulumi.CustomResourceOptions = {
        ...opts,
        replaceOnChanges: ["triggers"],
        hooks: args.keptBecause === undefined ? { beforeDelete: [args.removal.hook] } : undefined,
    };
    const command = args.host
        ? new remote.Command(
              name,
              {
                  ...common,
                  connection: {
                      host: args.host.host,
                      port: args.host.port,
                      user: args.host.user,
                      privateKey: pulumi.secret(args.host.privateKey),
                      hostKey: args.host.hostKey,
                      dialErrorLimit: 3,
                  },
              },
              cmdOpts,
          )
        : new local.Command(name, { ...common, interpreter: ["/bin/sh", "-c"] }, cmdOpts);
    args.removal.watch({ command, keptBecause: args.keptBecause, remove: args.remove });
    return command;
}

export class RbdImage extends pulumi.ComponentResource {
    public readonly pool: string;
    public readonly image: string;
    public readonly sizeMiB: number;
    /** What the last create/update did, e.g. "created with 102400 MiB". */
    public readonly result: pulumi.Output<string>;
    public readonly command: local.Command | remote.Command;

    constructor(name: string, args: RbdImageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("jenkins-ceph:index:RbdImage", name, {}, opts);
        this.command = rbdCommand(
            name,
            {
                commands: RBD_COMMANDS,
                stdin: pulumi.output(args.userKey).apply((k) => rbdProgram(args, k)),
                // Only what identifies the image replaces the resource; size changes are updates.
                triggers: [args.pool, args.image],
                host: args.host,
                removal: args.removal,
                keptBecause: args.deleteOnDestroy
                    ? undefined
                    : `${(args.words ?? SETTINGS_WORDS).deleteOnDestroy} is false`,
                remove: rbdStepNow(REMOVAL_STEPS.image, args, args.userKey, args.host),
            },
            { parent: this, protect: args.protect },
        );
        this.pool = args.pool;
        this.image = args.image;
        this.sizeMiB = Number(args.sizeMiB);
        this.result = this.command.stdout;
        this.registerOutputs({ pool: this.pool, image: this.image, sizeMiB: this.sizeMiB });
    }
}
