#!/bin/sh
# The init container's plugin installer (components/jenkins/jenkinsPod.ts runs it from the
# plugins ConfigMap; test/installPlugins.spec.ts runs it with a stand-in jenkins-plugin-cli).
#
# The plugins live in Jenkins' home on the RBD volume, not in an emptyDir: a restart with
# the same pinned list and the same image downloads nothing, so Jenkins comes back while
# the update centre is unreachable. A changed list (or image) downloads the whole set into
# a staging folder on the same volume and swaps it in; the set before is kept as
# plugins.previous until the next change. A failed download leaves the last good set in
# place and exits non-zero with one sentence first, the tool's output after.
#
# Environment (the pod spec sets it): JENKINS_HOME, JENKINS_WAR, PLUGIN_FILE (plugins.txt),
# JENKINS_IMAGE (part of what was installed: a new war may need other dependencies), and
# for jenkins-plugin-cli CACHE_DIR, JENKINS_UC, JENKINS_UC_DOWNLOAD_URL and JAVA_OPTS.
set -eu

home=${JENKINS_HOME:?JENKINS_HOME is not set}
plugins="$home/plugins"
previous="$home/plugins.previous"
staging="$home/.jenkins-ceph-plugins.download"
record=".jenkins-ceph-plugins.txt"
wanted="${TMPDIR:-/tmp}/jenkins-ceph-plugins.wanted"
log="${TMPDIR:-/tmp}/jenkins-plugin-cli.log"

say() { echo "install-plugins: $*"; }

# Kubernetes shows this file as the container's termination message (kubectl describe pod).
fail() {
    echo "install-plugins: $1" >&2
    if [ -w /dev/termination-log ]; then echo "$1" > /dev/termination-log; fi
    if [ -s "$log" ]; then
        echo "jenkins-plugin-cli's last lines:" >&2
        tail -n 20 "$log" >&2
    fi
    exit 1
}

# A swap cut short (the pod killed between its two renames): the last good set is back.
if [ ! -d "$plugins" ] && [ -d "$previous" ]; then
    mv "$previous" "$plugins"
    say "put back the set an interrupted install had moved aside"
fi

{
    echo "# image: ${JENKINS_IMAGE:-unknown}"
    cat "$PLUGIN_FILE"
} > "$wanted"
if [ -f "$plugins/$record" ] && [ "$(cat "$plugins/$record")" = "$(cat "$wanted")" ]; then
    say "$plugins holds the pinned list for ${JENKINS_IMAGE:-this image}; nothing to download"
    exit 0
fi

if [ -d "$plugins" ] && [ -f "$plugins/$record" ]; then
    kept="$plugins keeps the last good set"
elif [ -d "$plugins" ]; then
    kept="$plugins is left as it was"
else
    kept="no plugins are installed yet"
fi

rm -rf "$staging"
say "downloading the pinned plugins into $staging"
# jenkins-plugin-cli deletes and recreates its download directory itself.
if ! jenkins-plugin-cli --war "${JENKINS_WAR:-/usr/share/jenkins/jenkins.war}" \
    --plugin-file "$PLUGIN_FILE" --plugin-download-directory "$staging" \
    --latest false > "$log" 2>&1; then
    rm -rf "$staging"
    fail "the pinned plugins could not be downloaded, so $kept; Jenkins starts once the download works (check jenkins.pluginDownload and the update centre; this container retries on every restart)."
fi

cp "$wanted" "$staging/$record"
rm -rf "$previous"
if [ -d "$plugins" ]; then mv "$plugins" "$previous"; fi
mv "$staging" "$plugins"
count=$(find "$plugins" -maxdepth 1 \( -name '*.jpi' -o -name '*.hpi' \) | wc -l | tr -d ' ')
if [ -d "$previous" ]; then
    say "installed $count plugins for ${JENKINS_IMAGE:-this image}; the set before is kept in $previous"
else
    say "installed $count plugins for ${JENKINS_IMAGE:-this image}"
fi
