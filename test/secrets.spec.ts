// Secrets audit: for every combination and every shipped stack, no Ceph or SSH key value
// appears in plaintext anywhere the program puts things, and every input carrying one is
// a Pulumi secret.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as YAML from "yaml";
import {
    configFromStackFile,
    PROJECT_ROOT,
    ProgramRun,
    RegisteredResource,
    runProgram,
} from "../cli/mockRuntime";
import { describeOther, listStacks, toManifest } from "../cli/render";
import {
    baseStack,
    COMBINATIONS,
    FAKE_ADMIN_KEY,
    FAKE_BACKUP_KEY,
    FAKE_HOST_KEY_LINE,
    FAKE_S3_ACCESS_KEY,
    FAKE_S3_SECRET_KEY,
    FAKE_SSH_KEY,
    FAKE_USER_KEY,
    StackInput,
} from "./fixtures";
import { k8s, run } from "./helpers";

/** A secret a JCasC file reads (jenkinsSecrets). */
const FAKE_JCASC_SECRET = "jenkinsCascSECRET-audit";
/** Jenkins' admin password: a secret like the keys. */
const FAKE_ADMIN_PASSWORD = "jenkinsAdminPASSWORD-audit";
const KEYS = [
    FAKE_USER_KEY,
    FAKE_ADMIN_KEY,
    FAKE_SSH_KEY,
    FAKE_ADMIN_PASSWORD,
    FAKE_S3_ACCESS_KEY,
    FAKE_S3_SECRET_KEY,
    FAKE_BACKUP_KEY,
    FAKE_JCASC_SECRET,
];
// The SSH key's distinctive middle line, in case it is re-wrapped or trimmed.
const NEEDLES = [...KEYS, "FAKESSHKEYFAKESSHKEY"];

/** Paths (dotted) of every string in `value` that contains a key. */
function keyPaths(value: unknown, at = ""): string[] {
    if (typeof value === "string") return NEEDLES.some((k) => value.includes(k)) ? [at] : [];
    if (Array.isArray(value)) return value.flatMap((v, i) => keyPaths(v, `${at}[${i}]`));
    if (value && typeof value === "object") {
        return Object.entries(value).flatMap(([k, v]) => keyPaths(v, at ? `${at}.${k}` : k));
    }
    return [];
}

function coveredBySecret(r: RegisteredResource, p: string): boolean {
    return r.secretPaths.some(
        (s) => s === "" || p === s || p.startsWith(`${s}.`) || p.startsWith(`${s}[`),
    );
}

function withEveryKey(
    mode: "dynamic" | "static",
    prov: "csi" | "in-tree",
    sshHost: boolean,
): StackInput {
    const input = baseStack(mode, prov);
    input.secrets = {
        cephUserKey: FAKE_USER_KEY,
        cephAdminKey: FAKE_ADMIN_KEY,
        "jenkins.adminPassword": FAKE_ADMIN_PASSWORD,
        jenkinsSecrets: JSON.stringify({ LDAP_PASSWORD: FAKE_JCASC_SECRET }),
    };
    if (mode === "static") {
        // Backups: the S3 credentials and the passphrase go into the key's namespace too.
        input.values.backup = {
            s3: { endpoint: "https://s3.example.com", bucket: "jenkins-backups" },
            verifySchedule: "47 4 * * 0",
        };
        Object.assign(input.secrets, {
            backupAccessKey: FAKE_S3_ACCESS_KEY,
            backupSecretKey: FAKE_S3_SECRET_KEY,
            backupEncryptionKey: FAKE_BACKUP_KEY,
        });
    }
    if (mode === "static" && sshHost) {
        input.values.rbdHost = {
            host: "ceph-admin.example.com",
            user: "ceph",
            hostKey: FAKE_HOST_KEY_LINE,
        };
        input.secrets.rbdHostKey = FAKE_SSH_KEY;
    }
    return input;
}

function audit(r: ProgramRun, consoleText: string): void {
    assert.equal(r.error, undefined, r.error?.message);
    let carriers = 0;
    for (const res of r.resources) {
        for (const p of keyPaths(res.inputs)) {
            carriers++;
            assert.ok(
                coveredBySecret(res, p),
                `${res.type} ${res.name} input ${p} holds a key but is not a secret`,
            );
        }
    }
    assert.ok(carriers > 0, "no input carried a key, so the audit proved nothing");
    const rendered = k8s(r)
        .map((x) => YAML.stringify(toManifest(x)))
        .join("---\n");
    const summaries = r.resources
        .filter((x) => x.custom)
        .map(describeOther)
        .join("\n");
    const commands = r.resources
        .filter((x) => x.type.startsWith("command:"))
        .flatMap((x) => [
            x.inputs.create,
            x.inputs.update,
            x.inputs.delete,
            JSON.stringify(x.inputs.environment ?? {}),
        ])
        .join("\n");
    const outputs = JSON.stringify(r.outputs);
    for (const [where, text] of Object.entries({
        rendered,
        summaries,
        commands,
        outputs,
        logs: r.logs.join("\n"),
        console: consoleText,
    })) {
        for (const n of NEEDLES)
            assert.ok(!text.includes(n), `a key appears in plaintext in ${where}`);
    }
}

async function runCapturingConsole(input: StackInput): Promise<[ProgramRun, string]> {
    const lines: string[] = [];
    const orig = { log: console.log, error: console.error, warn: console.warn };
    for (const k of ["log", "error", "warn"] as const) {
        console[k] = (...a: unknown[]) => void lines.push(a.map(String).join(" "));
    }
    try {
        return [await run(input), lines.join("\n")];
    } finally {
        Object.assign(console, orig);
    }
}

describe("secrets audit", () => {
    for (const [mode, prov] of COMBINATIONS) {
        for (const ssh of mode === "static" ? [false, true] : [false]) {
            it(`${mode} x ${prov}${ssh ? " with rbd over SSH" : ""}: keys only as Pulumi secrets`, async () => {
                const [r, text] = await runCapturingConsole(withEveryKey(mode, prov, ssh));
                audit(r, text);
                if (ssh) {
                    const cmd = r.resources.find((x) => x.type === "command:remote:Command")!;
                    assert.ok(
                        keyPaths(cmd.inputs).some((p) => p.startsWith("connection")),
                        "the SSH key reached the connection",
                    );
                }
            });
        }
    }

    for (const stack of listStacks()) {
        it(`shipped stack ${stack}: keys only as Pulumi secrets`, async () => {
            const file = YAML.parse(
                fs.readFileSync(`${PROJECT_ROOT}/Pulumi.${stack}.yaml`, "utf8"),
            ) as { config?: Record<string, unknown> };
            const { config, secretKeys } = configFromStackFile(
                "jenkins-ceph",
                file.config ?? {},
                () => FAKE_USER_KEY,
            );
            assert.equal(
                secretKeys.length,
                0,
                "a shipped stack file must not hold keys, even encrypted",
            );
            // The user adds the keys with `pulumi config set --secret`.
            config["jenkins-ceph:cephUserKey"] = FAKE_USER_KEY;
            config["jenkins-ceph:cephAdminKey"] = FAKE_ADMIN_KEY;
            const r = await runProgram({
                stack,
                config,
                secretKeys: ["jenkins-ceph:cephUserKey", "jenkins-ceph:cephAdminKey"],
            });
            audit(r, "");
        });
    }

    it("the audit catches a key that is not a secret", async () => {
        const r = await run(withEveryKey("static", "csi", false));
        const leaky = {
            ...r,
            resources: r.resources.map((x) => ({ ...x, secretPaths: [] as string[] })),
        };
        assert.throws(() => audit(leaky, ""), /holds a key but is not a secret/);
        assert.throws(() => audit(r, `oops ${FAKE_USER_KEY}`), /plaintext in console/);
    });
});
