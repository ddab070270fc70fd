// `npm run bench`: how long a user waits before the engine can diff anything, measured
// as whole processes against the SDK's own floor, interleaved, plus registration scaling.
// Prints figures; it is not a test. Last line is machine-readable.
import { spawnSync } from "child_process";
import * as path from "path";
import { PROJECT_ROOT } from "../cli/projectRoot";
import { stackFileConfig } from "../cli/render";
import { benchEngine, engineBenchMissing } from "./benchEngine";
import { benchBackup } from "./benchBackup";
import { missingCephBinaries } from "../test/ceph/cluster";

const ROOT = PROJECT_ROOT;
const CHILD = path.join(__dirname, "benchChild.js");
const RUNS = Number(process.env.BENCH_RUNS ?? 9);

interface Sample {
    wallMs: number;
    ms?: number;
    resources?: number;
    maxRssKb: number;
}

function sample(args: string[], env: Record<string, string> = {}): Sample {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, {
        cwd: ROOT,
        env: { ...process.env, ...env },
        encoding: "utf8",
    });
    const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) throw new Error(`${args.join(" ")} failed:\n${r.stderr}`);
    const last = r.stdout.trim().split("\n").pop() ?? "{}";
    return { wallMs, ...(JSON.parse(last) as Omit<Sample, "wallMs">) };
}

function stackEnv(stack: string): Record<string, string> {
    // The same config and key stand-ins as the offline render.
    const { config, secretKeys } = stackFileConfig(stack, ROOT);
    // As the language host passes config to the program.
    return {
        PULUMI_CONFIG: JSON.stringify(config),
        PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(secretKeys),
        BENCH_STACK: stack,
    };
}

const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (ms: number) => `${(ms / 1000).toFixed(3)} s`;

/** Whole processes, interleaved: the SDK's floor, then the program as Pulumi loads it. */
function processLine(): { floor: number; dev: number; prod: number } {
    const floorArgs = [
        "-e",
        "require('@pulumi/pulumi');console.log(JSON.stringify({maxRssKb:process.resourceUsage().maxRSS}))",
    ];
    const program = (stack: string): [string[], Record<string, string>] => [
        [CHILD, "program", path.join(ROOT, "launch.js")],
        stackEnv(stack),
    ];
    const cases: Record<string, readonly [string[], Record<string, string>]> = {
        "floor: require @pulumi/pulumi": [floorArgs, {}],
        "dev (dynamic csi) as Pulumi loads it": program("dev"),
        "prod (static csi) as Pulumi loads it": program("prod"),
    };
    const samples: Record<string, Sample[]> = Object.fromEntries(
        Object.keys(cases).map((k) => [k, []]),
    );
    sample(...cases["dev (dynamic csi) as Pulumi loads it"]); // warm the file cache
    for (let i = 0; i < RUNS; i++) {
        for (const [name, [args, env]] of Object.entries(cases))
            samples[name].push(sample(args, env));
    }
    const meds = Object.fromEntries(
        Object.entries(samples).map(([k, v]) => [k, median(v.map((s) => s.wallMs))]),
    );
    const [floor, dev, prod] = Object.values(meds);
    console.log(
        `whole-process wall time, median of ${RUNS} interleaved runs (node ${process.version}):`,
    );
    for (const [name, v] of Object.entries(samples)) {
        const peak = Math.max(...v.map((s) => s.maxRssKb)) / 1024;
        const min = Math.min(...v.map((s) => s.wallMs));
        const max = Math.max(...v.map((s) => s.wallMs));
        console.log(
            `  ${name.padEnd(40)} ${fmt(meds[name])}  (min ${fmt(min)}, max ${fmt(max)})  peak RSS ${peak.toFixed(0)} MiB`,
        );
    }
    console.log(
        `  ratio dev/floor ${(dev / floor).toFixed(3)}, static/floor ${(prod / floor).toFixed(3)} (target <= 1.25)`,
    );
    return { floor, dev, prod };
}

/** Registration cost of the component stack made n times in one program; the 100/10 ratio. */
function scalingLine(): number {
    console.log("registration scaling (the component stack instantiated n times, one program):");
    const perInstance: Record<number, number> = {};
    for (const n of [1, 10, 100]) {
        const runs = Array.from({ length: n === 100 ? 5 : 7 }, () =>
            sample([CHILD, "scale", String(n)]),
        );
        const ms = median(runs.map((s) => s.ms ?? 0));
        const resources = runs[0].resources ?? 0;
        perInstance[n] = ms / n;
        console.log(
            `  n=${String(n).padEnd(4)} ${resources} resources  ${ms.toFixed(1)} ms  ` +
                `${(ms / n).toFixed(2)} ms/instance  ${(ms / resources).toFixed(3)} ms/resource`,
        );
    }
    const sdk = Array.from({ length: 5 }, () => sample([CHILD, "sdk", "1000"]));
    const sdkPer = median(sdk.map((s) => (s.ms ?? 0) / (s.resources ?? 1)));
    console.log(
        `  SDK floor: 1000 bare resources, ${sdkPer.toFixed(3)} ms/resource (program above includes it)`,
    );
    const scale = perInstance[100] / perInstance[10];
    console.log(`  per-instance at 100 / at 10: ${scale.toFixed(3)} (target <= 1.2)`);
    return scale;
}

async function main(): Promise<void> {
    const { floor, dev, prod } = processLine();
    const scale = scalingLine();
    const engine = await engineLine(dev - floor);
    const backup = await backupLine();
    console.log(
        `ratios: dev=${(dev / floor).toFixed(3)} static=${(prod / floor).toFixed(3)} scale=${scale.toFixed(3)} engine=${engine.dev} engine-static-read=${engine.staticRead} ${backup}`,
    );
}

/** Backup and restore throughput on the throwaway Ceph and its gateway (docs/backups.md). */
async function backupLine(): Promise<string> {
    const missing = missingCephBinaries();
    if (missing.length || spawnSync("sh", ["-c", "command -v radosgw gpg"]).status !== 0) {
        console.log("backups: skipped: Ceph, radosgw or gpg is not installed here");
        return "backup=skipped";
    }
    const f = await benchBackup();
    const mibs = (s: number) => (f.dataMiB / s).toFixed(1);
    const line = (what: string, s: number, extra = "") =>
        console.log(`  ${what.padEnd(40)} ${s.toFixed(2)} s  ${extra}`);
    console.log(
        `backups (the backup program, local Ceph memstore OSD, its RADOS Gateway as S3), ${f.dataMiB} MiB of random data:`,
    );
    line("full backup", f.fullSeconds, `${mibs(f.fullSeconds)} MiB/s, ${f.fullBytes} bytes`);
    line("full backup, encrypted", f.fullEncryptedSeconds, `${mibs(f.fullEncryptedSeconds)} MiB/s`);
    line(
        `incremental after ${f.changeMiB} MiB changed`,
        f.incrementalSeconds,
        `${f.incrementalBytes} bytes (${((100 * f.incrementalBytes) / f.fullBytes).toFixed(1)}% of the full)`,
    );
    line("restore of the full backup", f.restoreSeconds, `${mibs(f.restoreSeconds)} MiB/s`);
    line(
        "restore of the encrypted backup",
        f.restoreEncryptedSeconds,
        `${mibs(f.restoreEncryptedSeconds)} MiB/s`,
    );
    const perGiB = (f.restoreSeconds * 1024) / f.dataMiB;
    console.log(`  a restore takes about ${perGiB.toFixed(0)} s per GiB of data here`);
    return `backup=${mibs(f.fullSeconds)}MiB/s restore=${mibs(f.restoreSeconds)}MiB/s`;
}

/** The real engine: no-change previews of the dev stack against a one-Namespace program. */
async function engineLine(
    programOverFloorMs: number,
): Promise<{ dev: string; staticRead: string }> {
    const why = engineBenchMissing();
    if (why) {
        console.log(`real engine: skipped: ${why}`);
        return { dev: "skipped", staticRead: "skipped" };
    }
    const runs = Math.max(5, Number(process.env.BENCH_ENGINE_RUNS ?? 7));
    const f = await benchEngine(runs);
    const [dev, floor] = [median(f.devMs), median(f.floorMs)];
    console.log(
        `real engine (pulumi CLI, nodejs host, kubernetes provider, local control plane), ` +
            `no-change preview, median of ${runs} interleaved runs:`,
    );
    const range = (xs: number[]) => `min ${fmt(Math.min(...xs))}, max ${fmt(Math.max(...xs))}`;
    console.log(
        `  ${"floor: one Namespace (JavaScript)".padEnd(40)} ${fmt(floor)}  (${range(f.floorMs)})`,
    );
    console.log(
        `  ${"dev stack (volume.snapshots off)".padEnd(40)} ${fmt(dev)}  (${range(f.devMs)})`,
    );
    console.log(
        `  difference ${fmt(dev - floor)}: loading and running the program accounts for about ` +
            `${fmt(programOverFloorMs)} (the program-vs-SDK figure above), the rest is the ` +
            `engine's and provider's work per resource (Check/Diff of each object)`,
    );
    console.log(`  ratio engine dev/floor ${(dev / floor).toFixed(3)} (target <= 1.2)`);
    return { dev: (dev / floor).toFixed(3), staticRead: staticReadLine(f, floor) };
}

/** The static stack on the real Ceph: its preview with the read, without it, and the read alone. */
function staticReadLine(f: Awaited<ReturnType<typeof benchEngine>>, floor: number): string {
    if (!f.staticMs || !f.staticNoReadMs || !f.readMs) {
        console.log("  static stack on the real Ceph: skipped: Ceph is not installed here");
        return "skipped";
    }
    const [withRead, noRead, read] = [
        median(f.staticMs),
        median(f.staticNoReadMs),
        median(f.readMs),
    ];
    const label = (s: string) => `  ${s.padEnd(40)}`;
    console.log(`${label("static stack, preview reads Ceph")} ${fmt(withRead)}`);
    console.log(`${label("static stack, ceph.readAtPreview false")} ${fmt(noRead)}`);
    console.log(`${label("the read alone (rbd inspect step)")} ${fmt(read)}`);
    console.log(
        `  the read costs the preview ${fmt(withRead - noRead)} of its ${fmt(read)}: it runs while ` +
            `the program registers its resources; ratio engine static-with-read/floor ` +
            `${(withRead / floor).toFixed(3)}, without the read ${(noRead / floor).toFixed(3)} ` +
            `(target <= 1.3)`,
    );
    return (withRead / floor).toFixed(3);
}

void main();
