#!/usr/bin/env bash
# Builds the real parts for the end-to-end tests from Go modules into a cache outside
# the repo (reused when present, keyed by version). Nothing built here is committed.
#
#   test/e2e/toolchain.sh [pulumi|kubernetes|kwok|all]    (default: all)
#   cache: ${JENKINS_CEPH_TOOLCHAIN:-$HOME/.cache/jenkins-ceph-e2e}/<component>-<version>/bin
#
# Modules whose go.mod uses `replace` cannot be `go install`ed: each is built from a
# small wrapper module that requires it and repeats its replace lines, with the
# relative ones (../sdk, ./staging/src/...) turned into the published sibling modules.
set -euo pipefail
cd "$(dirname "$0")/../.."

CACHE=${JENKINS_CEPH_TOOLCHAIN:-$HOME/.cache/jenkins-ceph-e2e}
PULUMI_VERSION=v$(node -p 'require("./package.json").dependencies["@pulumi/pulumi"]')
KUBERNETES_VERSION=${KUBERNETES_VERSION:-v1.30.14} # the last minor with the in-tree RBD plugin
KWOK_VERSION=${KWOK_VERSION:-v0.7.0}
export GOFLAGS=-mod=mod GOTOOLCHAIN=local

log() { printf 'toolchain: %s\n' "$*" >&2; }

# modfile MODULE@VERSION -> path of its go.mod in the module cache
modfile() { go mod download -json "$1" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p'; }

# replace_lines GO.MOD STAGING_VERSION: its replace directives, relative targets made absolute
replace_lines() {
    local mod=$1 staging=$2
    awk -v sv="$staging" '
        /^replace \(/ { block = 1; next }
        block && /^\)/ { block = 0; next }
        /^replace / { sub(/^replace /, ""); print_line($0); next }
        block { print_line($0) }
        function print_line(l,   parts) {
            split(l, parts, "=>")
            gsub(/^[ \t]+|[ \t]+$/, "", parts[1]); gsub(/^[ \t]+|[ \t]+$/, "", parts[2])
            if (parts[2] ~ /^\.\.?\//) {
                n = split(parts[1], name, " ")
                print "replace " name[1] " => " name[1] " " sv
            } else {
                print "replace " parts[1] " => " parts[2]
            }
        }' "$mod"
}

# build NAME VERSION MODULE STAGING_VERSION PACKAGE...
build() {
    local name=$1 version=$2 module=$3 staging=$4
    shift 4
    local out="$CACHE/$name-$version" have=1 p
    for p in "$@"; do [ -x "$out/bin/$(basename "$p")" ] || have=0; done
    if [ "$have" = 1 ]; then
        log "$name $version: cached in $out"
        return 0
    fi
    local src="$out/src"
    mkdir -p "$src" "$out/bin"
    local start
    start=$(date +%s)
    log "$name $version: building $* (cold build; this takes minutes)"
    local gomod
    gomod=$(modfile "$module@$version")
    {
        echo "module jenkinsceph/toolchain/$name"
        echo
        echo "go $(go env GOVERSION | sed 's/^go\([0-9]*\.[0-9]*\).*/\1/')"
        echo
        echo "require $module $version"
        replace_lines "$gomod" "$staging"
    } > "$src/go.mod"
    printf '//go:build tools\n\npackage tools\n\nimport (\n' > "$src/tools.go"
    for p in "$@"; do printf '\t_ "%s"\n' "$p" >> "$src/tools.go"; done
    printf ')\n' >> "$src/tools.go"
    (cd "$src" && go mod tidy && for p in "$@"; do go build -trimpath -ldflags "${LDFLAGS:-}" -o "$out/bin/" "$p"; done)
    echo "$(( $(date +%s) - start ))" > "$out/.build-seconds"
    log "$name $version: built in $(cat "$out/.build-seconds")s into $out/bin"
}

what=${1:-all}
case $what in pulumi | all)
    LDFLAGS="-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
        build pulumi "$PULUMI_VERSION" github.com/pulumi/pulumi/pkg/v3 "$PULUMI_VERSION" \
        github.com/pulumi/pulumi/pkg/v3/cmd/pulumi ;;
esac
case $what in kubernetes | all)
    build kubernetes "$KUBERNETES_VERSION" k8s.io/kubernetes "v0${KUBERNETES_VERSION#v1}" \
        k8s.io/kubernetes/cmd/kube-apiserver \
        k8s.io/kubernetes/cmd/kube-controller-manager \
        k8s.io/kubernetes/cmd/kube-scheduler \
        k8s.io/kubernetes/cmd/kubectl ;;
esac
case $what in kwok | all)
    build kwok "$KWOK_VERSION" sigs.k8s.io/kwok "$KWOK_VERSION" sigs.k8s.io/kwok/cmd/kwok ;;
esac
du -sh "$CACHE" 2>/dev/null | sed 's/^/toolchain: cache size /' >&2 || true
