#!/usr/bin/env bash
# Run a throwaway single-node Elasticsearch 8.x on loopback, for tests and CI.
#
#   scripts/elasticsearch.sh start    # start (or reuse) the node; last stdout line is its URL
#   scripts/elasticsearch.sh status   # print the URL and exit 0 if the node is healthy
#   scripts/elasticsearch.sh stop     # stop the node and wait until its JVM is gone
#   scripts/elasticsearch.sh cluster-start N   # N nodes forming one cluster on loopback; prints
#                                              # the N URLs, comma-separated, as its last line
#   scripts/elasticsearch.sh cluster-stop N    # stop them (node i alone: BRANDMON_ES_INSTANCE=<name>-n<i> stop)
#   scripts/elasticsearch.sh cluster-status N
#
# The distribution is Elastic's "integ-test-zip" from Maven Central (no bundled JDK, only a
# handful of modules), fetched with Maven and cached outside the repo. Environment knobs:
#   ES_VERSION                  Elasticsearch version (default pinned below)
#   BRANDMON_CACHE              download/unpack cache root (default ~/.cache/brandmon)
#   BRANDMON_ES_RUN             node state: config, data, logs, pid and port files
#                               (default: $BRANDMON_CACHE/es-run; as root /var/lib/brandmon-es/es-run,
#                               because the unprivileged node user cannot enter /root)
#   BRANDMON_ES_INSTANCE        a name for a second, independent node (own run dir es-run-NAME next
#                               to the default one, own port): a test may stop and start it while
#                               the default node serves everyone else
#   BRANDMON_ES_CLUSTER         the cluster's name for cluster-* (default brandmon-cluster); node i is
#                               instance <name>-n<i> with its own run dir, HTTP and transport port
#   BRANDMON_ES_USER            user that runs the node when invoked as root (default brandmon-es)
#   BRANDMON_ES_HEAP            JVM heap (default 512m)
#   BRANDMON_ES_START_TIMEOUT   seconds to wait for yellow/green health (default 120)
#   BRANDMON_ES_STOP_TIMEOUT    seconds to wait after SIGTERM before SIGKILL (default 30)
#   ES_JAVA_HOME                JDK to run on (default: the one behind `java` on PATH)
#   ES_JAVA_OPTS                extra JVM options, passed through
set -euo pipefail

ES_VERSION="${ES_VERSION:-8.19.9}"
ES_ARTIFACT="org.elasticsearch.distribution.integ-test-zip:elasticsearch:${ES_VERSION}:zip"

CACHE_ROOT="${BRANDMON_CACHE:-$HOME/.cache/brandmon}"
ES_CACHE="$CACHE_ROOT/elasticsearch/$ES_VERSION"
DIST_DIR="$ES_CACHE/elasticsearch-$ES_VERSION"   # pristine unpacked distribution

ES_USER="${BRANDMON_ES_USER:-brandmon-es}"
ES_USER_HOME="/var/lib/$ES_USER"
if [[ $EUID -eq 0 ]]; then AS_ROOT=1; else AS_ROOT=0; fi
RUN_NAME="es-run${BRANDMON_ES_INSTANCE:+-$BRANDMON_ES_INSTANCE}"
[[ $RUN_NAME =~ ^[A-Za-z0-9_.-]+$ ]] || { echo "elasticsearch.sh: bad BRANDMON_ES_INSTANCE" >&2; exit 2; }
if ((AS_ROOT)); then
    RUN_DIR="${BRANDMON_ES_RUN:-$ES_USER_HOME/$RUN_NAME}"
else
    RUN_DIR="${BRANDMON_ES_RUN:-$CACHE_ROOT/$RUN_NAME}"
fi

HEAP="${BRANDMON_ES_HEAP:-512m}"
START_TIMEOUT="${BRANDMON_ES_START_TIMEOUT:-120}"
STOP_TIMEOUT="${BRANDMON_ES_STOP_TIMEOUT:-30}"
CLUSTER_NAME="brandmon-test"
# set by cluster-start for each node it starts: node i of n, transport ports from TRANSPORT_BASE
CLUSTER_SIZE="${BRANDMON_ES_CLUSTER_SIZE:-1}"
CLUSTER_NODE="${BRANDMON_ES_CLUSTER_NODE:-1}"
TRANSPORT_BASE="${BRANDMON_ES_TRANSPORT_BASE:-}"
if ((CLUSTER_SIZE > 1)); then CLUSTER_NAME="${BRANDMON_ES_CLUSTER:-brandmon-cluster}"; fi

CONF_DIR="$RUN_DIR/config"
DATA_DIR="$RUN_DIR/data"
LOG_DIR="$RUN_DIR/logs"
TMP_DIR="$RUN_DIR/tmp"
PID_FILE="$RUN_DIR/es.pid"
PORT_FILE="$RUN_DIR/port"
VERSION_FILE="$RUN_DIR/version"
LAUNCH_LOG="$LOG_DIR/launcher.log"
ES_LOG="$LOG_DIR/$CLUSTER_NAME.log"

# As root the node needs its own readable copy of the distribution (the cache may sit in
# /root, which other users cannot enter); otherwise run straight from the cache.
if ((AS_ROOT)); then ES_HOME="$RUN_DIR/home"; else ES_HOME="$DIST_DIR"; fi

log() { echo "elasticsearch.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }

# ---------------------------------------------------------------- helpers

url() { echo "http://127.0.0.1:$(cat "$PORT_FILE")"; }

# Is process $1 alive (and not a zombie awaiting its reaper)?
pid_alive() {
    local stat
    stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
    [[ ${stat##*) } != Z* ]]
}

# PID of our node from the pid file, if that process is alive.
node_pid() {
    local pid
    [[ -s $PID_FILE ]] || return 1
    pid="$(cat "$PID_FILE" 2>/dev/null)" || return 1
    [[ $pid =~ ^[0-9]+$ ]] && pid_alive "$pid" || return 1
    echo "$pid"
}

# Live JVMs carrying our run-dir marker (see write_config); catches a node whose pid file
# is missing or stale.
MARKER="-Dbrandmon.es.run=$RUN_DIR"
node_pids_by_marker() {
    local d args
    for d in /proc/[0-9]*; do
        args="$(tr '\0' '\n' 2>/dev/null <"$d/cmdline")" || continue
        [[ $'\n'$args$'\n' == *$'\n'"$MARKER"$'\n'* ]] && echo "${d#/proc/}"
    done
    return 0
}

healthy() {
    local health
    [[ -s $PORT_FILE ]] && node_pid >/dev/null || return 1
    health="$(curl -fsS --max-time 5 "$(url)/_cluster/health?wait_for_status=yellow&timeout=1s" 2>/dev/null)" ||
        return 1
    [[ $health =~ \"status\":\"(green|yellow)\" ]]
}

print_log_tail() {
    local f
    for f in "$LAUNCH_LOG" "$ES_LOG"; do
        [[ -s $f ]] || continue
        echo "----- tail of $f -----" >&2
        tail -n 60 "$f" >&2
    done
}

# Serialise start/stop on one run dir (parallel test workers, CI retries).
take_lock() {
    mkdir -p "$RUN_DIR"
    exec 9>"$RUN_DIR/.lock"
    flock -w 300 9 || die "timed out waiting for lock $RUN_DIR/.lock"
}

# Run a command as the node user (root only; Elasticsearch refuses to run as root).
as_node_user() {
    if ((AS_ROOT)); then runuser -u "$ES_USER" -- "$@"; else "$@"; fi
}

# Is TCP port $1 on 127.0.0.1 free to listen on?
port_free() {
    if command -v python3 >/dev/null; then
        python3 - "$1" <<'EOF'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # same as Elasticsearch
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
EOF
    else
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 1; fi
    fi
}

# Reuse the last port if still free (stable URL), else the first free one from 9200 up.
pick_port() {
    local p
    if [[ -n ${BRANDMON_ES_HTTP_PORT:-} ]]; then echo "$BRANDMON_ES_HTTP_PORT"; return; fi
    if [[ -s $PORT_FILE ]] && port_free "$(cat "$PORT_FILE")"; then cat "$PORT_FILE"; return; fi
    for ((p = 9200; p < 9300; p++)); do
        if port_free "$p"; then echo "$p"; return; fi
    done
    die "no free port in 9200-9299 on 127.0.0.1"
}

# ---------------------------------------------------------------- setup steps

ensure_tools() {
    local missing=()
    command -v java >/dev/null || [[ -n ${ES_JAVA_HOME:-} ]] || missing+=(openjdk-17-jre-headless)
    command -v mvn >/dev/null || [[ -x $DIST_DIR/bin/elasticsearch ]] || missing+=(maven)
    command -v curl >/dev/null || missing+=(curl)
    command -v flock >/dev/null || missing+=(util-linux)
    if ((${#missing[@]})); then
        if ! ((AS_ROOT)) || ! command -v apt-get >/dev/null; then
            die "missing tools; install: ${missing[*]}"
        fi
        log "installing ${missing[*]}"
        apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
    fi
    if [[ -z ${ES_JAVA_HOME:-} ]]; then
        ES_JAVA_HOME="$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")"
    fi
    [[ -x $ES_JAVA_HOME/bin/java ]] || die "ES_JAVA_HOME=$ES_JAVA_HOME has no bin/java"
    export ES_JAVA_HOME
}

# Download (Maven Central) and unpack the distribution into the cache, once per version.
fetch_distribution() {
    [[ -x $DIST_DIR/bin/elasticsearch ]] && return
    mkdir -p "$ES_CACHE/download"
    exec 8>"$ES_CACHE/.lock"
    flock -w 600 8 || die "timed out waiting for $ES_CACHE/.lock"
    if [[ ! -x $DIST_DIR/bin/elasticsearch ]]; then
        local zip="$ES_CACHE/download/elasticsearch-$ES_VERSION.zip" tmp
        if [[ ! -s $zip ]]; then
            log "downloading $ES_ARTIFACT"
            if ! mvn -q -B dependency:copy -Dartifact="$ES_ARTIFACT" \
                -DoutputDirectory="$ES_CACHE/download" >"$ES_CACHE/download/mvn.log" 2>&1; then
                tail -n 30 "$ES_CACHE/download/mvn.log" >&2
                die "maven could not fetch $ES_ARTIFACT"
            fi
        fi
        log "unpacking into $DIST_DIR"
        tmp="$(mktemp -d "$ES_CACHE/unpack.XXXXXX")"
        if command -v unzip >/dev/null; then
            unzip -q "$zip" -d "$tmp"
        else # keep the executable bits unzip would restore
            python3 -c 'import os, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    for i in z.infolist():
        p = z.extract(i, sys.argv[2])
        if i.external_attr >> 16: os.chmod(p, (i.external_attr >> 16) & 0o7777)' "$zip" "$tmp"
        fi
        mv "$tmp/elasticsearch-$ES_VERSION" "$DIST_DIR"
        rm -rf "$tmp"
    fi
    exec 8>&-
}

ensure_node_user() {
    ((AS_ROOT)) || return 0
    id -u "$ES_USER" >/dev/null 2>&1 && return
    log "creating system user $ES_USER"
    useradd --system --user-group --home-dir "$ES_USER_HOME" --no-create-home \
        --shell /usr/sbin/nologin "$ES_USER"
}

# Lay out the run dir: distribution copy (root only), config, data, logs, tmp.
prepare_run_dir() {
    mkdir -p "$RUN_DIR"
    if [[ -s $VERSION_FILE && $(cat "$VERSION_FILE") != "$ES_VERSION" ]]; then
        log "run dir holds data of ES $(cat "$VERSION_FILE"); wiping it for $ES_VERSION"
        rm -rf "$DATA_DIR" "${RUN_DIR:?}/home"
    fi
    if ((AS_ROOT)) && [[ ! -x $ES_HOME/bin/elasticsearch ]]; then
        rm -rf "$ES_HOME"
        cp -a "$DIST_DIR" "$ES_HOME.tmp"
        mv "$ES_HOME.tmp" "$ES_HOME"
    fi
    echo "$ES_VERSION" >"$VERSION_FILE"
    # Fresh config, tmp and logs each start: distribution defaults (jvm.options, log4j2,
    # security files) plus our overrides from write_config. Data survives restarts.
    rm -rf "$CONF_DIR" "$TMP_DIR" "$LOG_DIR.prev"
    if [[ -d $LOG_DIR ]]; then mv "$LOG_DIR" "$LOG_DIR.prev"; fi  # keep one previous run's logs
    mkdir -p "$CONF_DIR" "$DATA_DIR" "$LOG_DIR" "$TMP_DIR"
    cp -r "$ES_HOME/config/." "$CONF_DIR/"
    mkdir -p "$CONF_DIR/jvm.options.d"
    rm -f "$PID_FILE"
    if ((AS_ROOT)); then
        chown -R "$ES_USER:$ES_USER" "$RUN_DIR"
        as_node_user test -w "$DATA_DIR" -a -r "$ES_HOME/lib/elasticsearch-$ES_VERSION.jar" ||
            die "user $ES_USER cannot use $RUN_DIR (is a parent directory private?); set BRANDMON_ES_RUN"
    fi
}

write_config() {
    local port="$1" discovery="discovery.type: single-node" transport="9300-9399" seeds=() masters=() i
    if ((CLUSTER_SIZE > 1)); then
        for ((i = 1; i <= CLUSTER_SIZE; i++)); do
            seeds+=("\"127.0.0.1:$((TRANSPORT_BASE + i - 1))\"")
            masters+=("\"$CLUSTER_NAME-n$i\"")
        done
        transport="$((TRANSPORT_BASE + CLUSTER_NODE - 1))"
        discovery="discovery.seed_hosts: [$(IFS=,; echo "${seeds[*]}")]
cluster.initial_master_nodes: [$(IFS=,; echo "${masters[*]}")]"
    fi
    cat >"$CONF_DIR/elasticsearch.yml" <<EOF
# Written by scripts/elasticsearch.sh: throwaway single-node test cluster on loopback.
cluster.name: $CLUSTER_NAME
node.name: $( ((CLUSTER_SIZE > 1)) && echo "$CLUSTER_NAME-n$CLUSTER_NODE" || echo brandmon-test-node)
path.data: $DATA_DIR
path.logs: $LOG_DIR
network.host: 127.0.0.1
http.port: $port
transport.port: $transport
$discovery
xpack.security.enabled: false
# A nearly full disk must not flip test indices to read-only.
cluster.routing.allocation.disk.threshold_enabled: false
action.destructive_requires_name: false
EOF
    # Small fixed heap, plus a marker that lets stop find the JVM without the pid file.
    printf -- '-Xms%s\n-Xmx%s\n%s\n' "$HEAP" "$HEAP" "$MARKER" >"$CONF_DIR/jvm.options.d/brandmon.options"
    ((AS_ROOT)) && chown -R "$ES_USER:$ES_USER" "$CONF_DIR"
    return 0
}

# Wait for yellow/green (a cluster node: for its HTTP port, the cluster forms once enough nodes
# are up); fail early if the JVM dies.
wait_healthy() {
    local deadline=$((SECONDS + START_TIMEOUT))
    while ((SECONDS < deadline)); do
        if ((CLUSTER_SIZE > 1)); then
            # any answer will do (without a master, health answers 503); the test distribution has no `GET /`
            [[ $(curl -sS -o /dev/null -w '%{http_code}' --max-time 5 "$(url)/_cluster/health" 2>/dev/null) != 000 ]] &&
                return 0
        else
            healthy && return 0
        fi
        node_pid >/dev/null || [[ -n $(node_pids_by_marker) ]] || { log "node process exited"; return 1; }
        sleep 1
    done
    log "node not healthy after ${START_TIMEOUT}s"
    return 1
}

# ---------------------------------------------------------------- subcommands

cmd_status() {
    if healthy; then url; return 0; fi
    log "not running or not healthy (run dir $RUN_DIR)"
    return 1
}

cmd_start() {
    take_lock
    if healthy; then url; return 0; fi
    if node_pid >/dev/null || [[ -n $(node_pids_by_marker) ]]; then
        log "a node from $RUN_DIR is running but unhealthy; restarting it"
        stop_node
    fi

    local t0=$SECONDS port
    ensure_tools
    fetch_distribution
    ensure_node_user
    prepare_run_dir
    port="$(pick_port)"
    echo "$port" >"$PORT_FILE"
    write_config "$port"

    log "starting Elasticsearch $ES_VERSION on 127.0.0.1:$port (run dir $RUN_DIR)"
    : >"$LAUNCH_LOG"
    local runner=()
    if ((AS_ROOT)); then
        chown "$ES_USER:$ES_USER" "$LAUNCH_LOG"
        runner=(runuser -u "$ES_USER" --)
    fi
    # -d daemonises once the node is up; setsid keeps it out of our process group; stdio
    # goes to a file (callers capturing our stdout must not wait on the daemon) and the
    # lock fd is not inherited.
    if ! (cd "$LOG_DIR" && setsid -w ${runner[@]+"${runner[@]}"} env \
        ES_JAVA_HOME="$ES_JAVA_HOME" ES_PATH_CONF="$CONF_DIR" ES_TMPDIR="$TMP_DIR" \
        ES_JAVA_OPTS="${ES_JAVA_OPTS:-}" \
        "$ES_HOME/bin/elasticsearch" -d -p "$PID_FILE" \
        </dev/null >>"$LAUNCH_LOG" 2>&1 9>&-); then
        log "Elasticsearch failed to start"
        print_log_tail
        stop_node
        exit 1
    fi
    if ! wait_healthy; then
        print_log_tail
        stop_node
        exit 1
    fi
    log "healthy after $((SECONDS - t0))s"
    url
}

# Those of the given PIDs that are still alive.
alive() {
    local pid
    for pid; do if pid_alive "$pid"; then echo "$pid"; fi; done
}

# TERM every process of our node, KILL whatever survives the grace period.
stop_node() {
    local pids all pid deadline
    mapfile -t pids < <( (node_pid || true; node_pids_by_marker) | sort -u)
    if ((${#pids[@]} == 0)); then rm -f "$PID_FILE"; return 0; fi
    all=("${pids[@]}")
    log "stopping Elasticsearch (pid ${pids[*]})"
    kill -TERM "${pids[@]}" 2>/dev/null || true
    deadline=$((SECONDS + STOP_TIMEOUT))
    while ((${#pids[@]} && SECONDS < deadline)); do
        sleep 0.5
        mapfile -t pids < <(alive "${pids[@]}")
    done
    if ((${#pids[@]})); then
        log "still running after ${STOP_TIMEOUT}s; sending SIGKILL to ${pids[*]}"
        kill -KILL "${pids[@]}" 2>/dev/null || true
        deadline=$((SECONDS + 10))
        while ((${#pids[@]} && SECONDS < deadline)); do
            sleep 0.5
            mapfile -t pids < <(alive "${pids[@]}")
        done
        ((${#pids[@]} == 0)) || die "could not kill ${pids[*]}"
    fi
    # Give init a moment to reap the exited JVMs so no <defunct> entry lingers.
    for _ in {1..20}; do
        [[ -n $(for pid in "${all[@]}"; do [[ -e /proc/$pid ]] && echo "$pid"; done) ]] || break
        sleep 0.1
    done
    rm -f "$PID_FILE"
}

cmd_stop() {
    take_lock
    stop_node
    log "stopped"
}

# ---------------------------------------------------------------- clusters

cluster_each() {
    local n="$1" i
    shift
    for ((i = 1; i <= n; i++)); do
        BRANDMON_ES_INSTANCE="${BRANDMON_ES_CLUSTER:-brandmon-cluster}-n$i" "$0" "$@"
    done
}

# The first of $2 consecutive free ports from $1 up.
free_ports() {
    local base i ok
    for ((base = $1; base < $1 + 100; base += $2)); do
        ok=1
        for ((i = 0; i < $2; i++)); do port_free $((base + i)) || { ok=0; break; }; done
        ((ok)) && { echo "$base"; return; }
    done
    die "no $2 free consecutive ports from $1"
}

# Start the n nodes side by side (each alone would wait for a quorum), then wait for the cluster.
cmd_cluster_start() {
    local n="$1" http transport i pids=() out first urls=()
    ((n >= 2)) || die "cluster-start needs at least 2 nodes"
    # the same ports every time, so a node stopped alone (by a test) rejoins with cluster-start
    local ports_file="$(dirname "$RUN_DIR")/${BRANDMON_ES_CLUSTER:-brandmon-cluster}.ports"
    if [[ -s $ports_file ]]; then
        read -r http transport <"$ports_file"
    else
        http="$(free_ports 9250 "$n")"
        transport="$(free_ports 9400 "$n")"
        mkdir -p "$(dirname "$ports_file")"
        echo "$http $transport" >"$ports_file"
    fi
    out="$(mktemp -d)"
    for ((i = 1; i <= n; i++)); do
        BRANDMON_ES_INSTANCE="${BRANDMON_ES_CLUSTER:-brandmon-cluster}-n$i" BRANDMON_ES_CLUSTER_SIZE="$n" \
            BRANDMON_ES_CLUSTER_NODE="$i" BRANDMON_ES_TRANSPORT_BASE="$transport" \
            BRANDMON_ES_HTTP_PORT=$((http + i - 1)) "$0" start >"$out/$i" &
        pids+=($!)
    done
    for i in "${!pids[@]}"; do wait "${pids[$i]}" || die "node $((i + 1)) did not start"; done
    for ((i = 1; i <= n; i++)); do urls+=("$(tail -n 1 "$out/$i")"); done
    rm -rf "$out"
    first="${urls[0]}"
    local deadline=$((SECONDS + START_TIMEOUT))
    until curl -fsS --max-time 10 "$first/_cluster/health?wait_for_nodes=$n&wait_for_status=green&timeout=5s" \
        2>/dev/null | grep -q '"timed_out":false'; do
        ((SECONDS < deadline)) || die "cluster of $n nodes not formed after ${START_TIMEOUT}s"
        sleep 1
    done
    log "cluster of $n nodes is green"
    (IFS=,; echo "${urls[*]}")
}

case "${1:-}" in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
cluster-start) cmd_cluster_start "${2:?number of nodes}" ;;
cluster-stop) cluster_each "${2:?number of nodes}" stop ;;
cluster-status) cluster_each "${2:?number of nodes}" status | paste -sd, - ;;
*)
    echo "usage: $0 start|stop|status|cluster-start N|cluster-stop N|cluster-status N" >&2
    exit 2
    ;;
esac
