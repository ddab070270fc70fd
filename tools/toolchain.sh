#!/usr/bin/env bash
# Builds the real parts for the end-to-end tests from Go modules into a cache outside
# the repo (reused when present, keyed by version). Nothing built here is committed.
#
#   tools/toolchain.sh [pulumi|language|command|provider|kubernetes|kwok|engine|all]
#   (default: all; engine = pulumi, language host, command and kubernetes providers)
#   cache: ${JENKINS_CEPH_TOOLCHAIN:-$HOME/.cache/jenkins-ceph-e2e}/<component>-<version>/bin
#
# Modules whose go.mod uses `replace` cannot be `go install`ed: each is built from a
# small wrapper module that requires it and repeats its replace lines, with the
# relative ones (../sdk, ./staging/src/...) turned into the published sibling modules.
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE=${JENKINS_CEPH_TOOLCHAIN:-$HOME/.cache/jenkins-ceph-e2e}
PULUMI_VERSION=v$(node -p 'require("./package.json").dependencies["@pulumi/pulumi"]')
KUBERNETES_VERSION=${KUBERNETES_VERSION:-v1.30.14} # the last minor with the in-tree RBD plugin
KWOK_VERSION=${KWOK_VERSION:-v0.7.0}
COMMAND_VERSION=$(node -p 'require("./package.json").dependencies["@pulumi/command"]')
K8S_PROVIDER_VERSION=$(node -p 'require("./package.json").dependencies["@pulumi/kubernetes"]')
# The only provider/v4 the Go proxy serves here (tags are refused); built and stamped as
# the SDK's version, which is what the engine asks for.
K8S_PROVIDER_MODULE=github.com/pulumi/pulumi-kubernetes/provider/v4@v4.0.0-20260115033456-f47bc2d6f199
# Upstream sources this machine cannot fetch (the language host, the command provider):
# beside the checkout as ../shared/third_party, or where JENKINS_CEPH_THIRD_PARTY says.
THIRD_PARTY=${JENKINS_CEPH_THIRD_PARTY:-}
if [ -z "$THIRD_PARTY" ]; then
    for d in "$(cd .. && pwd)/shared/third_party"; do
        if [ -d "$d" ]; then THIRD_PARTY=$d; break; fi
    done
fi
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
    # a build linked with other flags (an older script's) is not this one
    [ "$(cat "$out/.ldflags" 2>/dev/null)" = "${LDFLAGS:-}" ] || have=0
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
    printf '%s' "${LDFLAGS:-}" > "$out/.ldflags"
    log "$name $version: built in $(cat "$out/.build-seconds")s into $out/bin"
}

# fresh NAME VERSION BIN: true when BIN is already in the cache
fresh() {
    if [ -x "$CACHE/$1-$2/bin/$3" ]; then
        log "$1 $2: cached in $CACHE/$1-$2"
        return 0
    fi
    return 1
}

# from_source NAME VERSION SRC_DIR: copies an upstream source tree to a writable place
from_source() {
    if [ ! -d "$3" ]; then
        echo "toolchain: no source for $1 $2 at $3; set JENKINS_CEPH_THIRD_PARTY to the shared/third_party folder" >&2
        exit 1
    fi
    local dst="$CACHE/$1-$2/src"
    rm -rf "$dst"
    mkdir -p "$dst" "$CACHE/$1-$2/bin"
    cp -R "$3/." "$dst/"
    chmod -R u+w "$dst"
    echo "$dst"
}

stamp() { echo "$(( $(date +%s) - $3 ))" > "$CACHE/$1-$2/.build-seconds"; log "$1 $2: built in $(cat "$CACHE/$1-$2/.build-seconds")s"; }

# The nodejs language host, from the upstream folder in shared/third_party: its go.mod
# points at the pulumi monorepo by relative path; the published sdk/pkg replace them.
build_language() {
    local v=$PULUMI_VERSION
    fresh language-nodejs "$v" pulumi-language-nodejs && return 0
    local start src
    start=$(date +%s)
    log "language-nodejs $v: building (about 2 minutes cold)"
    src=$(from_source language-nodejs "$v" "$THIRD_PARTY/pulumi-language-nodejs-$v")
    (
        cd "$src"
        sed -i -e '\#=> \.\./#d' go.mod
        go mod edit -require "github.com/pulumi/pulumi/sdk/v3@$v" -require "github.com/pulumi/pulumi/pkg/v3@$v"
        go mod tidy
        go build -trimpath -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$v" \
            -o "$CACHE/language-nodejs-$v/bin/pulumi-language-nodejs" .
    )
    stamp language-nodejs "$v" "$start"
}

build_command() {
    local v=$COMMAND_VERSION
    fresh command "$v" pulumi-resource-command && return 0
    local start src
    start=$(date +%s)
    log "command $v: building (about 2 minutes cold)"
    src=$(from_source command "$v" "$THIRD_PARTY/pulumi-command-provider-v$v/provider")
    (
        cd "$src"
        go build -trimpath -ldflags "-X github.com/pulumi/pulumi-command/provider/pkg/version.Version=$v" \
            -o "$CACHE/command-$v/bin/pulumi-resource-command" ./cmd/pulumi-resource-command
    )
    stamp command "$v" "$start"
}

build_provider() {
    local v=$K8S_PROVIDER_VERSION
    fresh kubernetes-provider "$v" pulumi-resource-kubernetes && return 0
    local start dir src
    start=$(date +%s)
    log "kubernetes-provider $v: building from $K8S_PROVIDER_MODULE (about 8 minutes cold)"
    dir=$(go mod download -json "$K8S_PROVIDER_MODULE" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
    src=$(from_source kubernetes-provider "$v" "$dir")
    (
        cd "$src"
        sed -i -e '\#=> \.\./sdk#d' go.mod
        go mod tidy
        cd cmd/pulumi-resource-kubernetes
        VERSION=$v go run generate.go
        go build -trimpath -ldflags "-X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$v" \
            -o "$CACHE/kubernetes-provider-$v/bin/pulumi-resource-kubernetes" .
    )
    stamp kubernetes-provider "$v" "$start"
}

what=${1:-all}
case $what in language | engine | all) build_language ;; esac
case $what in command | engine | all) build_command ;; esac
case $what in provider | engine | all) build_provider ;; esac
case $what in pulumi | engine | all)
    LDFLAGS="-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
        build pulumi "$PULUMI_VERSION" github.com/pulumi/pulumi/pkg/v3 "$PULUMI_VERSION" \
        github.com/pulumi/pulumi/pkg/v3/cmd/pulumi ;;
esac
# The CLI finds the language host next to itself (on PATH it warns on every run).
case $what in pulumi | language | engine | all)
    lang="$CACHE/language-nodejs-$PULUMI_VERSION/bin/pulumi-language-nodejs"
    cli_bin="$CACHE/pulumi-$PULUMI_VERSION/bin"
    if [ -x "$lang" ] && [ -d "$cli_bin" ] && ! cmp -s "$lang" "$cli_bin/pulumi-language-nodejs"; then
        install -m 0755 "$lang" "$cli_bin/pulumi-language-nodejs"
        log "language host placed next to the pulumi CLI in $cli_bin"
    fi ;;
esac
case $what in kubernetes | all)
    # Stamped with its version: the Kubernetes provider refuses a cluster that says v0.0.
    LDFLAGS="-X k8s.io/component-base/version.gitVersion=$KUBERNETES_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$(echo "$KUBERNETES_VERSION" | cut -d. -f2)" \
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
