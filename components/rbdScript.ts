// The POSIX sh program RbdImage runs, locally or over SSH. The command provider's
// commands stay one short line (`sh -s ensure`, `sh -s delete`): the provider quotes the
// whole command in every error, so a script there would bury rbd's one useful sentence.
// The program itself, with the Ceph key in a here-document, travels on standard input
// (a Pulumi secret), which reaches the host over SSH as well. Parameters are inlined
// (validated names and numbers only); the key lives only in a 0600 file inside a
// private temp dir that is always removed, so it is never in argv, the environment or
// the command's output.

export interface RbdScriptParams {
    pool: string;
    image: string;
    sizeMiB: bigint;
    /** Comma-separated rbd image features, e.g. "layering". */
    features: string;
    monitors: string[];
    userId: string;
    /** Bound for connecting to the monitors and for each OSD operation, in seconds. */
    timeoutSeconds: number;
    deleteOnDestroy: boolean;
}

const SAFE = /^[A-Za-z0-9_.,:[\]-]*$/;

function quote(v: string): string {
    if (!SAFE.test(v)) throw new Error(`rbd script: unsafe value ${JSON.stringify(v)}`);
    return `'${v}'`;
}

function header(p: RbdScriptParams): string {
    return `unset CEPH_ARGS CEPH_KEYRING CEPH_CONF
RBD_POOL=${quote(p.pool)}
RBD_IMAGE=${quote(p.image)}
RBD_SIZE_MIB=${p.sizeMiB.toString()}
RBD_FEATURES=${quote(p.features)}
RBD_MONITORS=${quote(p.monitors.join(","))}
RBD_USER=${quote(p.userId)}
RBD_TIMEOUT=${Math.floor(p.timeoutSeconds)}
RBD_DELETE=${p.deleteOnDestroy ? "true" : "false"}
say() { printf 'rbd image %s/%s: %s\\n' "$RBD_POOL" "$RBD_IMAGE" "$*"; }
die() { printf 'rbd image %s/%s: %s\\n' "$RBD_POOL" "$RBD_IMAGE" "$*" >&2; exit 1; }
`;
}

// Writes the key into a private file; defines rbdc (bounded rbd) and explain.
const CLIENT = `command -v rbd >/dev/null 2>&1 || die "rbd is not installed on $(hostname): install ceph-common there, or set jenkins-ceph:rbdHost to a host that has it"
umask 077
tmp=$(mktemp -d "\${TMPDIR:-/tmp}/rbd-image.XXXXXX") || die "cannot create a private temp directory"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' HUP INT TERM
rbd_key > "$tmp/key"
[ -s "$tmp/key" ] || die "no Ceph key was given"
if command -v timeout >/dev/null 2>&1; then bound="timeout $((RBD_TIMEOUT * 3 + 10))"; else bound=""; fi
rbdc() {
    $bound rbd -c /dev/null -m "$RBD_MONITORS" --id "$RBD_USER" --keyfile "$tmp/key" \\
        --client-mount-timeout "$RBD_TIMEOUT" --rados-mon-op-timeout "$RBD_TIMEOUT" \\
        --rados-osd-op-timeout "$RBD_TIMEOUT" "$@" 2>"$tmp/err"
}
explain() {
    rc=$1
    what=$2
    if grep -qE "failed to decode key|keyring not found" "$tmp/err"; then rc=22; fi
    # rbd echoes an undecodable key in its errors: drop every line that holds the key.
    err=$(grep -vF -f "$tmp/key" "$tmp/err" | tr '\\n' ' ')
    case $rc in
    13) die "$what failed: authentication refused for client.$RBD_USER (wrong key in jenkins-ceph:cephUserKey, or unknown user) [rbd exit 13]" ;;
    22) die "$what failed: the key in jenkins-ceph:cephUserKey is not a usable cephx key [rbd exit 22]" ;;
    110|124) die "$what failed: no answer from the monitors $RBD_MONITORS within \${RBD_TIMEOUT}s (are they up and reachable from $(hostname)? a plain host:port on a port other than 3300/6789 also hides a refused key behind this timeout: write v1:host:port or v2:host:port) [rbd exit $rc]" ;;
    1) case $err in *"couldn't connect to the cluster"*)
        die "$what failed: client.$RBD_USER could not authenticate (the key in jenkins-ceph:cephUserKey was refused) [rbd exit 1]" ;;
       esac
       die "$what failed: permission denied; client.$RBD_USER needs the caps ceph-csi documents for an rbd user: ceph auth get-or-create client.$RBD_USER mon 'profile rbd' osd 'profile rbd pool=$RBD_POOL' mgr 'profile rbd pool=$RBD_POOL' (for an existing user: ceph auth caps with the same caps) [rbd exit 1] $err" ;;
    2) case $err in
        *"opening pool"*) die "$what failed: pool '$RBD_POOL' does not exist (create it: ceph osd pool create $RBD_POOL; rbd pool init $RBD_POOL) [rbd exit 2]" ;;
        *) die "$what failed: $err [rbd exit 2]" ;;
       esac ;;
    *) die "$what failed: $err [rbd exit $rc]" ;;
    esac
}
`;

/** Create, adopt or grow the image; never shrink it. Used for both create and update. */
const ENSURE = `rbd_ensure() {
${CLIENT}
want=$((RBD_SIZE_MIB * 1048576))
if rbdc info --format json "$RBD_POOL/$RBD_IMAGE" > "$tmp/info"; then
    bytes=$(sed -n 's/.*"size":\\([0-9][0-9]*\\).*/\\1/p' "$tmp/info")
    [ -n "$bytes" ] || die "cannot read the image size from rbd info"
    have=$((bytes / 1048576))
    if [ "$bytes" -gt "$want" ]; then
        die "exists with $have MiB, more than the requested $RBD_SIZE_MIB MiB; refusing to shrink it (that would cut off data). Set jenkins-ceph:volume.size to at least \${have}Mi"
    elif [ "$bytes" -lt "$want" ]; then
        rbdc resize --no-progress --size "\${RBD_SIZE_MIB}M" "$RBD_POOL/$RBD_IMAGE" || explain $? "resize"
        say "grown from $have MiB to $RBD_SIZE_MIB MiB"
    else
        say "exists with $have MiB; adopted unchanged"
    fi
else
    rc=$?
    case $rc in
    2) case $(cat "$tmp/err") in *"opening pool"*) explain 2 "info" ;; esac
       features=""
       for f in $(printf '%s' "$RBD_FEATURES" | tr ',' ' '); do features="$features --image-feature $f"; done
       # shellcheck disable=SC2086
       rbdc create --image-format 2 $features --size "\${RBD_SIZE_MIB}M" "$RBD_POOL/$RBD_IMAGE" || explain $? "create"
       say "created with $RBD_SIZE_MIB MiB (features $RBD_FEATURES)" ;;
    *) explain $rc "info" ;;
    esac
fi
}
`;

/** Destroy leaves the image unless the stack asked for deletion. */
const DELETE = `rbd_delete() {
if [ "$RBD_DELETE" != true ]; then
    say "left in place with its data (volume.deleteImageOnDestroy is false); remove it by hand with: rbd rm $RBD_POOL/$RBD_IMAGE"
    exit 0
fi
${CLIENT}
if rbdc rm --no-progress "$RBD_POOL/$RBD_IMAGE"; then
    say "removed (volume.deleteImageOnDestroy is true)"
else
    rc=$?
    case $rc in
    2) case $(cat "$tmp/err") in *"opening pool"*) explain 2 "rm" ;; esac
       say "already gone" ;;
    *) explain $rc "rm" ;;
    esac
fi
}
`;

/** The commands the provider runs; each reads the program below from standard input. */
export const RBD_COMMANDS = {
    create: "sh -s ensure",
    update: "sh -s ensure",
    delete: "sh -s delete",
} as const;

const KEY_END = "RBD_KEY_END";

/**
 * The whole program for standard input: parameters, the key, both steps, then one call.
 * sh parses a function body whole before running it, and the call takes /dev/null as
 * its input, so no rbd child can read the rest of the program.
 */
export function rbdProgram(p: RbdScriptParams, key: string): string {
    const k = key.trim();
    // A validated cephx key is base64; refuse anything that could end the here-document.
    if (!/^[A-Za-z0-9+/=]*$/.test(k)) throw new Error("rbd program: the key is not base64");
    return `set -u
${header(p)}rbd_key() {
cat <<'${KEY_END}'
${k}
${KEY_END}
}
${ENSURE}${DELETE}case \${1:-} in
ensure) rbd_ensure </dev/null ;;
delete) rbd_delete </dev/null ;;
*) die "unknown step '\${1:-}' (expected ensure or delete)" ;;
esac
`;
}
