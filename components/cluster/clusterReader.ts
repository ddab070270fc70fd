// A read-only look at one Kubernetes object from the program's own process, with the
// cluster the Kubernetes provider uses (KUBECONFIG or ~/.kube/config, its current
// context): the ownership guard (ownership.ts) asks whether an object it is about to
// create is already there. Client certificates, bearer tokens and exec credential plugins
// are supported, as kubectl does; it never writes.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";

interface KubeConfigFile {
    "current-context"?: string;
    contexts?: { name: string; context: { cluster: string; user: string } }[];
    clusters?: {
        name: string;
        cluster: {
            server: string;
            "certificate-authority"?: string;
            "certificate-authority-data"?: string;
            "insecure-skip-tls-verify"?: boolean;
        };
    }[];
    users?: {
        name: string;
        user: {
            token?: string;
            tokenFile?: string;
            "client-certificate"?: string;
            "client-certificate-data"?: string;
            "client-key"?: string;
            "client-key-data"?: string;
            exec?: { command: string; args?: string[]; env?: { name: string; value: string }[] };
        };
    }[];
}

/** How to reach the API server: its URL and the TLS and auth options for https. */
export interface ClusterAccess {
    server: string;
    options: https.RequestOptions;
}

const fileOrData = (file?: string, data?: string, base = ""): Buffer | undefined =>
    data
        ? Buffer.from(data, "base64")
        : file
          ? fs.readFileSync(path.resolve(base, file))
          : undefined;

/** The access of the current context; undefined when there is no kubeconfig to read. */
export function clusterAccess(kubeconfig?: string, context?: string): ClusterAccess | undefined {
    const file = kubeconfig
        ? undefined
        : (process.env.KUBECONFIG ?? path.join(os.homedir(), ".kube", "config"))
              .split(path.delimiter)
              .find((f) => f && fs.existsSync(f));
    const text = kubeconfig ?? (file ? fs.readFileSync(file, "utf8") : undefined);
    if (!text) return undefined;
    const base = file ? path.dirname(file) : "";
    const cfg = YAML.parse(text) as KubeConfigFile;
    const ctxName = context ?? cfg["current-context"];
    const ctx = cfg.contexts?.find((c) => c.name === ctxName)?.context;
    const cluster = cfg.clusters?.find((c) => c.name === ctx?.cluster)?.cluster;
    const user = cfg.users?.find((u) => u.name === ctx?.user)?.user ?? {};
    if (!cluster) return undefined;
    const headers: Record<string, string> = {};
    const options: https.RequestOptions = {
        ca: fileOrData(
            cluster["certificate-authority"],
            cluster["certificate-authority-data"],
            base,
        ),
        rejectUnauthorized: !cluster["insecure-skip-tls-verify"],
        cert: fileOrData(user["client-certificate"], user["client-certificate-data"], base),
        key: fileOrData(user["client-key"], user["client-key-data"], base),
        headers,
    };
    let token =
        user.token ?? (user.tokenFile ? fs.readFileSync(user.tokenFile, "utf8").trim() : undefined);
    if (user.exec) {
        const env = { ...process.env };
        for (const e of user.exec.env ?? []) env[e.name] = e.value;
        const r = spawnSync(user.exec.command, user.exec.args ?? [], { env, encoding: "utf8" });
        const cred = JSON.parse(r.stdout || "{}") as {
            status?: { token?: string; clientCertificateData?: string; clientKeyData?: string };
        };
        token = cred.status?.token ?? token;
        if (cred.status?.clientCertificateData) options.cert = cred.status.clientCertificateData;
        if (cred.status?.clientKeyData) options.key = cred.status.clientKeyData;
    }
    if (token) headers.Authorization = `Bearer ${token}`;
    return { server: cluster.server.replace(/\/$/, ""), options };
}

/** What the API server holds under a name: nothing, or the object's metadata. */
type ObjectLookup =
    { found: false } | { found: true; annotations: Record<string, string>; managers: string[] };

/** The API path of an object of a core or grouped kind ("v1"/"apps/v1", its plural). */
export function objectPath(
    apiVersion: string,
    plural: string,
    name: string,
    namespace?: string,
): string {
    const prefix = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    const ns = namespace ? `/namespaces/${encodeURIComponent(namespace)}` : "";
    return `${prefix}${ns}/${plural}/${encodeURIComponent(name)}`;
}

/** GETs one object's metadata; a 404 is "not found", anything else but 200 is an error. */
export async function lookUp(
    access: ClusterAccess,
    apiPath: string,
    timeoutMs = 15_000,
): Promise<ObjectLookup> {
    const obj = (await readObject(access, apiPath, timeoutMs)) as
        | {
              metadata?: {
                  annotations?: Record<string, string>;
                  managedFields?: { manager?: string }[];
              };
          }
        | undefined;
    if (!obj) return { found: false };
    return {
        found: true,
        annotations: obj.metadata?.annotations ?? {},
        managers: (obj.metadata?.managedFields ?? []).map((m) => m.manager ?? ""),
    };
}

/** GETs one object as the API server holds it; undefined when there is none (404). */
export function readObject(
    access: ClusterAccess,
    apiPath: string,
    timeoutMs = 15_000,
): Promise<unknown> {
    return new Promise((resolve, reject) => {
        const req = https.request(
            `${access.server}${apiPath}`,
            { ...access.options, method: "GET", timeout: timeoutMs },
            (res) => {
                let body = "";
                res.on("data", (d: Buffer) => (body += d.toString()));
                res.on("end", () => {
                    if (res.statusCode === 404) return resolve(undefined);
                    if (res.statusCode !== 200) {
                        return reject(
                            new Error(`the API server answered ${res.statusCode} for ${apiPath}`),
                        );
                    }
                    resolve(JSON.parse(body) as unknown);
                });
            },
        );
        req.on("timeout", () =>
            req.destroy(new Error(`no answer from ${access.server} in ${timeoutMs / 1000}s`)),
        );
        req.on("error", reject);
        req.end();
    });
}
