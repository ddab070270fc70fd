// npm run takeover -- --stack NAME [--yes] [--timeout SECONDS]
// Moves a hand-made Jenkins (the 2018 procedure: rbd image, PV, claim, Ceph Secret,
// Deployment with the same names this program uses) under the stack, on the same image.
// Without --yes it prints what it found and every step, and changes nothing. With it:
// Jenkins is stopped, the old objects are saved and removed (the PV only after its
// Retain policy is confirmed), `pulumi up` creates the stack's own, and the result is
// checked by the image's rbd id and a preview without changes. Every refusal comes
// before anything is touched, or puts back what it touched. Interrupted, it is run again:
// each run starts from what the cluster holds now.
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { render } from "./render";
import { kubectl, openStack, Refusal, runCli, runRbdStep } from "./stackCli";
import {
    CEPH_SECRETS,
    claimOf,
    describe,
    ImageFacts,
    KubeObject,
    planTakeover,
    pvImage,
    Step,
    Target,
} from "./takeoverPlan";

const USAGE = "usage: npm run takeover -- --stack <name> [--yes] [--timeout <seconds>]";

interface Args {
    stack: string;
    yes: boolean;
    timeoutSeconds: number;
}

function parseArgs(argv: string[]): Args {
    const out: Partial<Args> = { yes: false, timeoutSeconds: 300 };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--stack") out.stack = argv[++i];
        else if (a === "--yes") out.yes = true;
        else if (a === "--timeout") out.timeoutSeconds = Number(argv[++i]);
        else throw new Refusal(`unknown argument ${a}; ${USAGE}`);
    }
    if (!out.stack) throw new Refusal(USAGE);
    if (!Number.isInteger(out.timeoutSeconds) || out.timeoutSeconds! < 1) {
        throw new Refusal(`--timeout must be a whole number of seconds, e.g. 300; ${USAGE}`);
    }
    return out as Args;
}

/** Set by the first SIGINT: the current step finishes, the next does not start. */
let interrupted = false;

class Cluster {
    constructor(private readonly context?: string) {}

    run(args: string[], input?: string): string {
        const r = kubectl(args, this.context, input);
        if (!r.ok) {
            throw new Refusal(
                `kubectl ${args.slice(0, 3).join(" ")} failed: ${r.out.split("\n")[0]}`,
            );
        }
        return r.stdout;
    }

    /** One object, or undefined; Secrets lose their data here, before anything keeps them. */
    get(kind: string, name: string, namespace?: string): KubeObject | undefined {
        const ns = namespace ? ["-n", namespace] : [];
        const out = this.run(["get", kind, name, ...ns, "--ignore-not-found", "-o", "json"]);
        if (!out.trim()) return undefined;
        const o = JSON.parse(out) as KubeObject & { data?: unknown; stringData?: unknown };
        delete o.data;
        delete o.stringData;
        return o;
    }

    list(kind: string, namespace?: string): KubeObject[] {
        const ns = namespace ? ["-n", namespace] : [];
        return (JSON.parse(this.run(["get", kind, ...ns, "-o", "json"])) as { items: KubeObject[] })
            .items;
    }
}

/** rbd's facts about the image: existence, id, size, watchers. */
async function inspectImage(
    s: Parameters<typeof runRbdStep>[1],
    pool: string,
    image: string,
): Promise<ImageFacts> {
    const r = await runRbdStep("inspect", s, { pool, image });
    if (!r.ok) throw new Refusal(`${r.error}; nothing was changed`);
    if (/^exists: no$/m.test(r.stdout)) return { exists: false };
    const line = (k: string): unknown =>
        JSON.parse(new RegExp(`^${k}: (.*)$`, "m").exec(r.stdout)![1]);
    const info = line("info") as { id: string; size: number };
    const status = line("status") as { watchers?: { address: string }[] };
    return {
        exists: true,
        id: info.id,
        sizeBytes: info.size,
        watchers: (status.watchers ?? []).map((w) => w.address),
    };
}

/** kubectl's name for an object's resource: Deployment.apps, Namespace. */
function resourceOf(m: KubeObject): string {
    const group = m.apiVersion.includes("/") ? m.apiVersion.split("/")[0] : "";
    return group ? `${m.kind}.${group}` : m.kind;
}

/** A manifest `kubectl create -f` accepts again: no server fields, no binding to the old uids. */
function recreatable(o: KubeObject): Record<string, unknown> {
    const m = structuredClone(o) as KubeObject & { status?: unknown };
    const meta = m.metadata as Record<string, unknown>;
    for (const k of [
        "uid",
        "resourceVersion",
        "creationTimestamp",
        "managedFields",
        "generation",
        "finalizers",
        "deletionTimestamp",
        "ownerReferences",
    ]) {
        delete meta[k];
    }
    const annotations = meta.annotations as Record<string, string> | undefined;
    for (const k of Object.keys(annotations ?? {})) {
        if (/^(pv|kubectl)\.kubernetes\.io\/|^deployment\.kubernetes\.io\//.test(k))
            delete annotations![k];
    }
    if (m.kind === "PersistentVolume" && m.spec?.claimRef) {
        const { namespace, name } = m.spec.claimRef as { namespace: string; name: string };
        m.spec.claimRef = { namespace, name };
    }
    if (m.kind === "Service") {
        delete m.spec?.clusterIP;
        delete m.spec?.clusterIPs;
    }
    delete m.status;
    return m as unknown as Record<string, unknown>;
}

async function main(): Promise<void> {
    const args = parseArgs(process.argv.slice(2));
    const { workDir, stack, settings: s, kubeContext } = await openStack(args.stack);
    if (s.mode !== "static") {
        throw new Refusal(
            `the takeover moves an existing rbd image under the stack, and stack ${args.stack} is in dynamic mode; ` +
                `set jenkins-ceph:mode to static and volume.image to the image's name (a 2018 dynamic volume's ` +
                `PV names it, kubernetes-dynamic-pvc-...)`,
        );
    }
    if (s.rbdHost) {
        throw new Refusal(
            `rbd runs on ${s.rbdHost.host} for this stack: run the takeover there (it needs ceph-common, kubectl and the monitors)`,
        );
    }
    const t: Target = {
        namespace: s.jenkins.namespace,
        deployment: s.jenkins.name,
        claimName: s.volume.claimName,
        pvName: s.volume.pvName,
        pool: s.ceph.pool,
        image: s.volume.image,
        sizeBytes: Number(s.volume.sizeMiB) * 1024 ** 2,
        accessMode: s.volume.accessMode,
        secretNamespace: s.ceph.secretNamespace,
    };
    const at = `${t.pool}/${t.image}`;
    const k = new Cluster(kubeContext);

    // What the stack will create, by name (offline, the real program under mocks).
    const rendered = (await render(args.stack, workDir)).manifests as unknown as KubeObject[];
    const exported = await stack.exportStack();
    const managedUids = new Set<string>(
        (
            ((exported.deployment as { resources?: unknown[] } | undefined)?.resources ?? []) as {
                outputs?: { metadata?: { uid?: string } };
            }[]
        )
            .map((r) => r.outputs?.metadata?.uid)
            .filter((u): u is string => !!u),
    );
    const sameNamed = rendered
        .map((m) => k.get(resourceOf(m), m.metadata.name, m.metadata.namespace))
        .filter((o): o is KubeObject => !!o);
    const namespaceExists = sameNamed.some(
        (o) => o.kind === "Namespace" && o.metadata.name === t.namespace,
    );
    const seen = {
        sameNamed,
        pvs: k.list("persistentvolumes"),
        pods: namespaceExists ? k.list("pods", t.namespace) : [],
        replicaSets: namespaceExists ? k.list("replicasets.apps", t.namespace) : [],
        cephSecrets: CEPH_SECRETS.map((n) => k.get("secret", n, t.namespace)).filter(
            (o): o is KubeObject => !!o,
        ),
        managedUids,
        image: await inspectImage(s, t.pool, t.image),
    };
    const plan = planTakeover(t, seen);

    // Objects Pulumi adopts must take its fields without a conflict: the API server says.
    for (const o of plan.adopted) {
        const m = rendered.find((r) => r.kind === o.kind && r.metadata.name === o.metadata.name);
        const r = kubectl(
            [
                "apply",
                "--server-side",
                "--dry-run=server",
                "--field-manager=jenkins-ceph-takeover",
                "-f",
                "-",
            ],
            kubeContext,
            YAML.stringify(m),
        );
        if (!r.ok) {
            plan.refusals.push(
                `${describe(o)} exists and Pulumi could not take it over as it is (${r.out.split("\n")[0]}); nothing was changed. ` +
                    `Remove the conflicting fields, or the object if it holds nothing.`,
            );
        }
    }

    const found = [
        ...new Set([
            ...sameNamed,
            ...seen.pvs.filter((pv) => {
                const src = pvImage(pv);
                return src?.pool === t.pool && src.image === t.image;
            }),
        ]),
    ].map((o) => `${describe(o)}${managedUids.has(o.metadata.uid) ? " (the stack's)" : ""}`);
    const img = seen.image;
    console.log(
        `takeover of stack ${args.stack}: rbd image ${at}` +
            (img.exists
                ? ` (rbd id ${img.id}, ${img.sizeBytes} bytes, open by: ${img.watchers.join(" ") || "nobody"})`
                : " (missing)"),
    );
    console.log(`  found: ${found.join(", ") || "nothing with the stack's names"}`);
    for (const o of plan.adopted) console.log(`  adopted as it is: ${describe(o)}`);
    for (const n of plan.notes) console.log(`  note: ${n}`);
    if (plan.refusals.length) {
        throw new Refusal(
            plan.refusals.length === 1
                ? plan.refusals[0]
                : `${plan.refusals.length} reasons to stop; nothing was changed:\n${plan.refusals.map((r) => `  - ${r}`).join("\n")}`,
        );
    }
    plan.steps.forEach((st, i) => console.log(`  ${i + 1}. ${st.say}`));
    if (!args.yes) {
        console.log("dry run: nothing was changed; add --yes to do it");
        return;
    }

    process.on("SIGINT", () => {
        // A second Ctrl-C stops at once; each run starts from what the cluster holds.
        if (interrupted) process.exit(130);
        console.log("interrupt: stopping after the current step (Ctrl-C again to stop now)");
        interrupted = true;
    });
    const backupDir = path.join(workDir, "takeover-backup", args.stack);
    let scaled: { deployment: KubeObject; replicas: number } | undefined;
    const putBack = () => {
        if (!scaled) return "";
        const d = scaled.deployment;
        const r = kubectl(
            [
                "-n",
                d.metadata.namespace!,
                "scale",
                `deployment/${d.metadata.name}`,
                `--replicas=${scaled.replicas}`,
            ],
            kubeContext,
        );
        return r.ok
            ? ` Jenkins was scaled back to ${scaled.replicas}.`
            : ` Jenkins could not be scaled back (${r.out.split("\n")[0]}): kubectl -n ${d.metadata.namespace} scale deployment/${d.metadata.name} --replicas=${scaled.replicas}`;
    };
    const podsOnClaim = () =>
        k.list("pods", t.namespace).filter((p) => claimOf(p).includes(t.claimName));

    const runStep = async (st: Step): Promise<void> => {
        switch (st.do) {
            case "backup": {
                fs.mkdirSync(backupDir, { recursive: true });
                for (const o of st.objects) {
                    const file = path.join(
                        backupDir,
                        `${o.kind}-${o.metadata.namespace ?? "cluster"}-${o.metadata.name}.yaml`,
                    );
                    // A run after an interruption keeps the first, fuller copy.
                    if (!fs.existsSync(file))
                        fs.writeFileSync(file, YAML.stringify(recreatable(o)));
                }
                console.log(`     saved in ${path.relative(process.cwd(), backupDir) || "."}`);
                return;
            }
            case "scale-down": {
                const d = st.deployment;
                k.run([
                    "-n",
                    d.metadata.namespace!,
                    "scale",
                    `deployment/${d.metadata.name}`,
                    "--replicas=0",
                ]);
                if (st.replicas > 0) scaled = { deployment: d, replicas: st.replicas };
                const deadline = Date.now() + args.timeoutSeconds * 1000;
                for (;;) {
                    const left = podsOnClaim();
                    if (!left.length) return;
                    if (Date.now() > deadline) {
                        throw new Refusal(
                            `pod ${left.map((p) => p.metadata.name).join(", ")} still runs after ${args.timeoutSeconds}s and holds the volume; nothing was deleted.${putBack()}`,
                        );
                    }
                    await new Promise((res) => setTimeout(res, 1000));
                }
            }
            case "check-closed": {
                const now = await inspectImage(s, t.pool, t.image);
                if (now.exists && now.watchers.length) {
                    throw new Refusal(
                        `rbd image ${at} is still open by ${now.watchers.join(" ")} (a node that has not unmapped it); nothing was deleted.${putBack()} ` +
                            `Wait for the node to unmap it (rbd status ${at}), then run the takeover again.`,
                    );
                }
                return;
            }
            case "delete": {
                const o = st.object;
                if (o.kind === "PersistentVolume") {
                    // Asked again right before: only a Retain PV is ever deleted.
                    const now = k.get("persistentvolume", o.metadata.name);
                    if (!now) return;
                    if (now.spec?.persistentVolumeReclaimPolicy !== "Retain") {
                        throw new Refusal(
                            `PersistentVolume ${o.metadata.name} is no longer Retain; stopped before deleting it. ` +
                                `kubectl patch pv ${o.metadata.name} -p '{"spec":{"persistentVolumeReclaimPolicy":"Retain"}}', then run again.`,
                        );
                    }
                }
                const ns = o.metadata.namespace ? ["-n", o.metadata.namespace] : [];
                if (o.kind === "Deployment") scaled = undefined;
                k.run([
                    "delete",
                    o.kind.toLowerCase(),
                    o.metadata.name,
                    ...ns,
                    "--ignore-not-found",
                    "--cascade=foreground",
                    "--wait=true",
                    `--timeout=${args.timeoutSeconds}s`,
                ]);
                return;
            }
            case "up": {
                scaled = undefined; // the stack's Deployment replaces it
                await stack.up({ onOutput: (o) => process.stdout.write(o) }).catch((e: Error) => {
                    const lines = e.message.split("\n");
                    const cause =
                        lines
                            .map((l) => /\berror: (.*)$/.exec(l)?.[1])
                            .find((l) => l !== undefined) ?? lines[0];
                    throw new Refusal(
                        `pulumi up did not finish (${cause.trim()}). Nothing of the image is lost: no PV, or the stack's own, ` +
                            `stands for it now; fix the cause and run the takeover again` +
                            (fs.existsSync(backupDir)
                                ? ` (the old objects are saved in ${backupDir})`
                                : "") +
                            ".",
                    );
                });
                return;
            }
            case "verify": {
                const pv = k.get("persistentvolume", t.pvName);
                const src = pv && pvImage(pv);
                if (
                    !pv ||
                    pv.status?.phase !== "Bound" ||
                    src?.pool !== t.pool ||
                    src.image !== t.image
                ) {
                    throw new Refusal(
                        `PersistentVolume ${t.pvName} is not Bound on rbd image ${at} after pulumi up (${pv ? `phase ${pv.status?.phase}` : "missing"}); run the takeover again to finish`,
                    );
                }
                const now = await inspectImage(s, t.pool, t.image);
                if (!now.exists || now.id !== st.imageId) {
                    throw new Refusal(
                        `rbd image ${at} now has id ${now.exists ? now.id : "(missing)"}, not ${st.imageId}: it is not the image Jenkins had; stop and check it before anything else`,
                    );
                }
                const preview = await stack.preview();
                const changed = Object.entries(preview.changeSummary).filter(
                    ([op, n]) => op !== "same" && (n ?? 0) > 0,
                );
                if (changed.length) {
                    throw new Refusal(
                        `pulumi preview after the takeover still shows changes (${changed.map(([op, n]) => `${op} ${n}`).join(", ")}); run pulumi preview --diff to see them`,
                    );
                }
                console.log(
                    `     PV ${t.pvName} is Bound to ${t.namespace}/${t.claimName} on rbd image ${at}, rbd id ${now.id} as before; pulumi preview: no changes`,
                );
                return;
            }
        }
    };

    for (const [i, st] of plan.steps.entries()) {
        if (interrupted) {
            throw new Refusal(
                `interrupted before step ${i + 1}; nothing is half-done: run the same command again to finish.${putBack()}`,
                130,
            );
        }
        console.log(`${i + 1}. ${st.say}`);
        try {
            await runStep(st);
        } catch (e) {
            if (!interrupted) throw e;
            const why = (e instanceof Error ? e.message : String(e)).split(/\n|\. /)[0];
            throw new Refusal(
                `interrupted during step ${i + 1} (${why}); run the same command again to finish: it starts from what the cluster holds now.`,
                130,
            );
        }
    }
    console.log(
        `took over: stack ${args.stack} manages Jenkins on rbd image ${at}` +
            (fs.existsSync(backupDir) ? `; the old objects are saved in ${backupDir}` : ""),
    );
}

runCli("takeover", main);
