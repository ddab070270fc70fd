// The combinations the e2e suite runs: mode x provisioner, with the names each stack's
// objects get, on the local world or on a user's cluster (JENKINS_CEPH_E2E_CONFIG).
import * as fs from "fs";
import * as YAML from "yaml";

export const PROJECT = "jenkins-ceph";
export const USER_CONFIG = process.env.JENKINS_CEPH_E2E_CONFIG;
export interface Combo {
    mode: "static" | "dynamic";
    provisioner: "csi" | "in-tree";
    /** rbd runs on a host over SSH (remote.Command) instead of locally. */
    remote: boolean;
    /** false: the suite can only preview this combination here (whyPreviewOnly says why). */
    canRun: boolean;
    whyPreviewOnly?: string;
    deleteImageOnDestroy: boolean;
    short: string;
    namespace: string;
    claimName: string;
    /** The static image's name (dynamic images are named by the provisioner). */
    image: string;
    commandType: string;
}

function combo(
    mode: Combo["mode"],
    provisioner: Combo["provisioner"],
    extra: Partial<Combo> = {},
): Combo {
    const short = `${mode === "static" ? "st" : "dy"}-${provisioner === "csi" ? "csi" : "it"}`;
    const remote = extra.remote ?? false;
    return {
        mode,
        provisioner,
        remote,
        canRun: true,
        deleteImageOnDestroy: false,
        short,
        namespace: `e2e-${short}`,
        claimName: "jenkins",
        image: `img-${short}`,
        commandType: remote ? "command:remote:Command" : "command:local:Command",
        ...extra,
    };
}

export function userStackFile(): Record<string, unknown> {
    const file = YAML.parse(fs.readFileSync(USER_CONFIG!, "utf8")) as {
        config: Record<string, unknown>;
    };
    return file.config;
}

export function plannedCombos(): Combo[] {
    if (USER_CONFIG) {
        const c = userStackFile();
        const ceph = (c[`${PROJECT}:ceph`] ?? {}) as { provisioner?: Combo["provisioner"] };
        const mode = c[`${PROJECT}:mode`] as Combo["mode"];
        return [combo(mode, ceph.provisioner ?? "csi", { short: "user" })];
    }
    return [
        combo("static", "csi"),
        // rbd over SSH, and the one stack whose destroy deletes the image.
        combo("static", "in-tree", { remote: true, deleteImageOnDestroy: true }),
        combo("dynamic", "in-tree"),
        combo("dynamic", "csi", {
            canRun: false,
            whyPreviewOnly:
                "no ceph-csi driver can run here (no kubelet, no container images), so its claim could never bind",
        }),
    ];
}

/** Stacks a previous release deployed, upgraded in place (names apart from the rest). */
export function upgradeCombos(): Combo[] {
    if (USER_CONFIG) return [];
    const up = (mode: Combo["mode"], provisioner: Combo["provisioner"]) => {
        const short = `up-${mode === "static" ? "st" : "dy"}-${provisioner === "csi" ? "csi" : "it"}`;
        return combo(mode, provisioner, {
            short,
            namespace: `e2e-${short}`,
            image: `img-${short}`,
        });
    };
    return [up("dynamic", "in-tree"), up("static", "csi")];
}

/**
 * A stack of its own for a test that changes the cluster beyond it (a driver, a class,
 * a password, an image's content): namespace e2e-SHORT, image img-SHORT. Local world
 * only; undefined on a user's cluster.
 */
export function localCombo(
    mode: Combo["mode"],
    provisioner: Combo["provisioner"],
    short: string,
    extra: Partial<Combo> = {},
): Combo | undefined {
    if (USER_CONFIG) return undefined;
    return combo(mode, provisioner, {
        short,
        namespace: `e2e-${short}`,
        image: `img-${short}`,
        ...extra,
    });
}

/** Static stacks that take over the seed's installation (in-tree, then csi); local world only. */
export function takeoverCombos(): Combo[] {
    if (USER_CONFIG) return [];
    return [
        combo("static", "in-tree", {
            short: "take-it",
            namespace: "ci-infra",
            image: "jenkins",
        }),
        combo("static", "csi", {
            short: "take-csi",
            namespace: "ci-infra-csi",
            image: "jenkins-csi",
        }),
    ];
}
