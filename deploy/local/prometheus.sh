#!/usr/bin/env bash
# Local Prometheus for dev/test: Debian's binary, our own process (not the Debian
# package's service), 127.0.0.1 only, scraping the four services' /metrics with the rules
# of deploy/prometheus/rules/.
#
# Usage: deploy/local/prometheus.sh start|stop|status|restart
#        deploy/local/prometheus.sh install   # only make sure prometheus and promtool exist
#        deploy/local/prometheus.sh config    # (re)write config and targets, start nothing;
#                                             # a running server picks new targets up itself
#
# Config: deploy/prometheus/prometheus.yml is copied to $RUN_DIR/prometheus/prometheus.yml
# (it names its rules and targets by relative paths), rules/ there links to the repo's, so
# an edited rule applies after `curl -X POST 127.0.0.1:9090/-/reload`, and the scrape
# targets are written to $RUN_DIR/prometheus/targets/onboarding.yml.
#
# Environment (defaults):
#   RUN_DIR=<repo>/.run           runtime dir; everything lives in $RUN_DIR/prometheus
#   PROMETHEUS_PORT=9090          HTTP port on 127.0.0.1
#   ENROLMENT_URL=http://127.0.0.1:8001   INVITATION_URL=http://127.0.0.1:8002
#   NOTIFICATION_URL=http://127.0.0.1:8003 REGISTRATION_URL=http://127.0.0.1:8004
#                                 where each service answers (the names .run/env uses,
#                                 so `set -a; . .run/env; set +a` before start works)
#   PROMETHEUS_TARGETS=           overrides the four: "name=host:port ..." words, e.g.
#                                 "enrolment=127.0.0.1:18001 invitation=127.0.0.1:18002"
#   PROMETHEUS_RETENTION=7d       how long samples are kept
#   PROMETHEUS_START_TIMEOUT=30   seconds to wait for /-/ready
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TEMPLATE_DIR="$REPO_ROOT/deploy/prometheus"
RUN_DIR="$(realpath -m "${RUN_DIR:-$REPO_ROOT/.run}")" # absolute: it is in the pid check
PROM_DIR="$RUN_DIR/prometheus"
CONF="$PROM_DIR/prometheus.yml"
TARGETS="$PROM_DIR/targets/onboarding.yml"
DATA="$PROM_DIR/data"
LOG="$PROM_DIR/prometheus.log"
PIDFILE="$PROM_DIR/prometheus.pid"

PROMETHEUS_PORT="${PROMETHEUS_PORT:-9090}"
PROMETHEUS_RETENTION="${PROMETHEUS_RETENTION:-7d}"
PROMETHEUS_START_TIMEOUT="${PROMETHEUS_START_TIMEOUT:-30}"
SERVICES=(enrolment invitation notification registration)
declare -A DEFAULT_PORTS=([enrolment]=8001 [invitation]=8002 [notification]=8003 [registration]=8004)

log() { echo "prometheus.sh: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
# shellcheck source=deploy/local/processes.sh
. "$REPO_ROOT/deploy/local/processes.sh"

# --- binaries ----------------------------------------------------------------

find_binary() {
    local name="$1"
    command -v "$name" 2>/dev/null && return 0
    [[ -x "/usr/bin/$name" ]] && echo "/usr/bin/$name"
    return 0
}

have_binaries() {
    PROMETHEUS="$(find_binary prometheus)"
    PROMTOOL="$(find_binary promtool)"
    [[ -n "$PROMETHEUS" && -n "$PROMTOOL" ]]
}

# Debian's `prometheus` package ships both binaries (promtool too). It also enables a
# systemd service of its own on :9090 with /var/lib/prometheus; that is not the server we
# use, so where systemd runs it is stopped and disabled right after the install.
ensure_binaries() {
    have_binaries && return 0
    log "prometheus not found; installing Debian's package"
    "$REPO_ROOT/deploy/local/debian.sh" prometheus:/usr/bin/promtool
    if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null; then
        log "disabling the Debian package's own prometheus.service (we run our own process)"
        if [[ "$(id -u)" -eq 0 ]]; then
            systemctl disable --now prometheus.service >/dev/null 2>&1 || true
        else
            sudo -n systemctl disable --now prometheus.service >/dev/null 2>&1 || true
        fi
    fi
    have_binaries || die "apt-get installed prometheus but prometheus/promtool are still missing"
    log "installed: $("$PROMETHEUS" --version 2>&1 | head -n 1)"
}

# --- config ------------------------------------------------------------------

# host:port of a service: from PROMETHEUS_TARGETS when set, else from <NAME>_URL.
target_lines() {
    local word name hostport url var
    if [[ -n "${PROMETHEUS_TARGETS:-}" ]]; then
        for word in $PROMETHEUS_TARGETS; do
            [[ "$word" == *=* ]] || die "PROMETHEUS_TARGETS word '$word' is not name=host:port"
            echo "${word%%=*} ${word#*=}"
        done
        return 0
    fi
    for name in "${SERVICES[@]}"; do
        var="${name^^}_URL"
        url="${!var:-http://127.0.0.1:${DEFAULT_PORTS[$name]}}"
        hostport="${url#*://}"
        echo "$name ${hostport%%/*}"
    done
}

# file_sd format. Written to a temp file and renamed, so Prometheus (which watches the
# file) never reads half of it.
write_targets() {
    mkdir -p "$(dirname "$TARGETS")"
    local name hostport lines tmp="$TARGETS.tmp"
    lines="$(target_lines)" # not `< <(target_lines)`: its `die` would not stop us there
    {
        echo "# Generated by deploy/local/prometheus.sh -- edits are overwritten."
        while read -r name hostport; do
            [[ "$name" =~ ^[a-z][a-z0-9_-]*$ ]] || die "invalid service name '$name'"
            [[ "$hostport" =~ ^[A-Za-z0-9._-]+:[0-9]+$ ]] || die "invalid target '$hostport' for $name"
            echo "- targets: [\"$hostport\"]"
            echo "  labels: {service: $name}"
        done <<<"$lines"
    } >"$tmp"
    mv -f "$tmp" "$TARGETS"
}

write_config() {
    mkdir -p "$PROM_DIR"
    {
        echo "# Generated by deploy/local/prometheus.sh from deploy/prometheus/prometheus.yml"
        echo "# -- edits are overwritten on start."
        cat "$TEMPLATE_DIR/prometheus.yml"
    } >"$CONF"
    ln -sfn "$TEMPLATE_DIR/rules" "$PROM_DIR/rules"
    write_targets
}

# --- process -----------------------------------------------------------------

# Pid of our server, or nothing. Checks the command line, so a stale pid file whose pid
# was recycled (or a system Prometheus) is not mistaken for ours.
running_pid() { pid_from_file "$PIDFILE" "--config.file=$CONF"; }

# 200 from /-/ready: the TSDB is open and the first config loaded. Plain bash, so curl
# need not be installed.
ready() {
    (
        exec 3<>"/dev/tcp/127.0.0.1/$PROMETHEUS_PORT" || exit 1
        printf 'GET /-/ready HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
        local status
        read -r -t 2 status <&3 || exit 1
        [[ "$status" == *" 200 "* ]]
    ) 2>/dev/null
}

cmd_start() {
    ensure_binaries
    local pid
    pid="$(running_pid)"
    if [[ -n "$pid" ]]; then
        write_targets # picked up without a restart
        log "already running (pid $pid) on 127.0.0.1:$PROMETHEUS_PORT"
        return 0
    fi
    port_open "$PROMETHEUS_PORT" \
        && die "port $PROMETHEUS_PORT on 127.0.0.1 is already in use (a system Prometheus?); set PROMETHEUS_PORT"
    write_config
    "$PROMTOOL" check config "$CONF" >"$PROM_DIR/check.log" 2>&1 \
        || { cat "$PROM_DIR/check.log" >&2; die "config $CONF is not valid"; }
    mkdir -p "$DATA"
    [[ -f "$LOG" ]] && mv -f "$LOG" "$LOG.prev"
    # setsid: own session, so the server outlives this shell and Ctrl-C aimed at the
    # caller. Not a process-group leader here, so setsid execs in place and $! is its pid.
    setsid "$PROMETHEUS" \
        --config.file="$CONF" \
        --storage.tsdb.path="$DATA" \
        --storage.tsdb.retention.time="$PROMETHEUS_RETENTION" \
        --web.listen-address="127.0.0.1:$PROMETHEUS_PORT" \
        --web.enable-lifecycle \
        </dev/null >"$LOG" 2>&1 &
    pid=$!
    echo "$pid" >"$PIDFILE"
    log "starting (pid $pid), waiting up to ${PROMETHEUS_START_TIMEOUT}s..."
    local deadline=$((SECONDS + PROMETHEUS_START_TIMEOUT))
    while ((SECONDS < deadline)); do
        if ! alive "$pid"; then
            log "prometheus exited during startup; last log lines:"
            tail -n 30 "$LOG" >&2 || true
            rm -f "$PIDFILE"
            exit 1
        fi
        if ready; then
            log "ready on http://127.0.0.1:$PROMETHEUS_PORT (pid $pid, log $LOG)"
            return 0
        fi
        sleep 0.3
    done
    log "not ready after ${PROMETHEUS_START_TIMEOUT}s; last log lines:"
    tail -n 30 "$LOG" >&2 || true
    log "leaving pid $pid running for inspection; run '$0 stop' to kill it"
    exit 1
}

cmd_stop() {
    local pid
    pid="$(running_pid)"
    if [[ -z "$pid" ]]; then
        log "not running"
        rm -f "$PIDFILE"
        return 0
    fi
    # SIGTERM: Prometheus finishes rule evaluations and closes the TSDB cleanly.
    stop_process "$pid" 10
    rm -f "$PIDFILE"
    log "stopped (pid $pid)"
}

cmd_status() {
    local pid
    pid="$(running_pid)"
    if [[ -n "$pid" ]]; then
        echo "prometheus running (pid $pid) on http://127.0.0.1:$PROMETHEUS_PORT"
        return 0
    fi
    echo "prometheus not running"
    return 1
}

# No `a && b` below: inside such a list bash ignores `set -e` in a and its functions.
case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    restart)
        cmd_stop
        cmd_start
        ;;
    install) ensure_binaries ;;
    config)
        write_config
        log "wrote $CONF and $TARGETS"
        ;;
    *)
        echo "usage: $0 start|stop|status|restart|install|config" >&2
        exit 2
        ;;
esac
