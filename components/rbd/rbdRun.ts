// How a step of the rbd program runs from this process (not through the command provider):
// the delete hooks, the preview read (settings/cephAtPreview.ts) and the CLIs. Locally with
// /bin/sh, or on rbdHost over ssh with its pinned host key. The program (with the Ceph key)
// goes on standard input and the SSH key into a 0600 file: neither is ever in argv.
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { SshHost } from "./rbdImage";

/** What one rbd step printed, and how it ended. */
export interface StepResult {
    /** null: it did not end on its own (killed at the time bound, or not started). */
    code: number | null;
    stdout: string;
    stderr: string;
}

/** An SshHost with its key as text, for a run outside the command provider. */
export interface ResolvedSshHost extends Omit<SshHost, "privateKey"> {
    privateKey: string;
}

/** The value of an Output (a secret's too), for code that runs rbd outside the engine. */
export const secretValue = (o: { apply: (f: (v: string) => void) => unknown }) =>
    new Promise<string>((res) => o.apply(res));

/**
 * Runs one step of the rbd program now, locally or on `host`; after `timeoutMs` the step
 * is killed and its result has code null. Never rejects: a failure to start is a result.
 */
export async function runRbdStepNow(
    step: string,
    program: string,
    host?: ResolvedSshHost,
    timeoutMs?: number,
): Promise<StepResult> {
    return runProgramNow(["/bin/sh", "-s", step], program, host, timeoutMs);
}

/**
 * Runs `argv` (a program that reads itself from standard input: `sh -s`, `python3 -`) now,
 * locally or on `host`, with `program` on its standard input. Over SSH the words travel as
 * one command line, so each must be a plain word (validated names and flags only).
 */
export async function runProgramNow(
    argv: string[],
    program: string,
    host?: ResolvedSshHost,
    timeoutMs?: number,
): Promise<StepResult> {
    const dir = host ? fs.mkdtempSync(path.join(os.tmpdir(), "rbd-ssh.")) : undefined;
    try {
        const remote = argv.map((w, i) => (i === 0 ? path.basename(w) : w));
        const odd = remote.find((w) => !/^[A-Za-z0-9_./:=-]+$/.test(w));
        if (odd !== undefined)
            return { code: null, stdout: "", stderr: `not a plain word: ${JSON.stringify(odd)}` };
        const [cmd, args] =
            dir && host ? sshCommand(remote.join(" "), host, dir) : [argv[0], argv.slice(1)];
        return await run(cmd, args, program, timeoutMs);
    } finally {
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    }
}

function run(cmd: string, args: string[], input: string, timeoutMs?: number): Promise<StepResult> {
    return new Promise((resolve) => {
        const child = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"], timeout: timeoutMs });
        let stdout = "";
        let stderr = "";
        child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
        child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
        child.on("error", (e) => resolve({ code: null, stdout, stderr: stderr || String(e) }));
        child.on("close", (code) => resolve({ code, stdout, stderr }));
        // A step that exits before reading all of its input must not fail the write.
        child.stdin.on("error", () => undefined);
        child.stdin.end(input);
    });
}

/** ssh to the host, with its pinned key (or none, when the stack opted out). */
function sshCommand(command: string, host: ResolvedSshHost, dir: string): [string, string[]] {
    const keyFile = path.join(dir, "id");
    fs.writeFileSync(keyFile, host.privateKey, { mode: 0o600 });
    const hostOpts = host.hostKey
        ? ["-o", "StrictHostKeyChecking=yes", "-o", `UserKnownHostsFile=${knownHosts(dir, host)}`]
        : ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null"];
    const args = ["-F", "/dev/null", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes"];
    args.push(...hostOpts, "-i", keyFile, "-p", String(host.port), "-l", host.user);
    return ["ssh", [...args, host.host, command]];
}

function knownHosts(dir: string, host: ResolvedSshHost): string {
    const file = path.join(dir, "known_hosts");
    const name = host.port === 22 ? host.host : `[${host.host}]:${host.port}`;
    fs.writeFileSync(file, `${name} ${host.hostKey}\n`);
    return file;
}
