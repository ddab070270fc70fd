// An rbd image created, adopted and grown by `rbd` through the command provider.
import * as pulumi from "@pulumi/pulumi";
import { local, remote } from "@pulumi/command";
import { RBD_COMMANDS, rbdProgram, RbdScriptParams } from "./rbdScript";

export interface SshHost {
    host: string;
    port: number;
    user: string;
    privateKey: pulumi.Input<string>;
}

export interface RbdImageArgs extends RbdScriptParams {
    /** The Ceph user's key; reaches rbd only inside the program on standard input. */
    userKey: pulumi.Input<string>;
    /** Run rbd on this host over SSH; undefined = on the machine running Pulumi. */
    host?: SshHost;
}

/** Inputs shared by the local and the remote command. */
function rbdCommandArgs(args: RbdImageArgs) {
    return {
        ...RBD_COMMANDS,
        stdin: pulumi.secret(pulumi.output(args.userKey).apply((k) => rbdProgram(args, k))),
        // Only what identifies the image replaces the resource; size changes are updates.
        triggers: [args.pool, args.image],
        addPreviousOutputInEnv: false,
        // The scripts never print the key; stdout says what happened to the image.
        logging: "stdoutAndStderr" as const,
    };
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
        const common = rbdCommandArgs(args);
        const cmdOpts: pulumi.CustomResourceOptions = {
            parent: this,
            replaceOnChanges: ["triggers"],
        };
        this.command = args.host
            ? new remote.Command(
                  name,
                  {
                      ...common,
                      connection: {
                          host: args.host.host,
                          port: args.host.port,
                          user: args.host.user,
                          privateKey: pulumi.secret(args.host.privateKey),
                          dialErrorLimit: 3,
                      },
                  },
                  cmdOpts,
              )
            : new local.Command(name, { ...common, interpreter: ["/bin/sh", "-c"] }, cmdOpts);
        this.pool = args.pool;
        this.image = args.image;
        this.sizeMiB = Number(args.sizeMiB);
        this.result = this.command.stdout;
        this.registerOutputs({ pool: this.pool, image: this.image, sizeMiB: this.sizeMiB });
    }
}
