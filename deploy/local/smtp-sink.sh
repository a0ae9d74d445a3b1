#!/usr/bin/env bash
# Postfix's smtp-sink, the benchmark's mail server: a fast C SMTP server that accepts and
# discards every message. Only the binary and its two libraries are taken from Debian's
# `postfix` package (apt-get download + dpkg -x, no install): Postfix itself is never
# installed or started.
#
# Usage: deploy/local/smtp-sink.sh fetch        # extract the package once (cached)
#        deploy/local/smtp-sink.sh path         # print the binary's path (fetches first)
#        deploy/local/smtp-sink.sh run PORT     # exec it on 127.0.0.1:PORT, foreground
#
# `run` prints a running count of accepted messages (DATA completed) on stdout, each
# number followed by a carriage return: the last number in the output is the exact count.
#
# Environment (defaults):
#   RUN_DIR=<repo>/.run            runtime dir (the package is extracted to tools/postfix)
#   SMTP_SINK_BACKLOG=1024         listen backlog
#   SMTP_SINK_MAX_SESSIONS=1024    simultaneous SMTP sessions
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
RUN_DIR="${RUN_DIR:-$REPO_ROOT/.run}"
POSTFIX_DIR="$RUN_DIR/tools/postfix"
BINARY="$POSTFIX_DIR/usr/sbin/smtp-sink"
SMTP_SINK_BACKLOG="${SMTP_SINK_BACKLOG:-1024}"
SMTP_SINK_MAX_SESSIONS="${SMTP_SINK_MAX_SESSIONS:-1024}"

log() { echo "smtp-sink.sh: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Download the package to a temporary directory and extract it; the directory is swapped
# in whole, so an interrupted fetch never leaves half a tree that looks cached.
fetch() {
    [[ -x "$BINARY" ]] && return 0
    command -v apt-get >/dev/null || die "no apt-get to download Debian's postfix package"
    local tmp="$POSTFIX_DIR.tmp"
    rm -rf "$tmp"
    mkdir -p "$tmp/deb"
    log "downloading Debian's postfix package (for smtp-sink only)"
    if ! (cd "$tmp/deb" && apt-get download postfix >/dev/null 2>&1); then
        log "postfix not in the package lists; apt-get update first"
        if [[ "$(id -u)" -eq 0 ]]; then apt-get update >/dev/null; else sudo -n apt-get update >/dev/null; fi
        (cd "$tmp/deb" && apt-get download postfix >/dev/null) || die "apt-get download postfix failed"
    fi
    dpkg -x "$tmp"/deb/postfix_*.deb "$tmp"
    rm -rf "$tmp/deb"
    [[ -x "$tmp/usr/sbin/smtp-sink" ]] || die "usr/sbin/smtp-sink missing from the package"
    rm -rf "$POSTFIX_DIR"
    mv "$tmp" "$POSTFIX_DIR"
}

# Options, for speed and for what the notification service sends: -c counts accepted
# messages (the benchmark's correctness check), no -d (a file per message would make the
# disk the limit again), ESMTP with PIPELINING and 8BITMIME left on (the defaults). As
# root, smtp-sink insists on dropping privileges after binding (-u).
run() {
    local port="$1"
    [[ "$port" =~ ^[0-9]+$ ]] || die "run needs a port number"
    fetch
    local user=()
    [[ "$(id -u)" -eq 0 ]] && user=(-u nobody)
    export LD_LIBRARY_PATH="$POSTFIX_DIR/usr/lib/postfix${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    exec "$BINARY" -c -h smtp-sink.local -m "$SMTP_SINK_MAX_SESSIONS" "${user[@]}" \
        "127.0.0.1:$port" "$SMTP_SINK_BACKLOG"
}

case "${1:-}" in
    fetch) fetch ;;
    path) fetch && echo "$BINARY" ;;
    run) shift && run "${1:-}" ;;
    *) die "usage: $0 fetch|path|run PORT" ;;
esac
