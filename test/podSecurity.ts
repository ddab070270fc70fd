// The Pod Security Standard "restricted" as a check the mock suites can run on a pod spec
// (the real API server's admission is in test/cluster).
import type { Any } from "./helpers";

/**
 * Pod Security Standard "restricted" (kubernetes.io/docs/concepts/security/pod-security-standards),
 * each rule by its name there. Returns the rules a pod breaks.
 */
export function restrictedViolations(pod: Any): string[] {
    const out: string[] = [];
    const containers: Any[] = [...(pod.containers ?? []), ...(pod.initContainers ?? [])];
    const psc = pod.securityContext ?? {};
    if (pod.hostNetwork || pod.hostPID || pod.hostIPC) out.push("Host Namespaces");
    for (const v of pod.volumes ?? []) {
        const allowed = [
            "configMap",
            "csi",
            "downwardAPI",
            "emptyDir",
            "ephemeral",
            "persistentVolumeClaim",
            "projected",
            "secret",
        ];
        const kinds = Object.keys(v).filter((k) => k !== "name");
        if (!kinds.every((k) => allowed.includes(k))) out.push(`Volume Types (${v.name})`);
    }
    const podSeccomp = psc.seccompProfile?.type;
    for (const c of containers) {
        const sc = c.securityContext ?? {};
        if (sc.privileged) out.push(`Privileged Containers (${c.name})`);
        if (sc.allowPrivilegeEscalation !== false) out.push(`Privilege Escalation (${c.name})`);
        if (!(
            sc.runAsNonRoot === true ||
            (sc.runAsNonRoot === undefined && psc.runAsNonRoot === true)
        )) {
            out.push(`Running as Non-root (${c.name})`);
        }
        if ((sc.runAsUser ?? psc.runAsUser) === 0) out.push(`Running as Non-root user (${c.name})`);
        const seccomp = sc.seccompProfile?.type ?? podSeccomp;
        if (!["RuntimeDefault", "Localhost"].includes(seccomp)) out.push(`Seccomp (${c.name})`);
        const caps = sc.capabilities ?? {};
        if (!(caps.drop ?? []).includes("ALL")) out.push(`Capabilities drop ALL (${c.name})`);
        if ((caps.add ?? []).some((x: string) => x !== "NET_BIND_SERVICE"))
            out.push(`Capabilities add (${c.name})`);
        for (const p of c.ports ?? []) if (p.hostPort) out.push(`HostPorts (${c.name})`);
        if (sc.procMount && sc.procMount !== "Default") out.push(`/proc Mount Type (${c.name})`);
    }
    return out;
}
