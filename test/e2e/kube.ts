// What the e2e suite asks of Kubernetes: kubectl against the world's cluster (cli/shared.ts's
// kubectl, with the world's kubeconfig), objects read back, waits, and the local control
// plane's API server stopped and started again.
import { strict as assert } from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { KubeTarget, kubectl as runKubectl, waitUntil } from "../../cli/shared";
import { rbdImageOfPv } from "../../components/ceph/pvImage";

export class KubeDriver {
    constructor(
        private readonly target: KubeTarget,
        /** The local control plane's directory (test/e2e/controlplane.sh); none on a user's cluster. */
        private readonly cpDir?: string,
    ) {}

    /** `kubectl get` of one object, with `flags` (output format and the like). */
    private kubectlGet(kind: string, namespace: string | undefined, name: string, flags: string[]) {
        const ns = namespace ? ["-n", namespace] : [];
        const r = this.kubectl([...ns, "get", kind, ...(name ? [name] : []), ...flags]);
        assert.ok(r.ok, `kubectl get ${kind} ${name}: ${r.out}`);
        return r.out;
    }

    get(kind: string, namespace: string | undefined, name: string): any {
        return JSON.parse(this.kubectlGet(kind, namespace, name, ["-o", "json"]));
    }

    /** What a cluster administrator does to remove a driver nothing uses any more. */
    deleteNamespace(ns: string): void {
        const r = this.kubectl(["delete", "namespace", ns, "--wait=false"]);
        assert.ok(r.ok, r.out);
    }

    /** kubectl with this world's cluster; `input` on stdin. */
    kubectl(args: string[], input?: string): { ok: boolean; out: string } {
        return runKubectl(args, this.target, input);
    }

    /** Every object of a kind (in a namespace), as kubectl's List. */
    list(kind: string, namespace?: string): any[] {
        return (
            JSON.parse(this.kubectlGet(kind, namespace, "", ["-o", "json"])) as { items: any[] }
        ).items;
    }

    exists(kind: string, namespace: string | undefined, name: string): boolean {
        const out = this.kubectlGet(kind, namespace, name, ["--ignore-not-found", "-o", "name"]);
        return out.trim() !== "";
    }

    imageOf(pv: any): string {
        const image = rbdImageOfPv(pv.spec)?.image;
        assert.ok(image, `PV ${pv.metadata.name} names no rbd image`);
        return String(image);
    }

    async waitFor(what: string, check: () => boolean, seconds = 120): Promise<void> {
        if (!(await waitUntil(seconds * 1000, check)))
            throw new Error(`timed out after ${seconds}s waiting for ${what}`);
    }

    /**
     * Kills the local kube-apiserver (etcd keeps the cluster), as a crash of the control
     * plane would; the returned function starts it again with the same command line and
     * waits until it is ready. Local world only. SIGKILL, not SIGTERM: a terminated
     * apiserver drains for about a minute before it exits, which only made the test slow.
     */
    stopApiServer(): () => Promise<void> {
        const dir = this.cpDir!;
        const pidFile = path.join(dir, "run", "kube-apiserver.pid");
        const pid = Number(fs.readFileSync(pidFile, "utf8").trim());
        const argv = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
        assert.ok(argv.join(" ").includes(dir), "the pid file names our apiserver");
        process.kill(pid, "SIGKILL");
        const gone = () => !fs.existsSync(`/proc/${pid}`);
        return async () => {
            await this.waitFor("the old kube-apiserver to exit", gone, 10);
            const log = fs.openSync(path.join(dir, "log", "kube-apiserver.log"), "a");
            const child = spawn(argv[0], argv.slice(1), {
                detached: true,
                stdio: ["ignore", log, log],
            });
            child.unref();
            fs.closeSync(log);
            fs.writeFileSync(pidFile, `${child.pid}\n`);
            await this.waitFor(
                "kube-apiserver ready again",
                () => this.kubectl(["get", "--raw", "/readyz"]).ok,
                120,
            );
        };
    }
}
