#!/usr/bin/env bash
# A throwaway Kubernetes control plane on 127.0.0.1: etcd, kube-apiserver,
# kube-controller-manager (PV binder and in-tree RBD provisioner) and kube-scheduler,
# with generated certificates, a service-account key pair and an admin token.
# Everything lives in DIR; nothing else on the machine is touched.
#
#   controlplane.sh start DIR BINDIR [KWOK]  -> writes DIR/kubeconfig, prints KUBECONFIG=... when ready
#
# With KWOK (the kwok binary), also one fake node, labelled as the stack's node affinity
# asks, whose pods kwok marks Running and Ready: there is no kubelet here.
#   controlplane.sh stop DIR
set -euo pipefail

cmd=$1
dir=$2

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }

start_bg() {
    local name=$1
    shift
    "$@" > "$dir/log/$name.log" 2>&1 &
    echo $! > "$dir/run/$name.pid"
}

stop_one() {
    local pidfile="$dir/run/$1.pid" pid
    [ -f "$pidfile" ] || return 0
    pid=$(cat "$pidfile")
    # Only our process: its command line names our directory.
    if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -qF -- "$dir"; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
}

case $cmd in
start)
    bin=$3
    mkdir -p "$dir"/{pki,run,log,etcd}
    pki=$dir/pki
    etcd_port=$(free_port)
    peer_port=$(free_port)
    api_port=$(free_port)

    # A CA, the API server's serving cert, and the service-account signing key.
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=jenkins-ceph-e2e-ca" \
        -keyout "$pki/ca.key" -out "$pki/ca.crt" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" \
        -keyout "$pki/apiserver.key" -out "$pki/apiserver.csr" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,IP:10.0.0.1,DNS:kubernetes.default.svc\n' > "$pki/san.ext"
    openssl x509 -req -in "$pki/apiserver.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
        -days 2 -extfile "$pki/san.ext" -out "$pki/apiserver.crt" 2>/dev/null
    openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
    openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
    token=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
    echo "$token,admin,admin,system:masters" > "$pki/tokens.csv"

    cat > "$dir/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: e2e
  cluster:
    server: https://127.0.0.1:$api_port
    certificate-authority: $pki/ca.crt
users:
- name: admin
  user:
    token: $token
contexts:
- name: e2e
  context: {cluster: e2e, user: admin}
current-context: e2e
EOF
    chmod 600 "$dir/kubeconfig"

    start_bg etcd etcd --name e2e --data-dir "$dir/etcd" \
        --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
        --listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
        --initial-cluster "e2e=http://127.0.0.1:$peer_port"

    start_bg kube-apiserver "$bin/kube-apiserver" \
        --etcd-servers "http://127.0.0.1:$etcd_port" \
        --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$api_port" \
        --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
        --client-ca-file "$pki/ca.crt" --token-auth-file "$pki/tokens.csv" \
        --service-account-issuer https://kubernetes.default.svc \
        --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
        --service-cluster-ip-range 10.0.0.0/24 --authorization-mode RBAC --allow-privileged=true \
        --cert-dir "$pki"

    k() { "$bin/kubectl" --kubeconfig "$dir/kubeconfig" "$@"; }
    for _ in $(seq 1 120); do
        if k get --raw /readyz >/dev/null 2>&1; then break; fi
        sleep 0.5
    done
    k get --raw /readyz >/dev/null || { echo "kube-apiserver did not become ready:" >&2; tail -20 "$dir/log/kube-apiserver.log" >&2; exit 1; }

    start_bg kube-controller-manager "$bin/kube-controller-manager" \
        --kubeconfig "$dir/kubeconfig" --bind-address 127.0.0.1 --secure-port 0 \
        --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
        --cluster-signing-cert-file "$pki/ca.crt" --cluster-signing-key-file "$pki/ca.key" \
        --leader-elect=false --controllers '*'
    start_bg kube-scheduler "$bin/kube-scheduler" \
        --kubeconfig "$dir/kubeconfig" --bind-address 127.0.0.1 --secure-port 0 --leader-elect=false

    # Ready when the controller manager has created the default service account.
    for _ in $(seq 1 120); do
        if k -n default get serviceaccount default >/dev/null 2>&1; then break; fi
        sleep 0.5
    done
    k -n default get serviceaccount default >/dev/null || { echo "controller manager not ready" >&2; tail -20 "$dir/log/kube-controller-manager.log" >&2; exit 1; }

    kwok=${4:-}
    if [ -n "$kwok" ]; then
        # The lease keeps the node Ready: without renewals the node lifecycle controller
        # marks it NotReady within a minute and every pod Ready=False.
        start_bg kwok "$kwok" --kubeconfig "$dir/kubeconfig" --manage-all-nodes=true \
            --node-lease-duration-seconds=40 --cidr=10.244.0.0/16 --node-ip=127.0.0.1
        k apply -f - >/dev/null <<'EOF'
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-0
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    type: kwok
    cicd-services: enabled
    kubernetes.io/hostname: kwok-node-0
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
status:
  allocatable: {cpu: "32", memory: 256Gi, pods: "110"}
  capacity: {cpu: "32", memory: 256Gi, pods: "110"}
EOF
        for _ in $(seq 1 120); do
            if k get node kwok-node-0 -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null | grep -q True; then break; fi
            sleep 0.5
        done
        k get node kwok-node-0 -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' | grep -q True \
            || { echo "kwok did not make the node Ready:" >&2; tail -20 "$dir/log/kwok.log" >&2; exit 1; }
    fi
    echo "KUBECONFIG=$dir/kubeconfig"
    ;;
stop)
    for c in kwok kube-scheduler kube-controller-manager kube-apiserver etcd; do stop_one "$c"; done
    ;;
*)
    echo "usage: $0 start DIR BINDIR | stop DIR" >&2
    exit 2
    ;;
esac
