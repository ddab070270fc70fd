// npm run takeover -- --stack NAME [--yes] [--timeout SECONDS]
// Moves a hand-made Jenkins (the 2018 procedure (docs/history-2018.md): rbd image, PV, claim, Ceph Secret,
// Deployment with the same names this program uses) under the stack, on the same image.
// Without --yes it prints what it found and every step, and changes nothing. With it:
// Jenkins is stopped, the old objects are saved and removed (the PV only after its
// Retain policy is confirmed), `pulumi up` creates the stack's own, and the result is
// checked by the image's rbd id and a preview without changes. Every refusal comes
// before anything is touched, or puts back what it touched. Interrupted, it is run again:
// each run starts from what the cluster holds now.
import { bytesAsQuantity } from "../settings/quantity";
import { ADOPT_ENV } from "../components/cluster/ownership";
import * as fs from "fs";
import * as path from "path";
import { openStack, parseCommandArgs, Refusal, runCli } from "./shared";
import { Cluster, observe } from "./takeoverCluster";
import type { Settings } from "../settings/settings";
import { describe, Observed, Plan, planTakeover, pvImage, Step, Target } from "./takeoverPlan";
import { TakeoverSteps } from "./takeoverSteps";

const COMMAND = {
    summary:
        "Moves a hand-made Jenkins (the 2018 procedure) under the stack, on the same rbd image.",
    usage: "usage: npm run takeover -- --stack <name> [--yes] [--timeout <seconds>]",
};

/** Set by the first SIGINT: the current step finishes, the next does not start. */
let interrupted = false;

/** What the takeover works on: the stack's names, image and size. Static mode, rbd here. */
function targetOf(stackName: string, s: Settings): Target {
    if (s.mode !== "static") {
        throw new Refusal(
            `the takeover moves an existing rbd image under the stack, and stack ${stackName} is in dynamic mode; ` +
                `set jenkins-ceph:mode to static and volume.image to the image's name (a 2018 dynamic volume's ` +
                `PV names it, kubernetes-dynamic-pvc-...)`,
        );
    }
    return {
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
}

/** What was found and what will be done; a refusal of the plan ends here. */
function printPlan(stackName: string, t: Target, seen: Observed, plan: Plan): void {
    const onImage = seen.pvs.filter(
        (pv) => pvImage(pv)?.image === t.image && pvImage(pv)?.pool === t.pool,
    );
    const found = [...seen.sameNamed, ...onImage]
        .filter((o, i, all) => all.findIndex((x) => x.metadata.uid === o.metadata.uid) === i)
        .map(
            (o) => `${describe(o)}${seen.managedUids.has(o.metadata.uid) ? " (the stack's)" : ""}`,
        );
    const img = seen.image;
    console.log(
        `takeover of stack ${stackName}: rbd image ${t.pool}/${t.image}` +
            (img.exists
                ? ` (rbd id ${img.id}, ${bytesAsQuantity(img.sizeBytes)}, open by: ${img.watchers.join(" ") || "nobody"})`
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
    if (!plan.steps.some((st) => st.do === "delete" || st.do === "scale-down")) {
        console.log(
            "  nothing of a hand-made installation is left; the steps below finish the job",
        );
    }
    plan.steps.forEach((st, i) => console.log(`  ${i + 1}. ${st.say}`));
}

async function main(): Promise<void> {
    const args = parseCommandArgs(process.argv.slice(2), COMMAND);
    const { workDir, stack, settings: s, kubeContext } = await openStack(args.stack);
    const t = targetOf(args.stack, s);
    const k = new Cluster(kubeContext);
    const { seen, adoptionProblems } = await observe(k, s, t, stack, workDir);
    const plan = planTakeover(t, seen);
    plan.refusals.push(...adoptionProblems(plan.adopted));
    printPlan(args.stack, t, seen, plan);
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
    // The takeover adopts these on purpose; the ownership guard refuses any other object
    // that exists (components/cluster/ownership.ts). The Pulumi CLI passes the environment on.
    process.env[ADOPT_ENV] = plan.adopted
        .map((o) => `${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`)
        .join(",");
    const backupDir = path.join(workDir, "takeover-backup", args.stack);
    const steps = new TakeoverSteps({
        k,
        settings: s,
        target: t,
        stack,
        backupDir,
        timeoutSeconds: args.timeoutSeconds,
    });
    for (const [i, st] of plan.steps.entries()) await runStep(steps, st, i, plan.steps.length);
    console.log(
        `took over: stack ${args.stack} manages Jenkins on rbd image ${t.pool}/${t.image}` +
            (fs.existsSync(backupDir) ? `; the old objects are saved in ${backupDir}` : ""),
    );
}

/** One step; an interruption or a refusal says where it stopped and how to go on. */
async function runStep(steps: TakeoverSteps, st: Step, i: number, of: number): Promise<void> {
    if (interrupted) {
        throw new Refusal(
            `interrupted before step ${i + 1}; nothing is half-done: run the same command again to finish.${steps.putBack()}`,
            130,
        );
    }
    console.log(`${i + 1}. ${st.say}`);
    try {
        await steps.run(st);
    } catch (e) {
        // A Ctrl-C also reaches kubectl or the Pulumi CLI, whose failure may arrive
        // before the signal's handler has run: give it its turn first.
        await new Promise((res) => setTimeout(res, 200));
        if (!interrupted) {
            if (!(e instanceof Refusal)) throw e;
            throw new Refusal(
                `${e.message.replace(/\.?$/, ".")} Stopped at step ${i + 1} of ${of}; ` +
                    `run the same command again once that is fixed: it starts from what the cluster holds now.`,
            );
        }
        // The engine cancels cleanly; what it had created is in the stack's state.
        const why =
            st.do === "up"
                ? "pulumi up was cancelled"
                : (e instanceof Error ? e.message : String(e)).split(/\n|\. /)[0];
        throw new Refusal(
            `interrupted during step ${i + 1} (${why}); run the same command again to finish: it starts from what the cluster holds now.${steps.putBack()}`,
            130,
        );
    }
}

runCli("takeover", main);
