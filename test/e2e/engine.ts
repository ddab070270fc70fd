// The world the e2e suite runs the real engine in, and how it checks the real objects.
//
// Local (default): everything on 127.0.0.1, built by tools/toolchain.sh and started
// here: Ceph, the control plane with kwok, an sshd for the remote rbd path, a Pulumi
// home with the providers installed from their files, and a file backend in a temp dir.
// A user's cluster: JENKINS_CEPH_E2E_CONFIG names a stack file for it (docs/testing.md).
import type { KubeTarget } from "../../cli/shared";
import { KubeDriver } from "./kube";
import { CephImages } from "./cephImages";
import { ScriptRunner } from "./scripts";
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { PROJECT_ROOT } from "../../cli/mockRuntime";
import { CephCluster, missingCephBinaries, S3Gateway } from "../ceph/cluster";
import { TestSshd } from "../ceph/sshd";
import { Combo, userStackFile } from "./combos";

export type { Combo };

import {
    engineEnv,
    installPlugins,
    controlPlaneMissing,
    projectDir,
    PULUMI_CLI,
    startControlPlane,
    stopControlPlane,
    TOOLCHAIN,
} from "../../tools/toolchain";

const PROJECT = "jenkins-ceph";
const USER_CONFIG = process.env.JENKINS_CEPH_E2E_CONFIG;

export const REQUIRED = process.env.REQUIRE_E2E === "1";

/** A part of the world is missing: a skip that says why, or with REQUIRE_E2E=1 a failure. */
export function skipUnlessRequired(test: Mocha.Context, why: string): never {
    if (REQUIRED) throw new Error(`REQUIRE_E2E=1 but ${why}`);
    console.log(`    SKIP: ${why}`);
    test.skip();
}

/**
 * A describe block with a world of its own, started before its tests and stopped after;
 * `body` registers the tests, which reach the world through the getter it is handed. A
 * missing part of the world is a skip that says why, or a failure with REQUIRE_E2E=1.
 */
export function describeWorld(
    title: string,
    body: (world: () => E2eWorld) => void,
    opts: { standardCephPorts?: boolean } = {},
): void {
    describe(title, function () {
        this.timeout(60 * 60_000);
        let world: E2eWorld | undefined;
        before(async function () {
            const why = worldMissing();
            if (why) skipUnlessRequired(this, why);
            world = await startWorld(opts.standardCephPorts);
            console.log(`    world: ${world.describe()}`);
        });
        after(() => world?.stop());
        body(() => {
            if (!world) throw new Error("the world did not start (see the before hook)");
            return world;
        });
    });
}

/**
 * In the describe block that calls it: each test builds on the one before, so after a
 * failure the rest say so and skip, instead of piling follow-on errors on the one that
 * matters.
 */
export function stopAfterFirstFailure(): void {
    let failed = "";
    afterEach(function () {
        if (this.currentTest?.state === "failed") failed ||= this.currentTest.title;
    });
    beforeEach(function () {
        if (failed) {
            console.log(`      not run: the step "${failed}" failed`);
            this.skip();
        }
    });
}

/** Why the suite cannot run here, or undefined. */
export function worldMissing(): string | undefined {
    if (USER_CONFIG) {
        for (const v of ["JENKINS_CEPH_E2E_USER_KEY"]) {
            if (!process.env[v]) return `${v} is not set (JENKINS_CEPH_E2E_CONFIG is)`;
        }
        for (const b of ["pulumi", "kubectl", "rbd"]) {
            if (spawnSync("sh", ["-c", `command -v ${b}`]).status !== 0)
                return `${b} is not on PATH`;
        }
        return undefined;
    }
    const cp = controlPlaneMissing(true);
    if (cp) return cp;
    const ceph = missingCephBinaries();
    if (ceph.length) return `Ceph binaries missing (${ceph.join(", ")})`;
    if (!TestSshd.available())
        return "sshd is not installed (openssh-server), needed for the remote rbd path";
    return undefined;
}

export class E2eWorld {
    /** Every key this world has handed out, to prove none is stored in plaintext. */
    private readonly keys: string[] = [];
    private readonly owned: string[] = [];
    private userKey: string;

    /** Kubernetes, Ceph and the operator CLIs, as the tests drive them. */
    readonly kube: KubeDriver;
    readonly rbd: CephImages;
    readonly scripts: ScriptRunner;

    constructor(
        private readonly ws: LocalWorkspace,
        readonly workDir: string,
        readonly backendDir: string,
        kube: KubeTarget,
        readonly ceph: {
            monitors: string[];
            pool: string;
            user: string;
            clusterId?: string;
        },
        userKey: string,
        private readonly extraSecrets: Record<string, string>,
        private readonly local?: {
            cluster: CephCluster;
            cpDir: string;
            sshd: TestSshd;
            timings: string[];
        },
    ) {
        this.userKey = userKey;
        this.keys.push(userKey, ...Object.values(extraSecrets));
        this.kube = new KubeDriver(kube, local?.cpDir);
        this.rbd = new CephImages(ceph, workDir, () => this.userKey, local?.cluster);
        this.scripts = new ScriptRunner(workDir, ws.envVars);
    }

    /**
     * A StorageClass and its Secrets made outside any stack, as Rook makes
     * rook-ceph-block (here the in-tree provisioner, which the controller-manager runs).
     * Keys go to kubectl on stdin, never in argv.
     */
    createClusterClass(name: string, namespace: string): void {
        const admin = this.extraSecrets.cephAdminKey;
        assert.ok(admin, "the local world has the admin key");
        const secret = (n: string, key: string) => ({
            apiVersion: "v1",
            kind: "Secret",
            metadata: { name: n, namespace },
            type: "kubernetes.io/rbd",
            stringData: { key },
        });
        const docs = [
            { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } },
            secret("cluster-admin-key", admin),
            secret("cluster-user-key", this.userKey),
            {
                apiVersion: "storage.k8s.io/v1",
                kind: "StorageClass",
                metadata: { name },
                provisioner: "kubernetes.io/rbd",
                reclaimPolicy: "Delete",
                parameters: {
                    monitors: this.ceph.monitors.join(","),
                    adminId: "admin",
                    adminSecretName: "cluster-admin-key",
                    adminSecretNamespace: namespace,
                    pool: this.ceph.pool,
                    userId: this.ceph.user,
                    userSecretName: "cluster-user-key",
                    userSecretNamespace: namespace,
                    imageFeatures: "layering",
                },
            },
        ];
        const r = this.kube.kubectl(
            ["apply", "-f", "-"],
            docs.map((d) => YAML.stringify(d)).join("---\n"),
        );
        assert.ok(r.ok, r.out);
    }

    describe(): string {
        return this.local
            ? `local: ${this.local.timings.join(", ")}; monitors ${this.ceph.monitors.join(",")}`
            : `user cluster from ${USER_CONFIG}`;
    }

    private stackFile(s: Stack): string {
        return path.join(s.workspace.workDir, `Pulumi.${s.name}.yaml`);
    }

    private readStackFile(s: Stack): { config: Record<string, unknown> } & Record<string, unknown> {
        const file = this.stackFile(s);
        const doc = (fs.existsSync(file) ? YAML.parse(fs.readFileSync(file, "utf8")) : {}) as {
            config?: Record<string, unknown>;
        };
        return { ...doc, config: doc.config ?? {} };
    }

    /** A new stack for the combination, configured as a user would in its stack file. */
    async stack(c: Combo, ws: LocalWorkspace = this.ws, name = `e2e-${c.short}`): Promise<Stack> {
        const s = await Stack.create(name, ws);
        const doc = this.readStackFile(s);
        const key = (k: string) => `${PROJECT}:${k}`;
        if (USER_CONFIG) {
            Object.assign(doc.config, userStackFile());
            const volume = (doc.config[key("volume")] ?? {}) as Record<string, unknown>;
            doc.config[key("volume")] = { size: "1Gi", ...volume, protect: true };
        } else {
            doc.config[key("mode")] = c.mode;
            doc.config[key("ceph")] = {
                provisioner: c.provisioner,
                monitors: this.ceph.monitors,
                pool: this.ceph.pool,
                user: this.ceph.user,
                ...(c.provisioner === "csi" ? { clusterId: this.ceph.clusterId } : {}),
                storageClassName: `sc-${c.short}`,
                timeoutSeconds: 10,
            };
            doc.config[key("volume")] = {
                size: "1Gi",
                pvName: `pv-${c.short}`,
                ...(c.mode === "static" ? { image: c.image } : {}),
                protect: true,
            };
            doc.config[key("jenkins")] = { namespace: c.namespace };
            if (c.remote) {
                const sshd = this.local!.sshd;
                doc.config[key("rbdHost")] = {
                    host: "127.0.0.1",
                    port: sshd.port,
                    user: sshd.user,
                    // Pinned, as a user pins it: the line ssh-keyscan prints.
                    hostKey: this.sshHostKeyLine(),
                };
            }
        }
        fs.writeFileSync(this.stackFile(s), YAML.stringify(doc));
        this.setSecret(s, "cephUserKey", this.userKey);
        if (c.provisioner === "in-tree" && c.mode === "dynamic" && this.extraSecrets.cephAdminKey) {
            this.setSecret(s, "cephAdminKey", this.extraSecrets.cephAdminKey);
        }
        if (c.remote && this.extraSecrets.rbdHostKey) {
            this.setSecret(s, "rbdHostKey", this.extraSecrets.rbdHostKey);
        }
        return s;
    }

    /**
     * The program as it was at `commit` (a released version users run today), in its own
     * project directory: `git archive` of that commit, with this checkout's node_modules.
     * undefined (with why) when the commit is not in this clone's history.
     */
    async legacyWorkspace(commit: string): Promise<LocalWorkspace | string> {
        if (
            spawnSync("git", ["-C", PROJECT_ROOT, "cat-file", "-e", `${commit}^{commit}`])
                .status !== 0
        ) {
            return `commit ${commit} is not in this clone (a shallow clone?)`;
        }
        const dir = path.join(path.dirname(this.workDir), `legacy-${commit.slice(0, 7)}`);
        if (!fs.existsSync(dir)) {
            fs.mkdirSync(dir, { recursive: true });
            const r = spawnSync("sh", [
                "-c",
                `git -C "${PROJECT_ROOT}" archive ${commit} | tar -x -C "${dir}"`,
            ]);
            assert.equal(r.status, 0, `git archive ${commit}: ${String(r.stderr)}`);
            fs.symlinkSync(path.join(PROJECT_ROOT, "node_modules"), path.join(dir, "node_modules"));
        }
        return LocalWorkspace.create({
            workDir: dir,
            pulumiCommand: this.ws.pulumiCommand,
            envVars: this.ws.envVars,
        });
    }

    /** The same stack (state and config) driven from this checkout's program. */
    async adopt(s: Stack): Promise<Stack> {
        const name = `Pulumi.${s.name}.yaml`;
        fs.copyFileSync(path.join(s.workspace.workDir, name), path.join(this.workDir, name));
        return Stack.select(s.name, this.ws);
    }

    /** Merges `patch` into the stack file's structured settings; undefined removes a field. */
    editConfig(s: Stack, patch: Record<string, Record<string, unknown>>): void {
        const doc = this.readStackFile(s);
        for (const [k, fields] of Object.entries(patch)) {
            const full = `${PROJECT}:${k}`;
            const cur = { ...((doc.config[full] ?? {}) as Record<string, unknown>) };
            for (const [f, v] of Object.entries(fields)) {
                if (v === undefined) delete cur[f];
                else cur[f] = v;
            }
            doc.config[full] = cur;
        }
        fs.writeFileSync(this.stackFile(s), YAML.stringify(doc));
    }

    /**
     * The pulumi CLI as a user runs it on the stack (`pulumi preview --json`), in `ws`
     * (default: the world's): its exit code, what it printed, and how long it took.
     */
    cli(
        s: Stack,
        args: string[],
        ws: LocalWorkspace = this.ws,
    ): { code: number | null; stdout: string; stderr: string; seconds: number } {
        const t0 = Date.now();
        const r = spawnSync(
            USER_CONFIG ? "pulumi" : PULUMI_CLI,
            [...args, "--stack", s.name, "--non-interactive"],
            {
                cwd: ws.workDir,
                encoding: "utf8",
                env: { ...process.env, ...ws.envVars },
                timeout: 600_000,
            },
        );
        const seconds = (Date.now() - t0) / 1000;
        return { code: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "", seconds };
    }

    /**
     * The world's workspace as a runner without ceph-common sees it: the same project and
     * backend, with a PATH on which every directory that has `rbd` is replaced by a copy
     * of links to all of its entries but rbd (a CI runner, Pulumi Deployments, the
     * Kubernetes Operator's pod). undefined on a user's cluster (their PATH is theirs).
     */
    async workspaceWithoutRbd(): Promise<{ ws: LocalWorkspace; path: string } | undefined> {
        if (!this.local) return undefined;
        const mirrors = path.join(path.dirname(this.workDir), "path-without-rbd");
        const dirs = (process.env.PATH ?? "").split(path.delimiter).filter(Boolean);
        const mirrored = dirs.map((d, i) => {
            if (!fs.existsSync(path.join(d, "rbd"))) return d;
            const m = path.join(mirrors, String(i));
            if (!fs.existsSync(m)) {
                fs.mkdirSync(m, { recursive: true });
                for (const e of fs.readdirSync(d)) {
                    if (e !== "rbd") fs.symlinkSync(path.join(d, e), path.join(m, e));
                }
            }
            return m;
        });
        const PATH = mirrored.join(path.delimiter);
        const ws = await LocalWorkspace.create({
            workDir: this.ws.workDir,
            pulumiCommand: this.ws.pulumiCommand,
            envVars: { ...this.ws.envVars, PATH },
        });
        return { ws, path: PATH };
    }

    /** Stops Ceph's monitor (a local world only), as an outage does; startMonitors brings it back. */
    private gateway?: Promise<S3Gateway | undefined>;

    /** Ceph's RADOS Gateway beside this world's Ceph (started once), with a bucket; undefined on a user's cluster. */
    gatewayS3(): Promise<S3Gateway | undefined> {
        this.gateway ??= (async () => {
            const gw = await this.local?.cluster.startGateway("e2e-backups");
            this.local?.timings.push(`rgw ${gw?.startSeconds.toFixed(1)}s`);
            return gw;
        })();
        return this.gateway;
    }

    /** backup.* to the world's gateway under `prefix`, with the three backup secrets. */
    async backUpTo(s: Stack, prefix: string): Promise<S3Gateway | undefined> {
        const gw = await this.gatewayS3();
        if (!gw) return undefined;
        this.editConfig(s, {
            backup: { s3: { endpoint: gw.endpoint, bucket: gw.bucket, prefix }, keep: 2 },
        });
        this.setSecretSetting(s, "backupAccessKey", gw.accessKey);
        this.setSecretSetting(s, "backupSecretKey", gw.secretKey);
        this.setSecretSetting(s, "backupEncryptionKey", "e2e backup passphrase, long enough");
        return gw;
    }

    stopMonitors(): boolean {
        this.local?.cluster.stopMon();
        return this.local !== undefined;
    }

    startMonitors(): void {
        this.local?.cluster.startMon();
    }

    /** The throwaway sshd's host key as `ssh-keyscan` prints it. */
    sshHostKeyLine(): string {
        const sshd = this.local!.sshd;
        const pub = fs.readFileSync(path.join(sshd.dir, "host.pub"), "utf8").trim().split(" ");
        return `[127.0.0.1]:${sshd.port} ${pub[0]} ${pub[1]}`;
    }

    /** Sets the stack's mode, a top-level setting. */
    setMode(s: Stack, mode: Combo["mode"]): void {
        const doc = this.readStackFile(s);
        doc.config[`${PROJECT}:mode`] = mode;
        fs.writeFileSync(this.stackFile(s), YAML.stringify(doc));
    }

    /** Rotates client.kube's key in Ceph and in the stack; undefined where it cannot. */
    rotateUserKey(s: Stack): string | undefined {
        if (!this.local) return undefined;
        const key = this.local.cluster.rotateUserKey();
        this.userKey = key;
        this.keys.push(key);
        this.setSecret(s, "cephUserKey", key);
        return key;
    }

    /** `pulumi stack export` as a user runs it (the automation API's export shows secrets). */
    exportStack(s: Stack): string {
        const cli = USER_CONFIG ? "pulumi" : PULUMI_CLI;
        const r = spawnSync(cli, ["stack", "export", "--stack", s.name], {
            cwd: s.workspace.workDir,
            encoding: "utf8",
            env: { ...process.env, ...this.ws.envVars },
        });
        assert.equal(r.status, 0, `pulumi stack export: ${r.stderr}`);
        return r.stdout;
    }

    /** `pulumi config set --secret` with the value on stdin, as the README tells users: never argv. */
    /** `pulumi config set --secret` as a user runs it, the value on stdin; remembered for the leak checks. */
    setSecretSetting(s: Stack, name: string, value: string): void {
        this.keys.push(value);
        this.setSecret(s, name, value);
    }

    /** `pulumi config set --secret --path` of one field (`jenkinsSecrets.NAME`), the value on stdin. */
    setSecretPath(s: Stack, path: string, value: string): void {
        this.keys.push(value);
        const cli = USER_CONFIG ? "pulumi" : PULUMI_CLI;
        const args = [
            "config",
            "set",
            "--secret",
            "--path",
            "--stack",
            s.name,
            `${PROJECT}:${path}`,
        ];
        const r = spawnSync(cli, args, {
            cwd: s.workspace.workDir,
            input: value,
            encoding: "utf8",
            env: { ...process.env, ...this.ws.envVars },
        });
        assert.equal(r.status, 0, `pulumi config set --secret --path ${path}: ${r.stderr}`);
    }

    /** `pulumi config rm` of one of this project's keys. */
    async removeSetting(s: Stack, name: string): Promise<void> {
        await s.removeConfig(`${PROJECT}:${name}`);
    }

    private setSecret(s: Stack, name: string, value: string): void {
        const cli = USER_CONFIG ? "pulumi" : PULUMI_CLI;
        const r = spawnSync(
            cli,
            ["config", "set", "--secret", "--stack", s.name, `${PROJECT}:${name}`],
            {
                cwd: s.workspace.workDir,
                input: value,
                encoding: "utf8",
                env: { ...process.env, ...this.ws.envVars },
            },
        );
        assert.equal(r.status, 0, `pulumi config set --secret ${name}: ${r.stderr}`);
    }

    async remove(s: Stack): Promise<void> {
        await this.ws.removeStack(s.name);
    }

    /**
     * Replaces the stack's whole config with `values` (this project's keys, or a provider's
     * with its namespace) and `secrets` (set as secrets, values on stdin).
     */
    setWholeConfig(
        s: Stack,
        values: Record<string, unknown>,
        secrets: Record<string, string>,
    ): void {
        const doc = this.readStackFile(s);
        doc.config = Object.fromEntries(
            Object.entries(values).map(([k, v]) => [k.includes(":") ? k : `${PROJECT}:${k}`, v]),
        );
        fs.writeFileSync(this.stackFile(s), YAML.stringify(doc));
        for (const [k, v] of Object.entries(secrets)) this.setSecretSetting(s, k, v);
    }

    /**
     * The 2018 installation (docs/history-2018.md) as the seed's static procedure makes it, next to the real
     * Ceph: `rbd create POOL/IMAGE -s 100G`, the Secret its PV names, then the seed's own
     * PV, claim and Deployment (test/e2e/seed, copied from the post). Converted only where
     * a current API server or this world requires it: the blog's non-breaking spaces, the
     * Deployment's apps/v1 with its selector, this world's monitor, and names apart for a
     * second installation. Waits until the claim is Bound and Jenkins' pod runs.
     */
    createSeedInstallation(names: { namespace: string; image: string; pv: string }): void {
        const r = this.local!.cluster.rbdAdmin([
            "create",
            `${this.ceph.pool}/${names.image}`,
            "-s",
            "100G",
        ]);
        assert.equal(r.status, 0, r.stderr);
        const seed = (f: string) =>
            YAML.parse(
                fs.readFileSync(path.join(__dirname, "seed", f), "utf8").replace(/\u00a0/g, " "),
            );
        const pv = seed("jenkins-pv.yaml");
        pv.metadata.name = names.pv;
        pv.spec.rbd.monitors = this.ceph.monitors;
        pv.spec.rbd.image = names.image;
        const pvc = seed("jenkins-pvc.yaml");
        pvc.metadata.namespace = names.namespace;
        const deployment = seed("jenkins-deployment.yaml");
        deployment.apiVersion = "apps/v1";
        deployment.metadata.namespace = names.namespace;
        deployment.spec.selector = { matchLabels: deployment.spec.template.metadata.labels };
        const docs = [
            { apiVersion: "v1", kind: "Namespace", metadata: { name: names.namespace } },
            {
                apiVersion: "v1",
                kind: "Secret",
                metadata: { name: pv.spec.rbd.secretRef.name, namespace: names.namespace },
                type: "kubernetes.io/rbd",
                stringData: { key: this.userKey },
            },
            pv,
            pvc,
            deployment,
        ];
        const k = this.kube.kubectl(
            ["create", "-f", "-"],
            docs.map((d) => YAML.stringify(d)).join("---\n"),
        );
        assert.ok(k.ok, k.out);
    }

    /** Every form a key could be stored in: as given, base64 (Secret data), PEM body lines. */
    private needles(): string[] {
        const out = new Set<string>();
        for (const k of this.keys) {
            const lines = k.split("\n").filter((l) => l.length >= 20 && !l.startsWith("-----"));
            for (const n of [k.trim(), Buffer.from(k.trim()).toString("base64"), ...lines])
                out.add(n);
        }
        return [...out];
    }

    assertNoKeys(text: string, where: string): void {
        // Where each one sits, with the key itself masked: enough to find the field.
        const hits = this.needles().flatMap((n) => {
            const i = text.indexOf(n);
            if (i < 0) return [];
            const around = text.slice(Math.max(0, i - 160), i + n.length + 40).replace(n, "<KEY>");
            return [around];
        });
        assert.equal(
            hits.length,
            0,
            `${where} holds ${hits.length} key(s) in plaintext:\n${hits.join("\n---\n")}`,
        );
    }

    assertNoKeysInBackend(): void {
        const files: string[] = [];
        const walk = (d: string) => {
            for (const e of fs.readdirSync(d, { withFileTypes: true })) {
                const p = path.join(d, e.name);
                if (e.isDirectory()) walk(p);
                else files.push(p);
            }
        };
        walk(this.backendDir);
        assert.ok(
            files.some((f) => f.endsWith(".json")),
            `no state in ${this.backendDir}`,
        );
        for (const f of files) this.assertNoKeys(fs.readFileSync(f, "utf8"), f);
    }

    stop(): void {
        if (this.local) {
            stopControlPlane(this.local.cpDir);
            this.local.sshd.stop();
            this.local.cluster.stop();
        }
        for (const d of this.owned) {
            if (process.env.KEEP_E2E === "1") console.log(`    kept ${d}`);
            else fs.rmSync(d, { recursive: true, force: true });
        }
    }

    track(dir: string): void {
        this.owned.push(dir);
    }
}

export async function startWorld(standardCephPorts = false): Promise<E2eWorld> {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "jc-e2e."));

    if (USER_CONFIG) {
        const env = engineEnv(
            root,
            process.env.KUBECONFIG ?? path.join(os.homedir(), ".kube", "config"),
        );
        // A user's cluster: their pulumi, plugins and PATH; only state and passphrase are ours.
        const ws = await LocalWorkspace.create({
            workDir: projectDir(root),
            envVars: {
                PULUMI_BACKEND_URL: env.PULUMI_BACKEND_URL,
                PULUMI_CONFIG_PASSPHRASE: env.PULUMI_CONFIG_PASSPHRASE,
            },
        });
        const cfg = userStackFile()[`${PROJECT}:ceph`] as {
            monitors: string[];
            pool: string;
            user: string;
        };
        const extra: Record<string, string> = {};
        if (process.env.JENKINS_CEPH_E2E_ADMIN_KEY)
            extra.cephAdminKey = process.env.JENKINS_CEPH_E2E_ADMIN_KEY;
        const w = new E2eWorld(
            ws,
            ws.workDir,
            path.join(root, "backend"),
            undefined,
            cfg,
            process.env.JENKINS_CEPH_E2E_USER_KEY!,
            extra,
        );
        w.track(root);
        return w;
    }

    const timings: string[] = [];
    const time = async <T>(what: string, f: () => Promise<T> | T): Promise<T> => {
        const t0 = Date.now();
        const r = await f();
        timings.push(`${what} ${((Date.now() - t0) / 1000).toFixed(1)}s`);
        return r;
    };
    const cluster = await time("ceph", () => CephCluster.start(standardCephPorts));
    const cpDir = path.join(root, "cp");
    fs.mkdirSync(cpDir);
    let sshd: TestSshd | undefined;
    try {
        const kubeconfig = await time("control plane + kwok", () => startControlPlane(cpDir));
        sshd = await time("sshd", () => TestSshd.start());
        const env = engineEnv(root, kubeconfig);
        await time("plugins", () => installPlugins(env));
        const pulumiCommand = await PulumiCommand.get({ root: TOOLCHAIN.pulumiRoot });
        const ws = await LocalWorkspace.create({
            workDir: projectDir(root),
            pulumiCommand,
            envVars: env,
        });
        const w = new E2eWorld(
            ws,
            ws.workDir,
            path.join(root, "backend"),
            { kubeconfig, bin: path.join(TOOLCHAIN.kubernetes, "kubectl") },
            { monitors: [cluster.monitor], pool: "kubes", user: "kube", clusterId: cluster.fsid },
            cluster.userKey,
            { cephAdminKey: cluster.adminKey, rbdHostKey: sshd.privateKey },
            { cluster, cpDir, sshd, timings },
        );
        w.track(root);
        return w;
    } catch (e) {
        stopControlPlane(cpDir);
        sshd?.stop();
        cluster.stop();
        fs.rmSync(root, { recursive: true, force: true });
        throw e;
    }
}
