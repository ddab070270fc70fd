// A throwaway sshd on 127.0.0.1 that lets the current user in with a generated key:
// the transport remote.Command uses, so the rbd script can be run the remote way.
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";

export const SSHD = "/usr/sbin/sshd";

export class TestSshd {
    private constructor(
        readonly dir: string,
        readonly port: number,
        readonly user: string,
        readonly privateKey: string,
        private readonly proc: ChildProcess,
    ) {}

    static available(): boolean {
        return (
            fs.existsSync(SSHD) && spawnSync("sh", ["-c", "command -v ssh ssh-keygen"]).status === 0
        );
    }

    static async start(): Promise<TestSshd> {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sshd."));
        const keygen = (file: string) =>
            spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path.join(dir, file)]);
        keygen("host");
        keygen("client");
        fs.copyFileSync(path.join(dir, "client.pub"), path.join(dir, "authorized_keys"));
        fs.chmodSync(path.join(dir, "authorized_keys"), 0o600);
        const port = await new Promise<number>((resolve) => {
            const s = net.createServer().listen(0, "127.0.0.1", () => {
                const p = (s.address() as net.AddressInfo).port;
                s.close(() => resolve(p));
            });
        });
        const config = [
            `Port ${port}`,
            "ListenAddress 127.0.0.1",
            `HostKey ${dir}/host`,
            `AuthorizedKeysFile ${dir}/authorized_keys`,
            `PidFile ${dir}/sshd.pid`,
            "StrictModes no",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "UsePAM no",
            "PermitRootLogin prohibit-password",
        ].join("\n");
        fs.writeFileSync(path.join(dir, "sshd_config"), `${config}\n`);
        if (process.getuid?.() === 0) fs.mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
        const proc = spawn(SSHD, ["-D", "-e", "-f", path.join(dir, "sshd_config")], {
            stdio: "ignore",
        });
        for (let i = 0; i < 50; i++) {
            const ok = await new Promise<boolean>((resolve) => {
                const c = net.connect(port, "127.0.0.1", () => {
                    c.destroy();
                    resolve(true);
                });
                c.on("error", () => resolve(false));
            });
            if (ok) break;
            await new Promise((r) => setTimeout(r, 100));
        }
        const user = os.userInfo().username;
        return new TestSshd(
            dir,
            port,
            user,
            fs.readFileSync(path.join(dir, "client"), "utf8"),
            proc,
        );
    }

    /** Runs `command` on the host over SSH with `stdin`, like remote.Command does. */
    run(command: string, stdin: string): { code: number | null; stdout: string; stderr: string } {
        const r = spawnSync(
            "ssh",
            [
                "-i",
                path.join(this.dir, "client"),
                "-p",
                String(this.port),
                "-o",
                "StrictHostKeyChecking=no",
                "-o",
                "UserKnownHostsFile=/dev/null",
                "-o",
                "LogLevel=ERROR",
                "-o",
                "BatchMode=yes",
                `${this.user}@127.0.0.1`,
                command,
            ],
            { input: stdin, encoding: "utf8", timeout: 120_000 },
        );
        return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    }

    stop(): void {
        this.proc.kill("SIGTERM");
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}
