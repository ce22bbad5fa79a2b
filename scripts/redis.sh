#!/usr/bin/env bash
# Run a throwaway Redis on loopback (the shared crawl frontier, crawl.frontier.redis_url), for tests and CI.
#
#   scripts/redis.sh start    # start (or reuse) the server; last stdout line is its URL (redis://127.0.0.1:PORT/0)
#   scripts/redis.sh status   # print the URL and exit 0 if it answers PING
#   scripts/redis.sh stop     # stop it (SHUTDOWN, then SIGKILL after BRANDMON_REDIS_STOP_TIMEOUT) and wait
#
# The server is Debian's `redis-server` package (installed with apt when missing and run as root). It
# listens on 127.0.0.1 only, runs as an unprivileged user when started by root, and keeps its files
# outside the clone. Environment knobs:
#   BRANDMON_CACHE              cache root (default ~/.cache/brandmon)
#   BRANDMON_REDIS_RUN          run dir: data, log, pid and port files (default $BRANDMON_CACHE/redis-run;
#                               as root /var/lib/brandmon-redis/redis-run)
#   BRANDMON_REDIS_INSTANCE     a name for another, independent server (own run dir and port)
#   BRANDMON_REDIS_PORT         port to use (default: the last one if free, else the first free from 6390)
#   BRANDMON_REDIS_USER         user that runs the server when invoked as root (default brandmon-redis)
#   BRANDMON_REDIS_STOP_TIMEOUT seconds to wait for a clean shutdown (default 10)
set -euo pipefail

CACHE_ROOT="${BRANDMON_CACHE:-$HOME/.cache/brandmon}"
REDIS_USER="${BRANDMON_REDIS_USER:-brandmon-redis}"
REDIS_USER_HOME="/var/lib/$REDIS_USER"
if [[ $EUID -eq 0 ]]; then AS_ROOT=1; else AS_ROOT=0; fi
RUN_NAME="redis-run${BRANDMON_REDIS_INSTANCE:+-$BRANDMON_REDIS_INSTANCE}"
[[ $RUN_NAME =~ ^[A-Za-z0-9_.-]+$ ]] || { echo "redis.sh: bad BRANDMON_REDIS_INSTANCE" >&2; exit 2; }
if ((AS_ROOT)); then RUN_DIR="${BRANDMON_REDIS_RUN:-$REDIS_USER_HOME/$RUN_NAME}"
else RUN_DIR="${BRANDMON_REDIS_RUN:-$CACHE_ROOT/$RUN_NAME}"; fi
PID_FILE="$RUN_DIR/redis.pid"
PORT_FILE="$RUN_DIR/port"
LOG_FILE="$RUN_DIR/redis.log"
STOP_TIMEOUT="${BRANDMON_REDIS_STOP_TIMEOUT:-10}"

log() { echo "redis.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }

url() { echo "redis://127.0.0.1:$(cat "$PORT_FILE")/0"; }

server_pid() {
    local pid
    [[ -s $PID_FILE ]] || return 1
    pid="$(cat "$PID_FILE" 2>/dev/null)" || return 1
    [[ $pid =~ ^[0-9]+$ && -e /proc/$pid ]] && [[ $(cat "/proc/$pid/comm" 2>/dev/null) == redis-server* ]] || return 1
    echo "$pid"
}

answers() {
    [[ -s $PORT_FILE ]] && server_pid >/dev/null || return 1
    [[ $(redis-cli -h 127.0.0.1 -p "$(cat "$PORT_FILE")" ping 2>/dev/null) == PONG ]]
}

take_lock() {
    mkdir -p "$RUN_DIR"
    exec 9>"$RUN_DIR/.lock"
    flock -w 120 9 || die "timed out waiting for lock $RUN_DIR/.lock"
}

port_free() {
    python3 - "$1" <<'EOF'
import socket, sys
s = socket.socket()
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
EOF
}

pick_port() {
    local p
    if [[ -n ${BRANDMON_REDIS_PORT:-} ]]; then echo "$BRANDMON_REDIS_PORT"; return; fi
    if [[ -s $PORT_FILE ]] && port_free "$(cat "$PORT_FILE")"; then cat "$PORT_FILE"; return; fi
    for ((p = 6390; p < 6490; p++)); do
        if port_free "$p"; then echo "$p"; return; fi
    done
    die "no free port in 6390-6489 on 127.0.0.1"
}

ensure_server() {
    command -v redis-server >/dev/null && return
    if ((AS_ROOT)) && command -v apt-get >/dev/null; then
        log "installing Debian's redis-server"
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server) >/dev/null 2>&1 ||
            die "could not install redis-server with apt-get"
        # the package's own system service is not ours to run: tests start their own servers
        systemctl disable --now redis-server >/dev/null 2>&1 || true
    else
        die "redis-server is not installed (Debian: apt-get install redis-server)"
    fi
}

ensure_user() {
    ((AS_ROOT)) || return 0
    id -u "$REDIS_USER" >/dev/null 2>&1 && return
    log "creating system user $REDIS_USER"
    useradd --system --user-group --home-dir "$REDIS_USER_HOME" --no-create-home --shell /usr/sbin/nologin "$REDIS_USER"
}

cmd_start() {
    take_lock
    if answers; then url; return 0; fi
    stop_server
    ensure_server
    ensure_user
    local port runner=()
    port="$(pick_port)"
    echo "$port" >"$PORT_FILE"
    mkdir -p "$RUN_DIR/data"
    : >"$LOG_FILE"
    if ((AS_ROOT)); then
        chown -R "$REDIS_USER:$REDIS_USER" "$RUN_DIR"
        runner=(runuser -u "$REDIS_USER" --)
    fi
    log "starting redis-server on 127.0.0.1:$port (run dir $RUN_DIR)"
    # append-only file fsynced every second: the frontier survives a restart of the server
    (cd "$RUN_DIR" && ${runner[@]+"${runner[@]}"} redis-server --bind 127.0.0.1 --port "$port" --protected-mode yes \
        --daemonize yes --pidfile "$PID_FILE" --logfile "$LOG_FILE" --dir "$RUN_DIR/data" \
        --save "" --appendonly yes --appendfsync everysec 9>&-) || die "redis-server failed to start"
    for _ in $(seq 1 100); do
        if answers; then url; return 0; fi
        sleep 0.1
    done
    tail -n 30 "$LOG_FILE" >&2 || true
    die "redis-server did not answer PING within 10 s"
}

stop_server() {
    local pid
    pid="$(server_pid)" || { rm -f "$PID_FILE"; return 0; }
    log "stopping redis-server (pid $pid)"
    redis-cli -h 127.0.0.1 -p "$(cat "$PORT_FILE")" shutdown >/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < STOP_TIMEOUT * 10; i++)); do
        [[ -e /proc/$pid ]] || break
        sleep 0.1
    done
    if [[ -e /proc/$pid ]]; then kill -KILL "$pid" 2>/dev/null || true; sleep 0.2; fi
    rm -f "$PID_FILE"
}

case "${1:-}" in
    start) cmd_start ;;
    stop) take_lock; stop_server; log "stopped" ;;
    status) if answers; then url; else log "not running (run dir $RUN_DIR)"; exit 1; fi ;;
    *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
