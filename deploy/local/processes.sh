# Process helpers the local servers' scripts share (sourced: kafka.sh, prometheus.sh,
# postgres.sh). Each script defines `log` before sourcing this.

# The pid in a pid file, when that process is alive and its command line holds `marker`
# (a fixed string): a pid reused by another process is not ours. Nothing otherwise.
pid_from_file() {
    local pidfile="$1" marker="$2" pid
    [[ -f "$pidfile" ]] || return 0
    pid="$(cat "$pidfile")"
    [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] || return 0
    if tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$marker"; then
        echo "$pid"
    fi
}

# kill -0 also succeeds on a zombie (exited, not yet reaped by init), which would make a
# stop wait forever; check the process state too.
alive() {
    local state
    state="$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)" || return 1
    [[ -n "$state" && "$state" != Z ]]
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# SIGTERM, then up to `grace_s` seconds for the process to end, then SIGKILL.
stop_process() {
    local pid="$1" grace_s="$2" i
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < grace_s * 5; i++)); do
        alive "$pid" || return 0
        sleep 0.2
    done
    log "still alive after ${grace_s}s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    while alive "$pid"; do sleep 0.2; done
}
