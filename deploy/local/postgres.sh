#!/usr/bin/env bash
# Local PostgreSQL cluster for dev/test: private data dir, 127.0.0.1 only,
# trust auth, one database per service.
#
# Usage: deploy/local/postgres.sh start|stop|status|restart
#
# Environment (defaults):
#   RUN_DIR=<repo>/.run         runtime dir; the cluster lives in $RUN_DIR/pg
#   PG_PORT=55432               TCP port on 127.0.0.1 (off 5432 on purpose, so a
#                               system PostgreSQL can coexist)
#   PG_DATABASES="enrolment invitation notification registration"
#                               databases created on start if missing
#   PG_FAST=0                   1 = fsync/synchronous_commit/full_page_writes
#                               off: faster tests, data lost on a machine crash
#   PG_BINDIR=                  server binaries dir (default: auto-detect)
#   PG_START_TIMEOUT=60         seconds pg_ctl waits for start
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
RUN_DIR="${RUN_DIR:-$REPO_ROOT/.run}"
PG_PORT="${PG_PORT:-55432}"
PG_DATABASES="${PG_DATABASES:-enrolment invitation notification registration}"
PG_FAST="${PG_FAST:-0}"
PG_START_TIMEOUT="${PG_START_TIMEOUT:-60}"

log() { echo "postgres.sh: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
# shellcheck source=deploy/local/processes.sh
. "$(dirname "${BASH_SOURCE[0]}")/processes.sh"

is_root() { [[ "$(id -u)" -eq 0 ]]; }

# --- server binaries ---------------------------------------------------------

# First dir that holds a full server (initdb, pg_ctl, postgres). pg_config
# alone is not enough: with only libpq-dev it points at /usr/bin, which has no
# initdb. Debian keeps each major under /usr/lib/postgresql/N/bin; newest wins.
find_bindir() {
    local d candidates=()
    [[ -n "${PG_BINDIR:-}" ]] && candidates+=("$PG_BINDIR")
    command -v pg_config >/dev/null && candidates+=("$(pg_config --bindir 2>/dev/null || true)")
    while IFS= read -r d; do candidates+=("$d"); done \
        < <(printf '%s\n' /usr/lib/postgresql/*/bin | sort -Vr)
    for d in "${candidates[@]}"; do
        if [[ -x "$d/initdb" && -x "$d/pg_ctl" && -x "$d/postgres" ]]; then
            echo "$d"
            return 0
        fi
    done
}

ensure_bindir() {
    BIN="$(find_bindir)"
    [[ -n "$BIN" ]] && return 0
    if ! is_root; then
        die "PostgreSQL server binaries not found (looked at PG_BINDIR, pg_config --bindir," \
            "/usr/lib/postgresql/*/bin). Install them (Debian: apt-get install postgresql)" \
            "or set PG_BINDIR."
    fi
    command -v apt-get >/dev/null || die "PostgreSQL not installed and no apt-get to install it"
    # Note: Debian's package also creates (and may start) its own 'main'
    # cluster on 5432; we ignore it and run our own on $PG_PORT.
    log "PostgreSQL server not found; installing it with apt-get..."
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
    BIN="$(find_bindir)"
    [[ -n "$BIN" ]] || die "apt-get installed postgresql but no server binaries were found"
}

# --- running as root ---------------------------------------------------------

# PostgreSQL refuses to run as root. As root we run every server command as
# the 'postgres' system user (created by the Debian package; created here if
# the binaries came from elsewhere). `cd /` because the caller's cwd may not
# be readable by postgres, which makes initdb/pg_ctl complain.
as_pg() {
    if is_root; then
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

ensure_pg_user() {
    is_root || return 0
    id postgres >/dev/null 2>&1 && return 0
    log "creating system user 'postgres' (the server cannot run as root)"
    useradd --system --user-group --no-create-home --shell /usr/sbin/nologin postgres
}

# Where the cluster lives. Normally $RUN_DIR/pg. As root, the postgres user
# must be able to traverse every parent of it; if it cannot (e.g. the repo is
# under /root, mode 700) we do not loosen the permissions of someone's home
# dir: the cluster goes to /tmp instead, with $RUN_DIR/pg as a symlink to it.
choose_pg_dir() {
    PG_DIR="$RUN_DIR/pg"
    is_root || return 0
    mkdir -p "$RUN_DIR"
    if [[ -L "$PG_DIR" ]] || ! runuser -u postgres -- test -x "$RUN_DIR" 2>/dev/null; then
        local fallback
        fallback="/tmp/pg-$(echo -n "$RUN_DIR" | sha256sum | cut -c1-12)"
        if [[ ! -e "$PG_DIR" && ! -L "$PG_DIR" ]]; then  # a link whose target is not made yet exists too
            log "user postgres cannot reach $RUN_DIR; using $fallback (symlinked as $PG_DIR)"
            ln -s "$fallback" "$PG_DIR"
        fi
        PG_DIR="$fallback"
    fi
}

set_paths() {
    choose_pg_dir
    DATA="$PG_DIR/data"
    LOG="$PG_DIR/postgres.log"
    # Unix socket paths are limited to ~107 bytes; a deep checkout would make
    # the server fail to start. Then go TCP-only (all our clients use TCP).
    SOCKET_DIR="$PG_DIR"
    if ((${#SOCKET_DIR} + ${#PG_PORT} + 10 > 100)); then
        SOCKET_DIR=""
    fi
}

# --- commands ----------------------------------------------------------------

running() { [[ -f "$DATA/PG_VERSION" ]] && as_pg "$BIN/pg_ctl" status -D "$DATA" >/dev/null 2>&1; }


init_cluster() {
    mkdir -p "$PG_DIR"
    is_root && chown postgres:postgres "$PG_DIR"
    if [[ -f "$DATA/PG_VERSION" ]]; then
        # A cluster made by another major version cannot be started by these
        # binaries; say so instead of letting pg_ctl fail cryptically.
        local have want
        have="$(cat "$DATA/PG_VERSION")"
        want="$("$BIN/postgres" --version | sed -E 's/.* ([0-9]+)(\.[0-9]+)*.*/\1/')"
        [[ "$have" == "$want" ]] || die "cluster in $DATA is PostgreSQL $have but binaries are $want;" \
            "remove $PG_DIR (dev data only) and start again"
        return 0
    fi
    log "initdb $DATA"
    as_pg "$BIN/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --locale=C >"$PG_DIR/initdb.log" 2>&1 \
        || { tail -n 20 "$PG_DIR/initdb.log" >&2; die "initdb failed (log: $PG_DIR/initdb.log)"; }
    # Our settings live in dev.conf, regenerated on every start, so that env
    # changes (PG_PORT, PG_FAST) apply without touching initdb's file.
    echo "include_if_exists = 'dev.conf'" >>"$DATA/postgresql.conf"
}

write_config() {
    [[ -n "$SOCKET_DIR" ]] || log "path to $PG_DIR too long for a Unix socket; TCP only"
    local fast=""
    if [[ "$PG_FAST" == "1" ]]; then
        # Crash-unsafe: only for throwaway test data, never the demo.
        fast="fsync = off
synchronous_commit = off
full_page_writes = off"
    fi
    as_pg tee "$DATA/dev.conf" >/dev/null <<EOF
# Generated by deploy/local/postgres.sh -- edits are overwritten on start.
listen_addresses = '127.0.0.1'
port = ${PG_PORT}
unix_socket_directories = '${SOCKET_DIR}'
max_connections = 200
shared_buffers = 256MB
# Log to stderr, which pg_ctl -l sends to postgres.log.
logging_collector = off
log_line_prefix = '%m [%p] %q%u@%d '
${fast}
EOF
}

create_databases() {
    local db psql=("$BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -X -q -v ON_ERROR_STOP=1)
    for db in $PG_DATABASES; do
        # Names are spliced into SQL: allow plain identifiers only.
        [[ "$db" =~ ^[a-z_][a-z0-9_-]*$ ]] || die "invalid database name '$db' in PG_DATABASES"
        if [[ "$("${psql[@]}" -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'")" != "1" ]]; then
            "${psql[@]}" -c "CREATE DATABASE \"$db\"" >/dev/null
            log "created database $db"
        fi
    done
}

cmd_start() {
    ensure_bindir
    ensure_pg_user
    set_paths
    if running; then
        log "already running on 127.0.0.1:$PG_PORT (data $DATA)"
        create_databases # cheap, and picks up names added to PG_DATABASES
        return 0
    fi
    port_open "$PG_PORT" && die "port $PG_PORT on 127.0.0.1 is already in use by another process"
    init_cluster
    write_config
    # postgres.log must be writable by the server user; pg_ctl appends to it.
    if is_root; then touch "$LOG" && chown postgres:postgres "$LOG"; fi
    if ! as_pg "$BIN/pg_ctl" start -D "$DATA" -l "$LOG" -w -t "$PG_START_TIMEOUT" >/dev/null; then
        log "server did not start; last log lines:"
        tail -n 30 "$LOG" >&2 || true
        exit 1
    fi
    log "ready on 127.0.0.1:$PG_PORT (data $DATA, log $LOG)"
    create_databases
}

cmd_stop() {
    ensure_bindir
    set_paths
    if ! running; then
        log "not running"
        return 0
    fi
    # fast = roll back open transactions and disconnect clients, then a clean
    # shutdown checkpoint (no crash recovery on the next start).
    as_pg "$BIN/pg_ctl" stop -D "$DATA" -m fast -w >/dev/null
    log "stopped"
}

cmd_status() {
    BIN="$(find_bindir)"
    [[ -n "$BIN" ]] || { echo "postgres not installed"; return 1; }
    set_paths
    if running; then
        echo "postgres running on 127.0.0.1:$PG_PORT (data $DATA)"
        return 0
    fi
    echo "postgres not running"
    return 1
}

case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    restart) cmd_stop && cmd_start ;;
    *)
        echo "usage: $0 start|stop|status|restart" >&2
        exit 2
        ;;
esac
