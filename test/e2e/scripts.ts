// The operator CLIs (cli/restore.ts, cli/takeover.ts, cli/backup.ts) as a user runs them from the
// project, with the world's engine and cluster on PATH: to the end, or in a process
// group of its own that a test interrupts as Ctrl-C would.
import { spawn, spawnSync } from "child_process";
import * as path from "path";
import { PROJECT_ROOT } from "../../cli/projectRoot";
import { TOOLCHAIN } from "../../tools/toolchain";

/** The npm scripts of package.json that operators run. */
type Script = "restore" | "takeover" | "backup" | "backups";

export class ScriptRunner {
    constructor(
        private readonly workDir: string,
        private readonly envVars: Record<string, string>,
    ) {}

    /**
     * The environment `npm run <script>` gets from a user's shell: this world's engine and
     * cluster, before the PATH of the workspace (a runner's, test/e2e/engine.ts) or this one.
     */
    private scriptEnv(): NodeJS.ProcessEnv {
        return {
            ...process.env,
            ...this.envVars,
            PATH: [
                path.join(TOOLCHAIN.pulumiRoot, "bin"),
                TOOLCHAIN.kubernetes,
                this.envVars.PATH ?? process.env.PATH,
            ].join(path.delimiter),
            TS_NODE_TRANSPILE_ONLY: "1",
        };
    }

    private scriptCommand(script: Script, args: string[]): [string, string[]] {
        // As package.json runs them: `backups` is cli/backup.ts --list.
        const [file, ...first] = script === "backups" ? ["backup", "--list"] : [script];
        return [
            path.join(PROJECT_ROOT, "node_modules", ".bin", "ts-node"),
            [path.join(PROJECT_ROOT, "cli", `${file}.ts`), ...first, ...args],
        ];
    }

    /** `npm run <script> -- ARGS` as a user runs it from the project. */
    runScript(script: Script, args: string[]): { code: number | null; out: string } {
        const [cmd, argv] = this.scriptCommand(script, args);
        const r = spawnSync(cmd, argv, {
            cwd: this.workDir,
            env: this.scriptEnv(),
            encoding: "utf8",
            timeout: 900_000,
        });
        return { code: r.status, out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
    }

    /**
     * The script in a process group of its own, as a terminal runs it: `interrupt()` is
     * Ctrl-C (SIGINT to the whole group: the script, kubectl, the Pulumi CLI).
     */
    startScript(script: Script, args: string[]) {
        const [cmd, argv] = this.scriptCommand(script, args);
        const child = spawn(cmd, argv, {
            cwd: this.workDir,
            env: this.scriptEnv(),
            detached: true,
            stdio: ["ignore", "pipe", "pipe"],
        });
        let out = "";
        child.stdout.on("data", (d: Buffer) => (out += d.toString()));
        child.stderr.on("data", (d: Buffer) => (out += d.toString()));
        const exited = new Promise<number | null>((res) => child.on("exit", (code) => res(code)));
        return {
            output: () => out,
            interrupt: () => process.kill(-child.pid!, "SIGINT"),
            done: async () => ({ code: await exited, out }),
        };
    }
}
