#!/usr/bin/env bash
# Real STOMP peers for stomper's integration tests: RabbitMQ 3.10 and ActiveMQ 5.17
# from Debian bookworm, run in the background without systemd, bound to 127.0.0.1.
#
# Usage (as root):
#   scripts/brokers.sh install        apt-get everything the peers and browser tests need
#                                     (skipped when already installed)
#   scripts/brokers.sh start          write configs + test certificates, start all peers,
#                                     wait until they accept connections (idempotent)
#   scripts/brokers.sh stop           stop every peer this script started
#   scripts/brokers.sh restart        stop, then start (fresh broker state)
#   scripts/brokers.sh status         list ports; exit 0 only if every port is up
#   scripts/brokers.sh env            print `export VAR=value` lines: eval "$(scripts/brokers.sh env)"
#   scripts/brokers.sh drop-rabbitmq [REASON]
#                                     close every client connection on both RabbitMQ nodes
#                                     (a real server-side fault, for reconnect tests)
#
# Endpoints (all 127.0.0.1; login guest/guest, virtual host /):
#   RabbitMQ node rabbit@localhost       STOMP tcp 61613, STOMP TLS 61614 (cert for localhost
#                                        and 127.0.0.1), Web-STOMP ws://127.0.0.1:15674/ws in
#                                        binary frame mode, AMQP 5672
#   RabbitMQ node rabbit-text@localhost  Web-STOMP ws://127.0.0.1:15675/ws in text frame mode
#   ActiveMQ                             STOMP tcp 61623, OpenWire 61616
#
# State goes to ${STOMPER_BROKERS_DIR:-/tmp/stomper-brokers}:
#   ca.pem          CA that signed server.pem (give it to TLS clients)
#   wrong-ca.pem    an unrelated CA (a client trusting only this must refuse the server)
#   server.pem, server.key   the brokers' certificate and key (throwaway test material)
#   logs/           one log per peer: rabbitmq.log, rabbitmq-text.log, activemq.log
#   run/            pid files
# Every start wipes broker state (queues, messages), so each test run begins clean.
#
# Environment: STOMPER_BROKERS_DIR (above), STOMPER_BROKERS_TIMEOUT (readiness wait, s; 60).
set -euo pipefail

DIR=${STOMPER_BROKERS_DIR:-/tmp/stomper-brokers}
LOGS=$DIR/logs
RUN=$DIR/run
TIMEOUT=${STOMPER_BROKERS_TIMEOUT:-60}

# RabbitMQ's ws_frame setting is node-wide (rabbit_web_stomp_listener compiles one route
# with one frame type for all its listeners), so text mode needs a second node.
RABBIT_NODE=rabbit@localhost
RABBIT_TEXT_NODE=rabbit-text@localhost
RABBIT_ETC=/etc/rabbitmq
RABBIT_TEXT_ETC=/etc/rabbitmq/text
RABBIT_MNESIA=/var/lib/rabbitmq/mnesia
AMQ_BASE=$DIR/activemq

# The peers this script runs, and the ports that must accept connections for each to be
# "up". Order matters only for output.
PEERS=(rabbitmq rabbitmq-text activemq)
declare -A PORTS=(
  [rabbitmq]="5672 61613 61614 15674"
  [rabbitmq-text]="15675"
  [activemq]="61616 61623"
)

PACKAGES=(rabbitmq-server activemq chromium openssl python3-stomp)

log() { printf 'brokers: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

need_root() { [[ $(id -u) == 0 ]] || die "must run as root (installs packages, switches to broker users)"; }

# ---------------------------------------------------------------------------------------
# install

missing_packages() {
  local p
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || echo "$p"
  done
  # ActiveMQ accepts any Java 7+ runtime; the machines ship OpenJDK 17, so only pull
  # Debian's default JRE when there is none (keeps the install small and fast).
  command -v java >/dev/null 2>&1 || echo default-jre-headless
}

# Package maintainer scripts try to start rabbitmq-server and activemq through
# invoke-rc.d. A broker started that way would hold our ports with the packaged config,
# so forbid it for the duration of the install (policy-rc.d exit 101 = "action forbidden").
# Docker-derived images already have such a file; leave theirs alone.
cmd_install() {
  need_root
  local missing
  mapfile -t missing < <(missing_packages)
  if ((${#missing[@]} == 0)); then
    log "all packages already installed"
    return 0
  fi
  log "installing: ${missing[*]}"
  local policy=/usr/sbin/policy-rc.d made_policy=""
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    made_policy=1
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  # One install: separate apt-get runs took about twice as long.
  apt-get install -y -q --no-install-recommends "${missing[@]}"
  if [[ -n $made_policy ]]; then
    rm -f "$policy"
    trap - EXIT
  fi
  kill_strays
  log "install done"
}

# Anything running as the broker users that this script did not start (e.g. a postinst
# that started a service despite the policy) would hold our ports: end it.
kill_strays() {
  local user pid pgid p ours=" "
  for p in "${PEERS[@]}"; do
    if pgid=$(peer_pid "$p"); then ours+="$pgid "; fi
  done
  for user in rabbitmq activemq; do
    id -u "$user" >/dev/null 2>&1 || continue
    for pid in $(pgrep -u "$user" || true); do
      pgid=$(ps -o pgid= -p "$pid" 2>/dev/null | tr -d ' ') || continue
      if [[ $ours == *" $pgid "* ]]; then continue; fi
      # epmd is shared by our nodes; only end it when none of ours is running.
      if [[ $(ps -o comm= -p "$pid" 2>/dev/null) == epmd && $ours != " " ]]; then continue; fi
      log "ending stray $user process $pid ($(ps -o args= -p "$pid" | cut -c1-60))"
      kill -TERM "$pid" 2>/dev/null || true
    done
  done
}

# ---------------------------------------------------------------------------------------
# process helpers

port_open() { timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

peer_up() {
  local port
  for port in ${PORTS[$1]}; do port_open "$port" || return 1; done
}

# Whether any live (non-zombie) process is in process group $1. Zombies matter here:
# this machine's init does not always reap orphans promptly, and kill -0 succeeds on them.
group_alive() { ps -eo pgid=,stat= | awk -v g="$1" '$1 == g && $2 !~ /^Z/ {f = 1} END {exit !f}'; }

# Prints the pid (= process group id, see launch) of a running peer; fails if none.
peer_pid() {
  local f=$RUN/$1.pid pid
  [[ -s $f ]] || return 1
  pid=$(<"$f")
  [[ $pid =~ ^[0-9]+$ ]] && group_alive "$pid" || return 1
  echo "$pid"
}

# setsid gives each peer its own process group (pgid = the pid we record), so stop can
# find every process of it, and the peer survives the shell that started it. Nothing
# below may start a new session (su does, hence setpriv), or it would escape the group.
launch() {
  local name=$1; shift
  mkdir -p "$LOGS" "$RUN"
  : >"$LOGS/$name.log"
  setsid "$@" >>"$LOGS/$name.log" 2>&1 </dev/null &
  echo $! >"$RUN/$name.pid"
}

wait_ready() {
  local name=$1 deadline=$((SECONDS + TIMEOUT))
  while ((SECONDS < deadline)); do
    if ! peer_pid "$name" >/dev/null; then
      log "$name died while starting; its log ($LOGS/$name.log):"
      tail -n 60 "$LOGS/$name.log" >&2 || true
      return 1
    fi
    peer_up "$name" && return 0
    sleep 0.2
  done
  log "$name not ready after ${TIMEOUT}s (ports ${PORTS[$name]}); its log ($LOGS/$name.log):"
  tail -n 60 "$LOGS/$name.log" >&2 || true
  return 1
}

# TERM goes to the group leader only: RabbitMQ's start script traps it and stops the VM
# cleanly, ActiveMQ's JVM runs its shutdown hook. Signalling the whole group would also
# hit erl_child_setup, whose death makes the Erlang VM abort. KILL what is left after 30 s.
stop_peer() {
  local name=$1 pid i
  if ! pid=$(peer_pid "$name"); then
    rm -f "$RUN/$name.pid"
    return 1
  fi
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 150; i++)); do
    group_alive "$pid" || break
    sleep 0.2
  done
  if group_alive "$pid"; then
    log "$name ignored TERM for 30 s; killing"
    kill -KILL -- "-$pid" 2>/dev/null || true
    sleep 0.5
  fi
  rm -f "$RUN/$name.pid"
}

# ---------------------------------------------------------------------------------------
# certificates

make_ca() {
  local base=$1 cn=$2
  openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 -subj "/CN=$cn" \
    -keyout "$DIR/$base.key" -out "$DIR/$base.pem" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}

# Regenerated only when missing or near expiry, so clients that cached ca.pem keep working
# across restarts.
ensure_certs() {
  local f ok=1
  for f in ca.pem ca.key wrong-ca.pem server.pem server.key; do [[ -s $DIR/$f ]] || ok=""; done
  if [[ -n $ok ]] && openssl x509 -checkend 86400 -noout -in "$DIR/server.pem" >/dev/null &&
    openssl verify -CAfile "$DIR/ca.pem" "$DIR/server.pem" >/dev/null 2>&1; then
    return 0
  fi
  log "generating test CA, wrong CA and server certificate in $DIR"
  make_ca ca "stomper test CA"
  make_ca wrong-ca "stomper unrelated CA"
  rm -f "$DIR/wrong-ca.key" # nothing is ever signed by it
  openssl req -newkey rsa:2048 -nodes -sha256 -subj "/CN=localhost" \
    -keyout "$DIR/server.key" -out "$DIR/server.csr" 2>/dev/null
  # Strict verifiers (rustls in Deno) need a SAN, an end-entity (CA:FALSE) cert and
  # serverAuth; both names because tests connect to "localhost" and to 127.0.0.1.
  cat >"$DIR/server.ext" <<'EOF'
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
  openssl x509 -req -sha256 -days 3650 -in "$DIR/server.csr" -CA "$DIR/ca.pem" \
    -CAkey "$DIR/ca.key" -CAcreateserial -extfile "$DIR/server.ext" \
    -out "$DIR/server.pem" 2>/dev/null
  rm -f "$DIR/server.csr" "$DIR/server.ext" "$DIR/ca.srl"
  # Throwaway test key: readable so tests running as another user can serve TLS with it.
  chmod 644 "$DIR/server.key"
}

# ---------------------------------------------------------------------------------------
# RabbitMQ

write_rabbit_config() {
  mkdir -p "$RABBIT_ETC/ssl" "$RABBIT_TEXT_ETC"
  # The broker runs as the rabbitmq user, which cannot read root's files under $DIR.
  install -m 644 -o rabbitmq -g rabbitmq "$DIR/ca.pem" "$DIR/server.pem" "$RABBIT_ETC/ssl/"
  install -m 600 -o rabbitmq -g rabbitmq "$DIR/server.key" "$RABBIT_ETC/ssl/"

  # Written directly instead of via rabbitmq-plugins, which needs a running node or
  # --offline plus an Erlang start (~1 s each).
  echo '[rabbitmq_stomp,rabbitmq_web_stomp].' >"$RABBIT_ETC/enabled_plugins"

  # Read by the server *and* by rabbitmqctl, so a plain `rabbitmqctl ...` targets the
  # main node. Distribution (epmd 4369, node 25672, CLI 35672+) is kept on loopback too.
  cat >"$RABBIT_ETC/rabbitmq-env.conf" <<'EOF'
# Written by stomper scripts/brokers.sh
NODENAME=rabbit@localhost
ERL_EPMD_ADDRESS=127.0.0.1
SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
EOF

  # log.console: everything goes to stdout, which launch() sends to $LOGS (the default
  # file log would land in /var/log/rabbitmq and hide start-up failures from us).
  local common='loopback_users.guest = true
log.console = true
log.console.level = info
log.file = false'

  cat >"$RABBIT_ETC/rabbitmq.conf" <<EOF
# Written by stomper scripts/brokers.sh
listeners.tcp.1 = 127.0.0.1:5672
stomp.listeners.tcp.1 = 127.0.0.1:61613
stomp.listeners.ssl.1 = 127.0.0.1:61614
ssl_options.cacertfile = $RABBIT_ETC/ssl/ca.pem
ssl_options.certfile = $RABBIT_ETC/ssl/server.pem
ssl_options.keyfile = $RABBIT_ETC/ssl/server.key
ssl_options.verify = verify_none
ssl_options.fail_if_no_peer_cert = false
web_stomp.tcp.ip = 127.0.0.1
web_stomp.tcp.port = 15674
web_stomp.ws_frame = binary
$common
EOF

  # Second node: Web-STOMP in text mode only. Its own name (so its own mnesia dir and
  # plugin expansion dir under /var/lib/rabbitmq) and distribution port; no AMQP or
  # plain STOMP listeners, so nothing else can clash with the main node.
  cat >"$RABBIT_TEXT_ETC/rabbitmq-env.conf" <<EOF
# Written by stomper scripts/brokers.sh
NODENAME=$RABBIT_TEXT_NODE
CONFIG_FILE=$RABBIT_TEXT_ETC/rabbitmq.conf
ENABLED_PLUGINS_FILE=$RABBIT_ETC/enabled_plugins
DIST_PORT=25673
ERL_EPMD_ADDRESS=127.0.0.1
SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
EOF
  cat >"$RABBIT_TEXT_ETC/rabbitmq.conf" <<EOF
# Written by stomper scripts/brokers.sh
listeners.tcp = none
stomp.listeners.tcp = none
stomp.listeners.ssl = none
web_stomp.tcp.ip = 127.0.0.1
web_stomp.tcp.port = 15675
web_stomp.ws_frame = text
$common
EOF
  chown -R rabbitmq:rabbitmq "$RABBIT_ETC"
}

# Fresh state per start: queues and messages left by an earlier run must not leak into
# the next test run.
wipe_rabbit_node() {
  rm -rf "$RABBIT_MNESIA/$1" "$RABBIT_MNESIA/$1-plugins-expand" "$RABBIT_MNESIA/$1.pid" \
    "$RABBIT_MNESIA/$1-feature_flags"
}

# Not `rabbitmq-server -detached`: it hides start-up errors. Not the Debian wrapper
# /usr/sbin/rabbitmq-server either: it switches user with `su`, which puts the node in a
# new session out of our process group, so stopping the wrapper orphaned the node. Do
# what the wrapper does (rabbitmq user, cwd and HOME /var/lib/rabbitmq for the cookie)
# with setpriv, which just execs.
launch_rabbit() {
  local name=$1 node=$2 envfile=$3
  wipe_rabbit_node "$node"
  (cd /var/lib/rabbitmq && launch "$name" setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups \
    env HOME=/var/lib/rabbitmq USER=rabbitmq LOGNAME=rabbitmq RABBITMQ_CONF_ENV_FILE="$envfile" \
    /usr/lib/rabbitmq/bin/rabbitmq-server)
}

# ---------------------------------------------------------------------------------------
# ActiveMQ

write_activemq_config() {
  rm -rf "$AMQ_BASE"
  mkdir -p "$AMQ_BASE/conf" "$AMQ_BASE/data" "$AMQ_BASE/tmp"
  # persistent=false: nothing survives a restart, and no KahaDB files to lock or clean.
  # No authentication plugin: any login is accepted (tests use guest/guest everywhere).
  cat >"$AMQ_BASE/conf/activemq.xml" <<'EOF'
<!-- Written by stomper scripts/brokers.sh -->
<beans xmlns="http://www.springframework.org/schema/beans"
       xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
       xsi:schemaLocation="http://www.springframework.org/schema/beans http://www.springframework.org/schema/beans/spring-beans-2.0.xsd
                           http://activemq.apache.org/schema/core http://activemq.apache.org/schema/core/activemq-core.xsd">
  <bean class="org.springframework.beans.factory.config.PropertyPlaceholderConfigurer"/>
  <broker xmlns="http://activemq.apache.org/schema/core" brokerName="stomper"
          useJmx="false" persistent="false" dataDirectory="${activemq.data}">
    <systemUsage>
      <systemUsage>
        <memoryUsage><memoryUsage percentOfJvmHeap="70"/></memoryUsage>
        <tempUsage><tempUsage limit="1 gb"/></tempUsage>
      </systemUsage>
    </systemUsage>
    <transportConnectors>
      <transportConnector name="openwire" uri="tcp://127.0.0.1:61616"/>
      <transportConnector name="stomp" uri="stomp://127.0.0.1:61623"/>
    </transportConnectors>
  </broker>
</beans>
EOF
  cat >"$AMQ_BASE/conf/log4j2.properties" <<'EOF'
# Written by stomper scripts/brokers.sh: console only (launch() sends it to logs/activemq.log)
rootLogger.level = INFO
rootLogger.appenderRef.console.ref = Console
appender.console.type = Console
appender.console.name = Console
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss.SSS} %-5p %m [%c{1}]%n
logger.spring.name = org.springframework
logger.spring.level = WARN
logger.xbean.name = org.apache.xbean
logger.xbean.level = WARN
EOF
  chown -R activemq "$AMQ_BASE/data" "$AMQ_BASE/tmp"
}

# Java started directly (not /usr/bin/activemq, which sources /usr/share/activemq/
# activemq-options with a 512 MB heap and re-execs through `su -`), so the pid file holds
# the JVM itself. The --add-opens list is the one /usr/bin/activemq uses for Java > 8.
launch_activemq() {
  local conf=$AMQ_BASE/conf
  launch activemq setpriv --reuid=activemq --regid=activemq --init-groups \
    java -Xms64m -Xmx256m -XX:+UseSerialGC -Djava.awt.headless=true \
    -Djava.io.tmpdir="$AMQ_BASE/tmp" \
    -Dlog4j2.configurationFile="$conf/log4j2.properties" \
    --add-reads=java.xml=java.logging \
    --add-opens java.base/java.security=ALL-UNNAMED \
    --add-opens java.base/java.net=ALL-UNNAMED \
    --add-opens java.base/java.lang=ALL-UNNAMED \
    --add-opens java.base/java.util=ALL-UNNAMED \
    --add-opens java.naming/javax.naming.spi=ALL-UNNAMED \
    --add-opens java.rmi/sun.rmi.transport.tcp=ALL-UNNAMED \
    --add-opens java.base/java.util.concurrent=ALL-UNNAMED \
    --add-opens java.base/java.util.concurrent.atomic=ALL-UNNAMED \
    --add-exports=java.base/sun.net.www.protocol.http=ALL-UNNAMED \
    --add-exports=java.base/sun.net.www.protocol.https=ALL-UNNAMED \
    --add-exports=java.base/sun.net.www.protocol.jar=ALL-UNNAMED \
    --add-exports=jdk.xml.dom/org.w3c.dom.html=ALL-UNNAMED \
    --add-exports=jdk.naming.rmi/com.sun.jndi.url.rmi=ALL-UNNAMED \
    -Dactivemq.classpath="$conf" \
    -Dactivemq.home=/usr/share/activemq \
    -Dactivemq.base="$AMQ_BASE" \
    -Dactivemq.conf="$conf" \
    -Dactivemq.data="$AMQ_BASE/data" \
    -jar /usr/share/activemq/bin/activemq.jar start "xbean:file:$conf/activemq.xml"
}

# ---------------------------------------------------------------------------------------
# commands

cmd_start() {
  need_root
  local p
  for p in rabbitmq-server java openssl setpriv; do
    command -v "$p" >/dev/null 2>&1 || die "$p not found: run '$0 install' first"
  done
  [[ -f /usr/share/activemq/bin/activemq.jar ]] || die "activemq not installed: run '$0 install' first"
  mkdir -p "$DIR" "$LOGS" "$RUN"
  chmod 755 "$DIR"

  # Only peers that are not fully up are (re)started; a running, healthy peer is left
  # alone, so `start` is safe to call from every test entry point.
  local todo=()
  for p in "${PEERS[@]}"; do
    if peer_pid "$p" >/dev/null && peer_up "$p"; then continue; fi
    todo+=("$p")
  done
  local f
  for f in ca.pem wrong-ca.pem server.pem server.key; do
    if [[ ! -s $DIR/$f ]] && ((${#todo[@]} < ${#PEERS[@]})); then
      # Certificates vanished under running brokers: restart everything on new ones.
      log "$DIR/$f missing; restarting all peers with new certificates"
      cmd_stop
      todo=("${PEERS[@]}")
      break
    fi
  done
  if ((${#todo[@]} == 0)); then
    log "already running and healthy"
    cmd_status >/dev/null || true
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
  local t0=$SECONDS
  for p in "${todo[@]}"; do
    case $p in
      rabbitmq) write_rabbit_config_once && launch_rabbit rabbitmq "$RABBIT_NODE" "$RABBIT_ETC/rabbitmq-env.conf" ;;
      rabbitmq-text) write_rabbit_config_once && launch_rabbit rabbitmq-text "$RABBIT_TEXT_NODE" "$RABBIT_TEXT_ETC/rabbitmq-env.conf" ;;
      activemq) write_activemq_config && launch_activemq ;;
    esac
  done
  local failed=""
  for p in "${todo[@]}"; do
    if wait_ready "$p"; then
      log "$p up (ports ${PORTS[$p]}) after $((SECONDS - t0))s"
    else
      failed+=" $p"
    fi
  done
  if [[ -n $failed ]]; then
    for p in $failed; do stop_peer "$p" || true; done
    die "failed to start:$failed"
  fi
}

RABBIT_CONFIG_WRITTEN=""
write_rabbit_config_once() {
  [[ -n $RABBIT_CONFIG_WRITTEN ]] && return 0
  write_rabbit_config
  RABBIT_CONFIG_WRITTEN=1
}

cmd_stop() {
  need_root
  local p stopped=""
  for p in "${PEERS[@]}"; do
    if stop_peer "$p"; then stopped+=" $p"; fi
  done
  # epmd daemonizes out of the nodes' process groups; end it once no node is registered.
  if command -v epmd >/dev/null 2>&1 && pgrep -x epmd >/dev/null &&
    ! epmd -names 2>/dev/null | grep -q '^name '; then
    epmd -kill >/dev/null 2>&1 || true
  fi
  if [[ -n $stopped ]]; then log "stopped:$stopped"; else log "nothing was running"; fi
}

cmd_restart() {
  cmd_stop
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
    else
      printf '%-14s %-5s%s  (not started by this script)\n' "$p" "$state" "$line"
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

# Plain `rabbitmqctl close_all_connections REASON` also works for the main node (the
# env conf names it); this covers the text node too, both at once (~1.5 s per CLI start).
cmd_drop-rabbitmq() {
  need_root
  local reason=${1:-"stomper test: dropped by brokers.sh"} rc=0 pids=() pid
  rabbitmqctl -q -n "$RABBIT_NODE" close_all_connections "$reason" & pids+=($!)
  RABBITMQ_CONF_ENV_FILE=$RABBIT_TEXT_ETC/rabbitmq-env.conf \
    rabbitmqctl -q -n "$RABBIT_TEXT_NODE" close_all_connections "$reason" & pids+=($!)
  for pid in "${pids[@]}"; do wait "$pid" || rc=1; done
  return $rc
}

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 2; }

case ${1:-} in
  install | start | stop | restart | status | env | drop-rabbitmq)
    cmd=$1; shift; "cmd_$cmd" "$@" ;;
  *) usage ;;
esac
