// The POSIX sh program RbdImage runs, locally or over SSH. The command provider's
// commands stay one short line (`sh -s ensure`, `sh -s delete`): the provider quotes the
// whole command in every error, so a script there would bury rbd's one useful sentence.
// The program itself, with the Ceph key in a here-document, travels on standard input
// (a Pulumi secret), which reaches the host over SSH as well. Parameters are inlined
// (validated names and numbers only); the key lives only in a 0600 file inside a
// private temp dir that is always removed, so it is never in argv, the environment or
// the command's output.

/**
 * The names its user knows the rbd program's settings by, for its messages: the caller's
 * words. A component speaks of its own fields (SETTINGS_WORDS); a stack hands its config
 * keys (settings/words.ts), the CLIs likewise.
 */
export interface RbdWords {
    size: string;
    startEmpty: string;
    userKey: string;
    rbdHost: string;
    keep: string;
    deleteOnDestroy: string;
}

/** The JenkinsOnCeph settings' own paths (docs/settings.md). */
export const SETTINGS_WORDS: RbdWords = {
    size: "volume.size",
    startEmpty: "volume.startEmpty",
    userKey: "cephUserKey",
    rbdHost: "rbdHost",
    keep: "volume.snapshots.keep",
    deleteOnDestroy: "volume.deleteImageOnDestroy",
};

/** How rbd reaches Ceph: the monitors, the client id, the bound of each operation. */
export interface RbdClient {
    /** How messages name the settings; default SETTINGS_WORDS. */
    words?: RbdWords;
    monitors: string[];
    userId: string;
    /** Bound for connecting to the monitors and for each OSD operation, in seconds. */
    timeoutSeconds: number;
}

export interface RbdScriptParams extends RbdClient {
    pool: string;
    image: string;
    sizeMiB: bigint;
    /** Comma-separated rbd image features, e.g. "layering". */
    features: string;
    /**
     * The `remove` step may delete the image. Only the program's delete hook runs that
     * step, with the settings of the run that deletes (components/rbdImage.ts); the
     * provider's stored `delete` step never deletes anything, whatever this says.
     */
    deleteOnDestroy: boolean;
    /**
     * The image must already exist: `ensure` adopts or grows it, and refuses to create an
     * empty one in place of the home the stack had (volume.image renamed).
     */
    adoptOnly?: boolean;
}

/** The snapshot step: what Jenkins will run on, by area, and how many snapshots to keep. */
export interface SnapshotParams extends RbdClient {
    pool: string;
    image: string;
    /** sha256 per area whose change restarts Jenkins on different software. */
    fingerprints: { image: string; plugins: string; javaopts: string; casc: string };
    keep: number;
    /**
     * The `purge` step may remove this program's snapshots (the image is going: they would
     * block it). Like deleteOnDestroy, only the delete hook runs that step.
     */
    purgeOnDelete: boolean;
    /** The restore step only: the snapshot to roll the image back to. */
    restore?: string;
    /**
     * The inspect step only: what to read beside the image's info and this program's
     * snapshots (each is one more rbd call); default both.
     */
    inspect?: { watchers: boolean; meta: boolean };
}

/** The prefix of every snapshot this program makes. */
export const SNAPSHOT_PREFIX = "jenkins-ceph-";
/**
 * The whole name of a snapshot this program makes (an ERE, unanchored): the prefix, a UTC
 * timestamp and why it was taken. It never touches a snapshot of any other name, even one
 * that starts with the prefix.
 */
export const SNAPSHOT_PATTERN = `${SNAPSHOT_PREFIX}[0-9]{8}T[0-9]{6}Z-[a-z]+(-[a-z]+)*`;

const SAFE = /^[A-Za-z0-9_.,:[\]-]*$/;

function quote(v: string): string {
    if (!SAFE.test(v)) throw new Error(`rbd script: unsafe value ${JSON.stringify(v)}`);
    return `'${v}'`;
}

function header(p: RbdScriptParams | SnapshotParams): string {
    const image = "sizeMiB" in p;
    const fp = "fingerprints" in p ? p.fingerprints : undefined;
    const w = p.words ?? SETTINGS_WORDS;
    return `unset CEPH_ARGS CEPH_KEYRING CEPH_CONF
W_SIZE=${quote(w.size)}
W_START_EMPTY=${quote(w.startEmpty)}
W_USER_KEY=${quote(w.userKey)}
W_RBD_HOST=${quote(w.rbdHost)}
W_KEEP=${quote(w.keep)}
W_DELETE=${quote(w.deleteOnDestroy)}
RBD_POOL=${quote(p.pool)}
RBD_IMAGE=${quote(p.image)}
RBD_SIZE_MIB=${image ? p.sizeMiB.toString() : "0"}
RBD_FEATURES=${quote(image ? p.features : "")}
RBD_MONITORS=${quote(p.monitors.join(","))}
RBD_USER=${quote(p.userId)}
RBD_TIMEOUT=${Math.floor(p.timeoutSeconds)}
RBD_DELETE=${(image ? p.deleteOnDestroy : p.purgeOnDelete) ? "true" : "false"}
RBD_ADOPT_ONLY=${image && p.adoptOnly ? "true" : "false"}
SNAP_KEEP=${"keep" in p ? Math.floor(p.keep) : 0}
SNAP_PREFIX=${quote(SNAPSHOT_PREFIX)}
FP_IMAGE=${quote(fp?.image ?? "")}
FP_PLUGINS=${quote(fp?.plugins ?? "")}
FP_JAVAOPTS=${quote(fp?.javaopts ?? "")}
FP_CASC=${quote(fp?.casc ?? "")}
RESTORE_SNAP=${quote("restore" in p && p.restore ? p.restore : "")}
INSPECT_STATUS=${"inspect" in p && p.inspect?.watchers === false ? "false" : "true"}
INSPECT_META=${"inspect" in p && p.inspect?.meta === false ? "false" : "true"}
say() { printf 'rbd image %s/%s: %s\\n' "$RBD_POOL" "$RBD_IMAGE" "$*"; }
die() { printf 'rbd image %s/%s: %s\\n' "$RBD_POOL" "$RBD_IMAGE" "$*" >&2; exit 1; }
`;
}

// Writes the key into a private file; defines rbdc (bounded rbd) and explain.
const CLIENT = `command -v rbd >/dev/null 2>&1 || die "rbd is not installed on $(hostname): install ceph-common there, or set $W_RBD_HOST to a host that has it"
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
    13) die "$what failed: authentication refused for client.$RBD_USER (wrong key in $W_USER_KEY, or unknown user) [rbd exit 13]" ;;
    22) die "$what failed: the key in $W_USER_KEY is not a usable cephx key [rbd exit 22]" ;;
    110|124) die "$what failed: no answer from the monitors $RBD_MONITORS within \${RBD_TIMEOUT}s (are they up and reachable from $(hostname)? a plain host:port on a port other than 3300/6789 also hides a refused key behind this timeout: write v1:host:port or v2:host:port) [rbd exit $rc]" ;;
    1) case $err in *"couldn't connect to the cluster"*)
        die "$what failed: client.$RBD_USER could not authenticate (the key in $W_USER_KEY was refused) [rbd exit 1]" ;;
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
        die "exists with $have MiB, more than the requested $RBD_SIZE_MIB MiB; refusing to shrink it (that would cut off data). Set $W_SIZE to at least \${have}Mi"
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
       [ "$RBD_ADOPT_ONLY" = true ] &&
           die "does not exist, and Jenkins' home was another image: refusing to start Jenkins on a new empty image. Name an image that exists (adoption), bring the data back with npm run restore, or set $W_START_EMPTY to true to begin anew"
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

/**
 * This program's snapshots of the image, oldest first (the names carry a UTC timestamp),
 * one per line; nothing when the image is gone. Needs CLIENT.
 *
 * Every name Ceph returns is data: a snapshot is this program's only when its whole name
 * matches SNAPSHOT_PATTERN, read from rbd's JSON as one `"name":"..."` token (an escaped
 * quote inside a user's name cannot form one). Other snapshots are never listed, so no
 * step can remove them, and each name is passed to rbd as one quoted argument.
 */
const SNAP_LIST = `snap_list() {
    rbdc snap ls --format json "$RBD_POOL/$RBD_IMAGE" > "$tmp/snaps" || {
        rc=$?
        [ "$rc" -eq 2 ] && return 0
        explain $rc "snap ls"
    }
    grep -oE '"name":"${SNAPSHOT_PATTERN}"' "$tmp/snaps" | sed 's/^"name":"//; s/"$//' | LC_ALL=C sort || true
}
purge_snaps() {
    snap_list > "$tmp/purge"
    while IFS= read -r s; do
        rbdc snap rm --no-progress "$RBD_POOL/$RBD_IMAGE@$s" </dev/null || explain $? "snap rm $s"
        say "removed snapshot $s"
    done < "$tmp/purge"
}
`;

/**
 * A snapshot when what Jenkins runs on changed since the last one (the image keeps the
 * last fingerprints as image-meta jenkins-ceph.*), then retention: the newest SNAP_KEEP
 * of this program's snapshots stay; one with clones or protection is kept and said so.
 * Prints each remaining snapshot as "snapshot: NAME" for the stack's output.
 */
const SNAPSHOT = `rbd_snapshot() {
${CLIENT}${SNAP_LIST}
rbdc image-meta list --format json "$RBD_POOL/$RBD_IMAGE" > "$tmp/meta" || explain $? "image-meta list"
reason=""
for kv in "image=$FP_IMAGE" "plugins=$FP_PLUGINS" "javaopts=$FP_JAVAOPTS" "casc=$FP_CASC"; do
    k=\${kv%%=*}
    v=\${kv#*=}
    old=$(sed -n "s/.*\\"jenkins-ceph\\.$k\\": *\\"\\([^\\"]*\\)\\".*/\\1/p" "$tmp/meta")
    [ "$old" = "$v" ] || reason="$reason\${reason:+-}$k"
done
grep -q '"jenkins-ceph\\.' "$tmp/meta" || reason=initial
if [ -z "$reason" ]; then
    say "nothing Jenkins runs on changed since the last snapshot; none taken"
else
    name="$SNAP_PREFIX$(date -u +%Y%m%dT%H%M%SZ)-$reason"
    rbdc snap create "$RBD_POOL/$RBD_IMAGE@$name" || explain $? "snap create"
    for kv in "image=$FP_IMAGE" "plugins=$FP_PLUGINS" "javaopts=$FP_JAVAOPTS" "casc=$FP_CASC"; do
        rbdc image-meta set "$RBD_POOL/$RBD_IMAGE" "jenkins-ceph.\${kv%%=*}" "\${kv#*=}" || explain $? "image-meta set"
    done
    say "snapshot $name taken before Jenkins restarts ($reason)"
fi
snap_list > "$tmp/own"
excess=$(( $(grep -c . "$tmp/own") - SNAP_KEEP ))
if [ "$excess" -gt 0 ]; then
    head -n "$excess" "$tmp/own" > "$tmp/prune"
    while IFS= read -r s; do
        if rbdc children "$RBD_POOL/$RBD_IMAGE@$s" > "$tmp/children" </dev/null && [ -s "$tmp/children" ]; then
            say "kept snapshot $s beyond $W_KEEP: it has clones ($(tr '\\n' ' ' < "$tmp/children")); flatten or remove them to let it go"
        elif rbdc snap rm --no-progress "$RBD_POOL/$RBD_IMAGE@$s" </dev/null; then
            say "pruned snapshot $s ($W_KEEP is $SNAP_KEEP)"
        else
            rc=$?
            case $rc in
            16) say "kept snapshot $s beyond $W_KEEP: it is protected (rbd snap unprotect it to let it go)" ;;
            *) explain $rc "snap rm $s" ;;
            esac
        fi
    done < "$tmp/prune"
fi
snap_list | sed 's/^/snapshot: /'
}
rbd_list() {
${CLIENT}${SNAP_LIST}
snap_list | sed 's/^/snapshot: /'
}
rbd_restore() {
${CLIENT}${SNAP_LIST}
[ -n "$RESTORE_SNAP" ] || die "no snapshot named to restore"
snap_list | grep -qxF "$RESTORE_SNAP" ||
    die "has no snapshot $RESTORE_SNAP made by this program; nothing was changed (its snapshots: $(snap_list | tr '\\n' ' '))"
rbdc status --format json "$RBD_POOL/$RBD_IMAGE" > "$tmp/status" || explain $? "status"
if grep -q '"address"' "$tmp/status"; then
    die "is still open by a client (watchers: $(grep -o '"address":"[^"]*"' "$tmp/status" | tr '\\n' ' ')): the Jenkins pod, or a node that has not unmapped it yet, still holds the volume; nothing was changed"
fi
safety="$SNAP_PREFIX$(date -u +%Y%m%dT%H%M%SZ)-pre-restore"
rbdc snap create "$RBD_POOL/$RBD_IMAGE@$safety" || explain $? "snap create"
say "snapshot $safety taken: the state before this restore, to undo it"
rbdc snap rollback --no-progress "$RBD_POOL/$RBD_IMAGE@$RESTORE_SNAP" || explain $? "snap rollback"
say "rolled back to snapshot $RESTORE_SNAP"
}
# Read-only facts for the preview and the takeover (components/rbd/imageFacts.ts): whether
# the image exists, rbd's own info (size, features; its id proves identity across renames),
# its watchers (who has it open), this program's snapshots and its image-meta (the
# fingerprints of the last snapshot), one "key: value" line each.
rbd_inspect() {
${CLIENT}${SNAP_LIST}
if rbdc info --format json "$RBD_POOL/$RBD_IMAGE" > "$tmp/info"; then
    :
else
    rc=$?
    case $rc in
    2) case $(cat "$tmp/err") in *"opening pool"*) explain 2 "info" ;; esac
       printf 'exists: no\\n'
       exit 0 ;;
    *) explain $rc "info" ;;
    esac
fi
printf 'info: %s\\n' "$(tr -d '\\n' < "$tmp/info")"
if [ "$INSPECT_STATUS" = true ]; then
    rbdc status --format json "$RBD_POOL/$RBD_IMAGE" > "$tmp/status" || explain $? "status"
    printf 'status: %s\\n' "$(tr -d '\\n' < "$tmp/status")"
fi
if [ "$INSPECT_META" = true ]; then
    rbdc image-meta list --format json "$RBD_POOL/$RBD_IMAGE" > "$tmp/meta" || explain $? "image-meta list"
    # rbd prints nothing at all for an image without metadata.
    [ -s "$tmp/meta" ] || printf '{}' > "$tmp/meta"
    printf 'meta: %s\\n' "$(tr -d '\\n' < "$tmp/meta")"
fi
snap_list | sed 's/^/snapshot: /'
}
# The provider's stored delete step of the snapshot command: it never removes a snapshot.
# It runs with the settings of the run that last updated the step, which may be the past
# (snapshots turned off, an image renamed): only the purge step, which the program's delete
# hook runs with the current settings, removes anything.
rbd_keep_snaps() {
command -v rbd >/dev/null 2>&1 || { say "this program's snapshots stay with the image"; exit 0; }
${CLIENT}${SNAP_LIST}
( snap_list ) > "$tmp/kept" 2>/dev/null || { say "this program's snapshots stay with the image (Ceph could not be asked just now)"; exit 0; }
[ -s "$tmp/kept" ] || exit 0
say "kept $(grep -c . "$tmp/kept") snapshot(s) of this program with the image; remove one by hand with: rbd snap rm $RBD_POOL/$RBD_IMAGE@NAME (they are: $(tr '\\n' ' ' < "$tmp/kept"))"
}
rbd_purge() {
[ "$RBD_DELETE" = true ] || die "purge is not asked for by the current settings; nothing was removed"
${CLIENT}${SNAP_LIST}
purge_snaps
}
`;

/**
 * The provider's stored delete step of the image command: it never deletes. The command
 * provider runs the delete script stored with the last update, so whatever it did would
 * follow the settings of the past (a renamed image, a switch to dynamic mode). The image
 * is removed only by the remove step, which the program's delete hook runs during
 * `pulumi destroy --run-program` when the current settings ask for it (rbdImage.ts).
 */
const DELETE = `rbd_keep() {
command -v rbd >/dev/null 2>&1 || { say "left in place with its data; remove it by hand with: rbd snap purge $RBD_POOL/$RBD_IMAGE && rbd rm $RBD_POOL/$RBD_IMAGE"; exit 0; }
${CLIENT}
if rbdc info --format json "$RBD_POOL/$RBD_IMAGE" > "$tmp/info"; then
    say "left in place with its data; remove it by hand with: rbd snap purge $RBD_POOL/$RBD_IMAGE && rbd rm $RBD_POOL/$RBD_IMAGE"
elif [ $? -eq 2 ] && ! grep -q "opening pool" "$tmp/err"; then
    say "is gone (removed by $W_DELETE, or by hand)"
else
    say "left in place with its data (Ceph could not be asked just now); remove it by hand with: rbd snap purge $RBD_POOL/$RBD_IMAGE && rbd rm $RBD_POOL/$RBD_IMAGE"
fi
}
rbd_remove() {
[ "$RBD_DELETE" = true ] || die "removal is not asked for by the current settings; nothing was removed"
${CLIENT}${SNAP_LIST}
# This program's snapshots would block the removal; any other snapshot still does.
purge_snaps
if rbdc rm --no-progress "$RBD_POOL/$RBD_IMAGE"; then
    say "removed ($W_DELETE is true)"
else
    rc=$?
    case $rc in
    2) case $(cat "$tmp/err") in *"opening pool"*) explain 2 "rm" ;; esac
       say "already gone" ;;
    39) die "has snapshots this program did not make, so it was kept with its data; remove them (rbd snap ls $RBD_POOL/$RBD_IMAGE) and run the destroy again [rbd exit 39]" ;;
    *) explain $rc "rm" ;;
    esac
fi
}
`;

/** The commands the provider runs; each reads the program below from standard input. */
export const RBD_COMMANDS = {
    create: "sh -s ensure",
    update: "sh -s ensure",
    delete: "sh -s keep",
} as const;

/** The snapshot step's commands. */
export const SNAPSHOT_COMMANDS = {
    create: "sh -s snapshot",
    update: "sh -s snapshot",
    delete: "sh -s keep-snapshots",
} as const;

/** The steps only the program's delete hooks run, with the settings of that run. */
export const REMOVAL_STEPS = { image: "remove", snapshots: "purge" } as const;

const KEY_END = "RBD_KEY_END";

/**
 * The whole program for standard input: parameters, the key, both steps, then one call.
 * sh parses a function body whole before running it, and the call takes /dev/null as
 * its input, so no rbd child can read the rest of the program.
 */
export function rbdProgram(p: RbdScriptParams | SnapshotParams, key: string): string {
    const k = key.trim();
    // A validated cephx key is base64; refuse anything that could end the here-document.
    if (!/^[A-Za-z0-9+/=]*$/.test(k)) throw new Error("rbd program: the key is not base64");
    return `set -u
${header(p)}rbd_key() {
cat <<'${KEY_END}'
${k}
${KEY_END}
}
${ENSURE}${DELETE}${SNAPSHOT}case \${1:-} in
ensure) rbd_ensure </dev/null ;;
keep) rbd_keep </dev/null ;;
remove) rbd_remove </dev/null ;;
snapshot) rbd_snapshot </dev/null ;;
keep-snapshots) rbd_keep_snaps </dev/null ;;
purge) rbd_purge </dev/null ;;
restore) rbd_restore </dev/null ;;
list) rbd_list </dev/null ;;
inspect) rbd_inspect </dev/null ;;
*) die "unknown step '\${1:-}' (expected ensure, keep, remove, snapshot, keep-snapshots, purge, restore, list or inspect)" ;;
esac
`;
}

/**
 * A parameter of the header of an rbd program as rbdProgram wrote it (RBD_POOL, SNAP_KEEP):
 * the one reader of that header, for the offline render. Undefined when it is empty.
 */
export function rbdParameter(program: string, name: string): string | undefined {
    const m = new RegExp(`^${name}='?([^'\\n]*)'?$`, "m").exec(program);
    return m && m[1] !== "" ? m[1] : undefined;
}
