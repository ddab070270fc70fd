// The backup line of `npm run bench`: the backup program (components/backup) on a throwaway
// Ceph with its RADOS Gateway as S3, all on this machine. A full backup of an image with
// DATA_MIB of random data, plain and encrypted; an incremental after CHANGE_MIB change;
// and restores of each. Throughput is of the image's data (MiB/s), wall time of the whole
// program run, as `npm run backup` and `npm run restore` wait for it.
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { backupTargetOn, runBackupOn } from "../test/ceph/backupOn";
import { CephCluster, S3Gateway } from "../test/ceph/cluster";
import { writeDiff } from "../test/ceph/rbdDiff";

const DATA_MIB = 128;
const CHANGE_MIB = 8;
const PASSPHRASE = "bench passphrase, twenty and more";

export interface BackupFigures {
    dataMiB: number;
    changeMiB: number;
    fullSeconds: number;
    fullEncryptedSeconds: number;
    incrementalSeconds: number;
    fullBytes: number;
    incrementalBytes: number;
    restoreSeconds: number;
    restoreEncryptedSeconds: number;
}

function write(cluster: CephCluster, tmp: string, image: string, offset: number, mib: number) {
    const file = path.join(tmp, "data.diff");
    fs.writeFileSync(file, writeDiff(DATA_MIB * 2 ** 20, offset, randomBytes(mib * 2 ** 20)));
    const r = cluster.rbdAdmin(["import-diff", "--no-progress", file, `kubes/${image}`]);
    fs.rmSync(file);
    if (r.status !== 0) throw new Error(`import-diff: ${r.stderr}`);
}

export async function benchBackup(): Promise<BackupFigures> {
    const cluster = await CephCluster.start(false);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "bench-backup."));
    try {
        const gw = await cluster.startGateway("bench-backups");
        const image = "bench-home";
        const made = cluster.rbdAdmin(["create", "--size", `${DATA_MIB}M`, `kubes/${image}`]);
        if (made.status !== 0) throw new Error(made.stderr);
        write(cluster, tmp, image, 0, DATA_MIB);
        const step = stepOn(cluster, gw, image);
        const full = await step("plain/", ["backup", "--yes"]);
        write(cluster, tmp, image, 16 * 2 ** 20, CHANGE_MIB);
        const incr = await step("plain/", ["backup", "--yes"]);
        // Last: a backup keeps only its own snapshot as the next base, on any prefix.
        const fullEncrypted = await step("sealed/", ["backup", "--yes"], PASSPHRASE);
        const id = (out: string) => /^backup (\S+) of/m.exec(out)![1];
        const restore = await step("plain/", [
            "restore",
            "--from-backup",
            id(full.out),
            "--to",
            "r1",
            "--yes",
        ]);
        const restoreEnc = await step(
            "sealed/",
            ["restore", "--from-backup", id(fullEncrypted.out), "--to", "r2", "--yes"],
            PASSPHRASE,
        );
        const bytes = (out: string) => Number(/, (\d+) bytes in/.exec(out)![1]);
        return {
            dataMiB: DATA_MIB,
            changeMiB: CHANGE_MIB,
            fullSeconds: full.seconds,
            fullEncryptedSeconds: fullEncrypted.seconds,
            incrementalSeconds: incr.seconds,
            fullBytes: bytes(full.out),
            incrementalBytes: bytes(incr.out),
            restoreSeconds: restore.seconds,
            restoreEncryptedSeconds: restoreEnc.seconds,
        };
    } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
        cluster.stop();
    }
}

/** One run of the backup program as the CLIs run it, timed. */
function stepOn(cluster: CephCluster, gw: S3Gateway, image: string) {
    return async (prefix: string, args: string[], encryptionKey?: string) => {
        const target = backupTargetOn(cluster, gw, image, prefix, {
            timeoutSeconds: 30,
            chainLength: 7,
        });
        const t0 = Date.now();
        const r = await runBackupOn(cluster, gw, target, args, encryptionKey);
        if (r.code !== 0) throw new Error(`backup program ${args[0]}: ${r.stderr}`);
        return { seconds: (Date.now() - t0) / 1000, out: r.stdout };
    };
}
