# shellcheck shell=bash
# The default peers as a whole (RabbitMQ, its text-mode node, ActiveMQ): `start`, `stop`,
# `restart`, `status` and `env`.

cmd_start() {
  need_root
  lock
  local p
  local f
  for f in /usr/lib/rabbitmq/bin/rabbitmq-server /usr/share/activemq/bin/activemq.jar; do
    [[ -e $f ]] || die "$f not found: run '$0 install' first"
  done
  for p in java openssl setpriv flock; do
    command -v "$p" >/dev/null 2>&1 || die "$p not found: run '$0 install' first"
  done
  mkdir -p "$DIR" "$LOGS" "$RUN"
  chmod 755 "$DIR"

  # Only peers that are not fully up are (re)started; a running, healthy peer is left
  # alone, so `start` is safe to call from every test entry point.
  local todo=()
  for p in "${PEERS[@]}"; do
    if peer_pid "$p" >/dev/null && peer_up "$p"; then continue; fi
    todo+=("$p")
  done
  for f in ca.pem wrong-ca.pem server.pem server.key; do
    if [[ ! -s $DIR/$f ]] && ((${#todo[@]} < ${#PEERS[@]})); then
      # Certificates vanished under running brokers: restart everything on new ones.
      log "$DIR/$f missing; restarting all peers with new certificates"
      cmd_stop keep-cluster
      todo=("${PEERS[@]}")
      break
    fi
  done
  if ((${#todo[@]} == 0)); then
    log "already running and healthy"
    return 0
  fi

  for p in "${todo[@]}"; do
    stop_peer "$p" || true # a half-up peer (crashed listener, hung start) is replaced
    local port
    for port in ${PORTS[$p]}; do
      if port_open "$port"; then
        die "port $port is held by a process this script did not start: $(ss -Hltnp "sport = :$port" 2>/dev/null | grep -o 'users:.*' || echo unknown)"
      fi
    done
  done

  ensure_certs
  for p in "${todo[@]}"; do
    case $p in
      rabbitmq) write_rabbit_config_once && launch_rabbit rabbitmq "$RABBIT_NODE" "$RABBIT_ETC/rabbitmq-env.conf" ;;
      rabbitmq-text) write_rabbit_config_once && launch_rabbit rabbitmq-text "$RABBIT_TEXT_NODE" "$RABBIT_TEXT_ETC/rabbitmq-env.conf" ;;
      activemq) write_activemq_config && launch_activemq ;;
    esac
  done
  if ! wait_ready "${todo[@]}"; then
    for p in $FAILED; do stop_peer "$p" || true; done
    die "failed to start:$FAILED"
  fi
}

cmd_stop() {
  need_root
  lock
  local p stopped=""
  for p in "${PEERS[@]}"; do
    if stop_peer "$p"; then stopped+=" $p"; fi
  done
  # CI's exit trap calls stop: a cluster left running would hold ~450 MiB and its ports.
  # restart passes keep-cluster: it renews the default peers only.
  if [[ ${1:-} != keep-cluster ]] && cluster_any_running; then
    cluster_stop
    stopped+=" cluster"
  fi
  # epmd daemonizes out of the nodes' process groups; end it once no node is registered.
  if pgrep -x epmd >/dev/null && ! epmd -names 2>/dev/null | grep -q '^name '; then
    epmd -kill >/dev/null 2>&1 || true
  fi
  if [[ -n $stopped ]]; then log "stopped:$stopped"; else log "nothing was running"; fi
}

cmd_restart() {
  cmd_stop keep-cluster
  cmd_start
}

cmd_status() {
  local p port all=0 pid rss
  for p in "${PEERS[@]}"; do
    local line="" state=up
    for port in ${PORTS[$p]}; do
      if port_open "$port"; then line+=" $port:up"; else line+=" $port:DOWN"; state=down; all=1; fi
    done
    if pid=$(peer_pid "$p"); then
      # Resident memory of the whole process group (wrappers + VM), in MiB.
      rss=$(ps -eo pgid=,rss= | awk -v g="$pid" '$1 == g {s += $2} END {printf "%d", s / 1024}')
      printf '%-14s %-5s%s  (pid %s, %s MiB)\n' "$p" "$state" "$line" "$pid" "$rss"
    elif [[ $state == up ]]; then
      printf '%-14s %-5s%s  (not started by this script)\n' "$p" "$state" "$line"
    else
      printf '%-14s %-5s%s  (not running)\n' "$p" "$state" "$line"
    fi
  done
  return $all
}

cmd_env() {
  cat <<EOF
export STOMPER_RABBITMQ_TCP=tcp://127.0.0.1:61613
export STOMPER_RABBITMQ_TLS=tls://localhost:61614
export STOMPER_RABBITMQ_WS=ws://127.0.0.1:15674/ws
export STOMPER_RABBITMQ_WS_TEXT=ws://127.0.0.1:15675/ws
export STOMPER_ACTIVEMQ_TCP=tcp://127.0.0.1:61623
export STOMPER_TLS_CA=$DIR/ca.pem
export STOMPER_TLS_WRONG_CA=$DIR/wrong-ca.pem
EOF
}
