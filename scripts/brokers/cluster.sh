# shellcheck shell=bash
# `cluster ...`: a three-node RabbitMQ cluster, stomper-c1..c3@localhost beside the
# default nodes, sharing nothing with them but epmd (which must never be killed while any
# node is registered). Everything lives under $CLUSTER_DIR:
#   .erlang.cookie   shared by the nodes and by our rabbitmqctl calls (HOME points here)
#   cN/              node N's rabbitmq-env.conf, rabbitmq.conf, enabled_plugins (from
#                    templates/cluster/), mnesia/
#   logs/cN.log      node N's console log (kept by `cluster stop`, fresh per launch)
#   run/cN.pid       pid file, as for the default peers
# Measured here (2 shared cores, RabbitMQ 3.10.8): cold start 24-25 s (boot in parallel
# 15-17 s, then two joins of 3-4 s each); start of a whole cluster ~1 s; kill 0.2-0.5 s;
# revive and rejoin 7-9 s; stop 1.7 s; 125-155 MiB RSS per node. A client on the killed
# node sees EOF and is on another node ~50 ms later; if the node led a quorum queue,
# SENDs with receipts during the election drop the connection once or twice more
# (RabbitMQ's STOMP plugin crashes on the publisher nack), settled after ~0.5 s.

CLUSTER_DIR=${STOMPER_CLUSTER_DIR:-/tmp/stomper-cluster}
CLUSTER_TIMEOUT=${STOMPER_CLUSTER_TIMEOUT:-120}
CLUSTER_NODES=(1 2 3)
# Node N: AMQP 5700+N, Erlang distribution 25700+N, STOMP 61700+N. The default nodes
# hold 5672, 25672-25673 and 61613-61614; their CLIs take 35672-35682, ours 35701-35720.
for n in "${CLUSTER_NODES[@]}"; do PORTS["c$n"]="$((5700 + n)) $((61700 + n))"; done
unset n

cluster_node() { echo "stomper-c$1@localhost"; }

# The default peers' helpers (peer_pid, launch, wait_ready, stop_peer, show_log) see
# LOGS, RUN and TIMEOUT through bash's dynamic scoping: run them with the cluster's.
in_cluster() {
  # shellcheck disable=SC2034 # read by common.sh's helpers, not here
  local LOGS=$CLUSTER_DIR/logs RUN=$CLUSTER_DIR/run TIMEOUT=$CLUSTER_TIMEOUT
  "$@"
}

# Its own lock (fd 8), so a cluster start (half a minute) does not hold up `start`.
CLUSTER_LOCKED=""
cluster_lock() {
  [[ -n $CLUSTER_LOCKED ]] && return 0
  mkdir -p "$CLUSTER_DIR"
  exec 8>"$CLUSTER_DIR/.lock"
  flock -w "$((CLUSTER_TIMEOUT * 2))" 8 || die "another brokers.sh holds $CLUSTER_DIR/.lock"
  CLUSTER_LOCKED=1
}

# rabbitmqctl for node N. Not the /usr/sbin wrapper: it switches to the rabbitmq user,
# whose HOME holds the default nodes' cookie. The node's env file keeps the CLI's
# distribution on loopback and on its own ports; -n takes the full name (a bare
# `stomper-c1` would get the machine's hostname appended).
cluster_ctl() {
  local n=$1; shift
  HOME=$CLUSTER_DIR RABBITMQ_CONF_ENV_FILE=$CLUSTER_DIR/c$n/rabbitmq-env.conf \
    timeout 60 /usr/lib/rabbitmq/bin/rabbitmqctl -q -n "$(cluster_node "$n")" "$@"
}

# The running members as node N sees them, one per line; fails if N does not answer.
# Plain grep rather than jq, which a fresh machine may lack.
cluster_running() {
  local json
  json=$(cluster_ctl "$1" cluster_status --formatter json 2>/dev/null) || return 1
  grep -o '"running_nodes":\[[^]]*\]' <<<"$json" | grep -o 'stomper-c[0-9]*@localhost'
}

cluster_write_config() {
  local n dir common
  common=$(render rabbitmq/common.conf) || exit 1
  mkdir -p "$CLUSTER_DIR"
  # The same cookie for every node and the CLI; Erlang refuses one that group or others
  # can read. Kept across starts, so a CLI started just before a restart still fits.
  if [[ ! -s $CLUSTER_DIR/.erlang.cookie ]]; then
    # shellcheck disable=SC2019 # ASCII letters only, whatever the locale
    (umask 077 && head -c 64 /dev/urandom | base64 | tr -dc 'A-Z' | head -c 20 >"$CLUSTER_DIR/.erlang.cookie")
  fi
  for n in "${CLUSTER_NODES[@]}"; do
    dir=$CLUSTER_DIR/c$n
    mkdir -p "$dir/mnesia" "$dir/log"
    # Only STOMP: the default enabled_plugins also has web_stomp, whose port would clash.
    render cluster/enabled_plugins >"$dir/enabled_plugins"
    # RABBITMQ_CONF_ENV_FILE points here, for the server and the CLI alike; without it a
    # node silently reads /etc/rabbitmq/rabbitmq-env.conf and becomes rabbit@localhost.
    render cluster/rabbitmq-env.conf N="$n" NODENAME="$(cluster_node "$n")" DIR="$dir" \
      NODE_PORT=$((5700 + n)) DIST_PORT=$((25700 + n)) >"$dir/rabbitmq-env.conf"
    render cluster/rabbitmq.conf N="$n" NODE_PORT=$((5700 + n)) STOMP_PORT=$((61700 + n)) \
      COMMON="$common" >"$dir/rabbitmq.conf"
  done
  chown -R rabbitmq:rabbitmq "$CLUSTER_DIR"
  chmod 400 "$CLUSTER_DIR/.erlang.cookie"
  chmod 755 "$CLUSTER_DIR"
}

# Like launch_rabbit, with the cluster's HOME (for the cookie) and env file. The
# subshell closes fd 8: a node must not hold the cluster lock for its lifetime.
cluster_launch() {
  local n=$1
  (cd "$CLUSTER_DIR" && exec 8>&- && in_cluster launch "c$n" \
    setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups \
    env HOME="$CLUSTER_DIR" USER=rabbitmq LOGNAME=rabbitmq \
    RABBITMQ_CONF_ENV_FILE="$CLUSTER_DIR/c$n/rabbitmq-env.conf" \
    /usr/lib/rabbitmq/bin/rabbitmq-server)
}

cluster_wipe() {
  local n
  for n in "${CLUSTER_NODES[@]}"; do rm -rf "$CLUSTER_DIR/c$n/mnesia" "$CLUSTER_DIR/c$n/log"; done
}

# Whether every node is up and node 1..3 (the first that answers) counts 3 running.
cluster_whole() {
  local n running
  for n in "${CLUSTER_NODES[@]}"; do
    in_cluster peer_pid "c$n" >/dev/null && peer_up "c$n" || return 1
  done
  for n in "${CLUSTER_NODES[@]}"; do
    if running=$(cluster_running "$n"); then
      [[ $(grep -c . <<<"$running") == "${#CLUSTER_NODES[@]}" ]]
      return
    fi
  done
  return 1
}

# Waits until node N counts every node as running (it rejoined), up to the time limit.
cluster_wait_joined() {
  local n=$1 deadline=$((SECONDS + CLUSTER_TIMEOUT)) running=""
  while ((SECONDS < deadline)); do
    in_cluster peer_pid "c$n" >/dev/null || { in_cluster show_log "c$n"; return 1; }
    if running=$(cluster_running "$n") && [[ $(grep -c . <<<"$running") == "${#CLUSTER_NODES[@]}" ]]; then
      return 0
    fi
    sleep 0.5
  done
  log "cluster: node $n sees only [$(paste -sd ' ' <<<"$running")] running after ${CLUSTER_TIMEOUT} s"
  in_cluster show_log "c$n"
  return 1
}

cluster_stop_nodes() {
  local n pids=() stopped=""
  for n in "${CLUSTER_NODES[@]}"; do
    if in_cluster peer_pid "c$n" >/dev/null; then
      stopped+=" c$n"
      in_cluster stop_peer "c$n" & pids+=($!)
    else
      rm -f "$CLUSTER_DIR/run/c$n.pid"
    fi
  done
  if ((${#pids[@]})); then wait "${pids[@]}" || true; fi
  echo "$stopped"
}

cluster_start() {
  need_root
  cluster_lock
  local t0=$EPOCHREALTIME n port down=()
  if cluster_whole; then
    log "cluster: already running and whole"
    return 0
  fi
  for n in "${CLUSTER_NODES[@]}"; do
    in_cluster peer_pid "c$n" >/dev/null || down+=("$n")
  done
  # Some nodes still run (one was killed, say): bring back the others with their data,
  # which is quicker and keeps the queues; start from nothing only if that fails.
  if ((${#down[@]} < ${#CLUSTER_NODES[@]})); then
    log "cluster: nodes ${down[*]:-none} down; reviving"
    local ok=1
    for n in "${down[@]}"; do cluster_revive "$n" || ok=""; done
    if [[ -n $ok ]] && cluster_whole; then
      log "cluster: whole again after $(elapsed "$t0") s"
      return 0
    fi
    log "cluster: not whole; starting from nothing"
    cluster_stop_nodes >/dev/null
  fi
  for n in "${CLUSTER_NODES[@]}"; do
    for port in ${PORTS[c$n]} $((25700 + n)); do
      if port_open "$port"; then
        die "cluster: port $port is held by a process this script did not start: $(ss -Hltnp "sport = :$port" 2>/dev/null | grep -o 'users:.*' || echo unknown)"
      fi
    done
  done
  cluster_wipe
  cluster_write_config
  mkdir -p "$CLUSTER_DIR/logs" "$CLUSTER_DIR/run"
  for n in "${CLUSTER_NODES[@]}"; do cluster_launch "$n"; done
  local peers=()
  for n in "${CLUSTER_NODES[@]}"; do peers+=("c$n"); done
  if ! in_cluster wait_ready "${peers[@]}"; then
    cluster_stop_nodes >/dev/null
    die "cluster: failed to start:$FAILED"
  fi
  log "cluster: 3 nodes booted after $(elapsed "$t0") s; joining"
  local t1
  for n in "${CLUSTER_NODES[@]:1}"; do
    t1=$EPOCHREALTIME
    if ! { cluster_ctl "$n" stop_app && cluster_ctl "$n" join_cluster "$(cluster_node 1)" &&
      cluster_ctl "$n" start_app; } >/dev/null; then
      in_cluster show_log "c$n"
      cluster_stop_nodes >/dev/null
      die "cluster: node $n could not join $(cluster_node 1)"
    fi
    log "cluster: node $n joined in $(elapsed "$t1") s"
  done
  # start_app reopens the STOMP listener: wait for it as well as for the membership.
  if ! in_cluster wait_ready "${peers[@]:1}" || ! cluster_wait_joined 1; then
    cluster_stop_nodes >/dev/null
    die "cluster: did not form"
  fi
  log "cluster: up and whole after $(elapsed "$t0") s (STOMP 61701-61703)"
}

cluster_stop() {
  need_root
  cluster_lock
  local t0=$EPOCHREALTIME stopped
  stopped=$(cluster_stop_nodes)
  cluster_wipe
  if [[ -n $stopped ]]; then log "cluster: stopped:$stopped in $(elapsed "$t0") s"; else log "cluster: nothing was running"; fi
}

cluster_number() {
  [[ ${1:-} =~ ^[1-3]$ ]] || die "cluster $2: expected a node number 1-3, got '${1:-}'"
}

# SIGKILL of the node's VM only, like a crash: no goodbye to its peers or clients. The
# start script around it then exits by itself; the data stays for `revive`.
cluster_kill() {
  need_root
  cluster_number "${1:-}" kill
  cluster_lock
  local n=$1 pgid beam t0=$EPOCHREALTIME i
  pgid=$(in_cluster peer_pid "c$n") || die "cluster: node $n is not running"
  beam=$(ps -eo pid=,pgid=,comm= | awk -v g="$pgid" '$2 == g && $3 == "beam.smp" {print $1}')
  [[ -n $beam ]] || die "cluster: no beam.smp in node $n's process group $pgid"
  kill -KILL "$beam"
  for ((i = 0; i < 100; i++)); do
    group_alive "$pgid" || port_open $((61700 + n)) || break
    sleep 0.1
  done
  log "cluster: node $n killed (beam.smp $beam) in $(elapsed "$t0") s"
}

cluster_revive() {
  need_root
  cluster_number "${1:-}" revive
  cluster_lock
  local n=$1 t0=$EPOCHREALTIME
  if in_cluster peer_pid "c$n" >/dev/null && peer_up "c$n"; then
    log "cluster: node $n is already running"
    return 0
  fi
  in_cluster stop_peer "c$n" || true # a half-up node is replaced
  [[ -d $CLUSTER_DIR/c$n/mnesia ]] || die "cluster: node $n has no data: run 'cluster start'"
  mkdir -p "$CLUSTER_DIR/logs" "$CLUSTER_DIR/run"
  cluster_launch "$n"
  in_cluster wait_ready "c$n" || die "cluster: node $n did not come back"
  cluster_wait_joined "$n" || die "cluster: node $n did not rejoin"
  log "cluster: node $n revived and rejoined in $(elapsed "$t0") s"
}

cluster_status() {
  local n pid rss state all=0 members="" port
  for n in "${CLUSTER_NODES[@]}"; do
    state=up
    for port in ${PORTS[c$n]}; do port_open "$port" || state=down; done
    if pid=$(in_cluster peer_pid "c$n"); then
      rss=$(ps -eo pgid=,rss= | awk -v g="$pid" '$1 == g {s += $2} END {printf "%d", s / 1024}')
      printf '%-22s %-5s STOMP %s  (pid %s, %s MiB)\n' "$(cluster_node "$n")" "$state" $((61700 + n)) "$pid" "$rss"
    else
      state=down
      printf '%-22s %-5s STOMP %s  (not running)\n' "$(cluster_node "$n")" "$state" $((61700 + n))
    fi
    [[ $state == up ]] || all=1
    if [[ $state == up && -z $members ]]; then
      members=$(cluster_running "$n" | paste -sd ' ') || members=""
      if [[ -n $members ]]; then members="running members (seen from node $n): $members"; fi
    fi
  done
  echo "${members:-no node answers}"
  [[ $(wc -w <<<"${members#*: }") == "${#CLUSTER_NODES[@]}" ]] || all=1
  return $all
}

cluster_env() {
  local n urls=() nodes=()
  for n in "${CLUSTER_NODES[@]}"; do
    urls+=("tcp://127.0.0.1:$((61700 + n))")
    nodes+=("$(cluster_node "$n")")
  done
  (IFS=,; echo "export STOMPER_CLUSTER_URLS=${urls[*]}"; echo "export STOMPER_CLUSTER_NODES=${nodes[*]}")
}

cmd_cluster() {
  local sub=${1:-}
  shift || true
  case $sub in
    start | stop | status | kill | revive | env) "cluster_$sub" "$@" ;;
    *) usage ;;
  esac
}

# Whether a cluster node of ours is running (for `stop`, without any CLI call).
cluster_any_running() {
  local n
  for n in "${CLUSTER_NODES[@]}"; do in_cluster peer_pid "c$n" >/dev/null && return 0; done
  return 1
}
