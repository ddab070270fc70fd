#!/usr/bin/env bash
# A throwaway single-node Ceph cluster on 127.0.0.1 for the tests (shared/CEPH-FIXTURE.md beside this repository has the measurements):
# one mon, one memstore OSD, cephx on, pool `kubes`, user client.kube with rbd caps.
# Everything lives in DIR; nothing touches /etc/ceph or /var/lib/ceph.
#
#   cluster.sh start DIR V2PORT V1PORT   -> prints KEY=<client.kube key> when ready
#   cluster.sh stop DIR                  -> stops every daemon started from DIR
#   cluster.sh stop-mon DIR | start-mon DIR
#   cluster.sh rotate-user-key DIR       -> prints KEY=<client.kube's new key>
#   cluster.sh start-rgw DIR PORT BUCKET -> Ceph's RADOS Gateway, an S3 endpoint on
#                                           127.0.0.1:PORT with BUCKET made; prints
#                                           ACCESS=<key id> and SECRET=<secret key>
set -euo pipefail

cmd=$1
dir=$2
conf="$dir/ceph.conf"
T=20

admin() { timeout $((T + 10)) ceph -c "$conf" --connect-timeout "$T" "$@"; }

# pids of our daemons: only processes whose command line names our conf.
pids_of() {
    local name=$1
    for pidfile in "$dir"/run/"$name"*.pid; do
        [ -f "$pidfile" ] || continue
        local pid
        pid=$(cat "$pidfile")
        if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -qF -- "$conf"; then
            echo "$pid"
        fi
    done
}

stop_daemon() {
    local name=$1 pid
    for pid in $(pids_of "$name"); do
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
    done
}

# The whole throwaway cluster at once: memstore keeps nothing worth a clean shutdown, and
# a terminated OSD and mon took 4-6 s to exit one after the other.
kill_all() {
    local pids
    pids=$(pids_of client.rgw; pids_of osd; pids_of mon)
    [ -n "$pids" ] || return 0
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null || true
    for _ in $(seq 1 50); do
        local alive=0 pid
        for pid in $pids; do kill -0 "$pid" 2>/dev/null && alive=1; done
        [ $alive = 0 ] && return 0
        sleep 0.1
    done
}

start_mon() {
    ceph-mon -c "$conf" -i a
    for _ in $(seq 1 100); do
        if admin mon stat >/dev/null 2>&1; then return 0; fi
        sleep 0.2
    done
    echo "mon did not come up; log:" >&2
    tail -20 "$dir/log/mon.a.log" >&2 || true
    return 1
}

case $cmd in
start)
    v2=$3
    v1=$4
    mkdir -p "$dir"/{run,log,mon,osd}
    fsid=$(cat /proc/sys/kernel/random/uuid)
    cat > "$conf" <<EOF
[global]
fsid = $fsid
mon host = [v2:127.0.0.1:$v2,v1:127.0.0.1:$v1]
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind ipv6 = false
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
auth allow insecure global id reclaim = false
osd objectstore = memstore
memstore device bytes = 2147483648
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
mon allow pool size one = true
mon warn on pool no redundancy = false
mon allow pool delete = true
osd crush chooseleaf type = 0
osd min pg log entries = 100
osd max pg log entries = 500
osd pg log dups tracked = 500
run dir = $dir/run
pid file = $dir/run/\$name.pid
log file = $dir/log/\$name.log
admin socket = $dir/run/\$name.asok
[mon]
mon data = $dir/mon
keyring = $dir/mon.keyring
# One monitor: nothing to batch proposals for. The default waits up to 1 s per change of
# the OSD map, which every snapshot create and remove is (self-managed snapshot ids).
paxos propose interval = 0.05
paxos min wait = 0.01
[osd]
osd data = $dir/osd
keyring = $dir/osd/keyring
[client]
keyring = $dir/admin.keyring
admin socket =
log file = /dev/null
EOF
    ceph-authtool --create-keyring "$dir/mon.keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
    ceph-authtool --create-keyring "$dir/admin.keyring" --gen-key -n client.admin \
        --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' >/dev/null
    ceph-authtool "$dir/mon.keyring" --import-keyring "$dir/admin.keyring" >/dev/null
    monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$v2,v1:127.0.0.1:$v1]" "$dir/monmap" >/dev/null
    ceph-mon -c "$conf" --mkfs -i a --monmap "$dir/monmap" --keyring "$dir/mon.keyring"
    start_mon

    uuid=$(cat /proc/sys/kernel/random/uuid)
    secret=$(ceph-authtool --gen-print-key)
    printf '{"cephx_secret": "%s"}' "$secret" > "$dir/osd.json"
    id=$(admin osd new "$uuid" -i "$dir/osd.json")
    rm -f "$dir/osd.json"
    # ceph-osd --mkfs --key does not write the keyring file itself (a known gotcha: write it by hand).
    printf '[osd.%s]\n\tkey = %s\n' "$id" "$secret" > "$dir/osd/keyring"
    ceph-osd -c "$conf" -i "$id" --mkfs --key "$secret" --osd-uuid "$uuid" >/dev/null 2>&1
    ceph-osd -c "$conf" -i "$id"
    for _ in $(seq 1 150); do
        if admin osd stat 2>/dev/null | grep -q "1 up"; then break; fi
        sleep 0.2
    done
    admin osd stat | grep -q "1 up" || { echo "osd did not come up" >&2; exit 1; }

    admin osd pool create kubes 8 8 >/dev/null 2>&1
    timeout 60 rbd -c "$conf" pool init kubes
    admin auth get-or-create client.kube mon 'profile rbd' osd 'profile rbd pool=kubes' mgr 'profile rbd pool=kubes' >/dev/null
    echo "KEY=$(admin auth get-key client.kube)"
    echo "ADMINKEY=$(admin auth get-key client.admin)"
    ;;
stop)
    kill_all
    ;;
start-rgw)
    port=$3
    bucket=$4
    admin auth get-or-create client.rgw.a mon 'allow rw' osd 'allow rwx' > "$dir/rgw.keyring"
    mkdir -p "$dir/rgw"
    cat >> "$conf" <<EOF
[client.rgw.a]
keyring = $dir/rgw.keyring
rgw frontends = beast endpoint=127.0.0.1:$port
rgw data = $dir/rgw
log file = $dir/log/rgw.log
admin socket = $dir/run/rgw.asok
EOF
    radosgw -c "$conf" -n client.rgw.a
    for _ in $(seq 1 150); do
        if curl -sf -o /dev/null "http://127.0.0.1:$port/"; then break; fi
        sleep 0.2
    done
    curl -sf -o /dev/null "http://127.0.0.1:$port/" || { echo "rgw did not answer; log:" >&2; tail -20 "$dir/log/rgw.log" >&2; exit 1; }
    user=$(timeout 60 radosgw-admin -c "$conf" -n client.admin user create --uid=backup --display-name=backup)
    access=$(printf '%s' "$user" | python3 -c 'import json,sys; print(json.load(sys.stdin)["keys"][0]["access_key"])')
    secret=$(printf '%s' "$user" | python3 -c 'import json,sys; print(json.load(sys.stdin)["keys"][0]["secret_key"])')
    # The credentials reach curl on standard input (-K -), never its argv.
    printf 'user = "%s:%s"\n' "$access" "$secret" |
        curl -sf -K - --aws-sigv4 "aws:amz:us-east-1:s3" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" \
            -X PUT "http://127.0.0.1:$port/$bucket" -o /dev/null || { echo "bucket $bucket could not be made" >&2; exit 1; }
    echo "ACCESS=$access"
    echo "SECRET=$secret"
    ;;
rotate-user-key)
    # A new key for client.kube with the same caps, as an operator rotating it would do.
    secret=$(ceph-authtool --gen-print-key)
    umask 077
    printf '[client.kube]\n\tkey = %s\n\tcaps mon = "profile rbd"\n\tcaps osd = "profile rbd pool=kubes"\n\tcaps mgr = "profile rbd pool=kubes"\n' "$secret" > "$dir/kube.keyring"
    admin auth import -i "$dir/kube.keyring" >/dev/null 2>&1
    rm -f "$dir/kube.keyring"
    echo "KEY=$(admin auth get-key client.kube)"
    ;;
create-pool)
    # A pool client.kube has no caps on (its osd caps name pool kubes only).
    admin osd pool create "$3" 8 8 >/dev/null 2>&1
    timeout 60 rbd -c "$conf" pool init "$3"
    ;;
stop-mon)
    stop_daemon mon
    ;;
start-mon)
    start_mon
    ;;
*)
    echo "usage: $0 start DIR V2PORT V1PORT | start-rgw DIR PORT BUCKET | stop DIR | stop-mon DIR | start-mon DIR | rotate-user-key DIR | create-pool DIR NAME" >&2
    exit 2
    ;;
esac
