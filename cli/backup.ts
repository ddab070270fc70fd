// npm run backup -- --stack NAME [--yes] [--verify]
// npm run backups -- --stack NAME
// The stack's backup program (components/backup/jenkinsBackup.py) on demand, here or on
// rbdHost, as the CronJob runs it on its schedule: a backup (dry run without --yes), the
// restore test (--verify: the newest backup into a scratch image, compared byte for byte
// with the snapshot it came from, then removed), or the list of every backup, one line each,
// its ID first. Restoring one is `npm run restore -- --from-backup ID` (cli/restore.ts).
import { backupContext, backupStep } from "./backupStep";
import { openStack, parseCommandArgs, runCli } from "./shared";

const BACKUP = {
    summary: "Backs up Jenkins' home to the stack's S3 bucket now, or tests a restore (--verify).",
    usage: "usage: npm run backup -- --stack <name> [--yes] [--verify]",
    flags: {
        verify: "restore the newest backup into a scratch image and compare it (changes nothing)",
    },
    shared: ["yes"] as const,
};

const LIST = {
    summary: "Lists every backup of the stack, one line each, its ID first.",
    usage: "usage: npm run backups -- --stack <name>",
    shared: [] as const,
};

async function main(): Promise<void> {
    // package.json's `backups` script runs this file with --list first.
    const listing = process.argv[2] === "--list";
    const argv = process.argv.slice(listing ? 3 : 2);
    const args = parseCommandArgs(argv, listing ? LIST : BACKUP);
    const { stack, settings } = await openStack(args.stack);
    const c = await backupContext(stack, settings);
    const s = c.s;
    const where = s.rbdHost ? `on ${s.rbdHost.host} over SSH` : "on this machine";
    if (listing) {
        process.stdout.write(await backupStep("list", [], c));
        return;
    }
    if (args.flags.has("verify")) {
        console.log(`restore test of the newest backup, ${where}:`);
        process.stdout.write(await backupStep("verify", [], c));
        return;
    }
    if (args.yes) console.log(`backup of ${c.image}, ${where}:`);
    process.stdout.write(await backupStep("backup", args.yes ? ["--yes"] : [], c));
}

runCli(process.argv[2] === "--list" ? "backups" : "backup", main);
