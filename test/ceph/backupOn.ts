// The backup program against a throwaway Ceph and its RADOS Gateway, as the CLIs run it
// (`python3 -`, its settings with the secrets on standard input): the backup suite's
// (backup.ts) and the bench's (tools/benchBackup.ts) one way to run it.
import { BackupTarget, stdinProgram } from "../../components/backup/backupProgram";
import { runProgramNow, StepResult } from "../../components/rbd/rbdRun";
import type { CephCluster, S3Gateway } from "./cluster";

/** kubes/`image` on the cluster, backed up to the gateway's bucket under `prefix`. */
export function backupTargetOn(
    cluster: CephCluster,
    gw: S3Gateway,
    image: string,
    prefix: string,
    opts: { timeoutSeconds: number; chainLength: number; keep?: BackupTarget["backup"]["keep"] },
): BackupTarget {
    return {
        client: {
            monitors: [cluster.monitor],
            userId: "kube",
            timeoutSeconds: opts.timeoutSeconds,
        },
        image: `kubes/${image}`,
        features: "layering",
        backup: {
            s3: { endpoint: gw.endpoint, bucket: gw.bucket, prefix, region: "us-east-1" },
            keep: opts.keep ?? { chains: 4 },
            chainLength: opts.chainLength,
        },
    };
}

/** One run of the backup program with client.kube's key and the gateway's credentials. */
export function runBackupOn(
    cluster: CephCluster,
    gw: S3Gateway,
    target: BackupTarget,
    args: string[],
    encryptionKey?: string,
): Promise<StepResult> {
    const secrets = {
        cephKey: cluster.userKey,
        accessKey: gw.accessKey,
        secretKey: gw.secretKey,
        encryptionKey,
    };
    return runProgramNow(["python3", "-", ...args], stdinProgram(target, secrets));
}
