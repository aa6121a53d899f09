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
#   scripts/brokers.sh restart        stop, then start: fresh broker state, and the way to
#                                     apply a changed config (start leaves healthy peers be)
#   scripts/brokers.sh status         list ports; exit 0 only if every port is up
#   scripts/brokers.sh env            print `export VAR=value` lines: eval "$(scripts/brokers.sh env)"
#   scripts/brokers.sh drop-rabbitmq [REASON]
#                                     close every client connection on both RabbitMQ nodes
#                                     (a real server-side fault, for reconnect tests)
#   scripts/brokers.sh cluster start  a three-node RabbitMQ cluster beside the default peers
#                                     (fresh state, ~25 s; idempotent: a whole cluster is
#                                     left be, a node that is down is revived)
#   scripts/brokers.sh cluster stop   stop it and remove its data (plain `stop` does too;
#                                     `restart` and `start` leave it alone)
#   scripts/brokers.sh cluster status each node up/down and the running members; exit 0
#                                     only if all three run and are clustered
#   scripts/brokers.sh cluster kill N SIGKILL node N's VM (a crash; N = 1..3), data kept
#   scripts/brokers.sh cluster revive N
#                                     start node N again and wait until it rejoined
#   scripts/brokers.sh cluster env    print STOMPER_CLUSTER_URLS (and _NODES) lines to eval
#
# Endpoints (all 127.0.0.1; login guest/guest, virtual host /):
#   RabbitMQ node rabbit@localhost       STOMP tcp 61613, STOMP TLS 61614 (cert for localhost
#                                        and 127.0.0.1), Web-STOMP ws://127.0.0.1:15674/ws in
#                                        binary frame mode, AMQP 5672
#   RabbitMQ node rabbit-text@localhost  Web-STOMP ws://127.0.0.1:15675/ws in text frame mode
#   ActiveMQ                             STOMP tcp 61623, OpenWire 61616
#   Cluster nodes stomper-cN@localhost   STOMP tcp 6170N, AMQP 570N, distribution 2570N,
#     (N = 1, 2, 3)                      CLI 35701-35720; state in ${STOMPER_CLUSTER_DIR:-
#                                        /tmp/stomper-cluster}; durable destinations are
#                                        quorum queues (x-queue-type:quorum, durable:true,
#                                        auto-delete:false on SUBSCRIBE and SEND)
#
# State goes to ${STOMPER_BROKERS_DIR:-/tmp/stomper-brokers}:
#   ca.pem          CA that signed server.pem (give it to TLS clients)
#   wrong-ca.pem    an unrelated CA (a client trusting only this must refuse the server)
#   server.pem, server.key   the brokers' certificate and key (throwaway test material)
#   logs/           one log per peer: rabbitmq.log, rabbitmq-text.log, activemq.log
#   run/            pid files
# Every start wipes broker state (queues, messages), so each test run begins clean.
#
# Environment: STOMPER_BROKERS_DIR (above), STOMPER_BROKERS_TIMEOUT (readiness wait, s; 60),
# STOMPER_CLUSTER_DIR (above), STOMPER_CLUSTER_TIMEOUT (each cluster wait, s; 120).
set -euo pipefail

# Everything here comes from Debian packages; a java, erl or python3 earlier on PATH
# (pyenv shims, SDK managers) must not be picked up instead.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH

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

# Test entry points may call start concurrently; serialise start/stop on a lock file.
LOCKED=""
lock() {
  [[ -n $LOCKED ]] && return 0
  mkdir -p "$DIR"
  exec 9>"$DIR/.lock"
  flock -w "$((TIMEOUT * 2))" 9 || die "another brokers.sh holds $DIR/.lock"
  LOCKED=1
}

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
  # confold: /etc/rabbitmq/rabbitmq-env.conf is a conffile that start rewrites; a
  # reinstall after `apt-get remove` must keep ours rather than stop at a prompt.
  apt-get install -y -q --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}"
  if [[ -n $made_policy ]]; then
    rm -f "$policy"
    trap - EXIT
  fi
  kill_strays
  log "install done"
}

# A broker VM that this script did not start (e.g. one a postinst started despite the
# policy) would hold our ports: end it. Only the VMs are matched: their helpers
# (erl_child_setup, inet_gethost, the disk monitor's sh) sit in sessions of their own,
# are not in our process groups, and must not be touched under a running node of ours.
kill_strays() {
  local pid pgid p ours=" "
  for p in "${PEERS[@]}"; do
    if pgid=$(peer_pid "$p"); then ours+="$pgid "; fi
  done
  for p in "${CLUSTER_NODES[@]}"; do
    if pgid=$(in_cluster peer_pid "c$p"); then ours+="$pgid "; fi
  done
  for pid in $(pgrep -u rabbitmq -x beam.smp || true) $(pgrep -u activemq -x java || true); do
    pgid=$(ps -o pgid= -p "$pid" 2>/dev/null | tr -d ' ') || continue
    if [[ $ours == *" $pgid "* ]]; then continue; fi
    log "ending stray broker process $pid ($(ps -o user=,args= -p "$pid" | cut -c1-70))"
    kill -TERM "$pid" 2>/dev/null || true
  done
  # epmd is shared by our nodes; only end it when none is registered.
  if pgrep -x epmd >/dev/null && ! epmd -names 2>/dev/null | grep -q '^name '; then
    epmd -kill >/dev/null 2>&1 || true
  fi
}

# ---------------------------------------------------------------------------------------
# process helpers

port_open() { timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

peer_up() {
  local port
  for port in ${PORTS[$1]}; do port_open "$port" || return 1; done
}

# Whether any live process is in process group $1. Zombies (stat Z) do not count: this
# machine's init does not always reap orphans promptly, and kill -0 succeeds on them.
# But "Zl" does: a JVM whose main thread has exited shows so while its shutdown hooks
# still run and its ports are still open.
group_alive() {
  ps -eo pgid=,stat= | awk -v g="$1" '$1 == g && ($2 !~ /^Z/ || $2 ~ /l/) {f = 1} END {exit !f}'
}

# Kernel start time of a process (field 22 of /proc/PID/stat; cut after the comm field,
# which is in parentheses and could hold spaces). Empty if there is no such process.
start_time() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20; }

# Prints the pid (= process group id, see launch) of a running peer; fails if none.
# Pid files outlive the peers (a machine restart, CI ending our processes), so the
# recorded start time guards against signalling an unrelated process that got the pid.
peer_pid() {
  local f=$RUN/$1.pid pid started now
  [[ -s $f ]] || return 1
  read -r pid started <"$f" || true
  [[ $pid =~ ^[0-9]+$ ]] && group_alive "$pid" || return 1
  now=$(start_time "$pid")
  [[ -z $now || $now == "$started" ]] || return 1 # leader gone but group alive is still ours
  echo "$pid"
}

# setsid gives each peer its own process group (pgid = the pid we record), so status and
# stop can find it, and the peer survives the shell that started it. The broker itself
# must stay in that group, hence setpriv (which just execs) rather than su (which starts
# a new session). Erlang's erl_child_setup does leave the group, but dies with its VM.
launch() {
  local name=$1; shift
  mkdir -p "$LOGS" "$RUN"
  : >"$LOGS/$name.log"
  # 9>&-: the lock must not be inherited, or the peer would hold it for its lifetime.
  setsid "$@" >>"$LOGS/$name.log" 2>&1 </dev/null 9>&- &
  echo "$! $(start_time $!)" >"$RUN/$name.pid"
}

show_log() {
  log "last lines of $LOGS/$1.log:"
  tail -n 60 "$LOGS/$1.log" >&2 || true
}

# Polls all starting peers together, so a peer that dies is reported at once and each
# one's time is its own. Sets FAILED to the peers that died or were not up in time.
FAILED=""
wait_ready() {
  local t0=$EPOCHREALTIME deadline=$((SECONDS + TIMEOUT)) p pending=("$@") next
  FAILED=""
  while ((${#pending[@]})); do
    next=()
    for p in "${pending[@]}"; do
      if ! peer_pid "$p" >/dev/null; then
        log "$p died while starting"
        show_log "$p"
        FAILED+=" $p"
      elif peer_up "$p"; then
        log "$p up (ports ${PORTS[$p]}) after $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.1f", b - a}') s"
      elif ((SECONDS >= deadline)); then
        log "$p not ready after ${TIMEOUT} s (ports ${PORTS[$p]})"
        show_log "$p"
        FAILED+=" $p"
      else
        next+=("$p")
      fi
    done
    pending=("${next[@]}")
    if ((${#pending[@]})); then sleep 0.2; fi
  done
  [[ -z $FAILED ]]
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
log.console.use_colors = off
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
  local base=$RABBIT_MNESIA/${1:?node name}
  rm -rf "$base" "$base-plugins-expand" "$base.pid" "$base-feature_flags"
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
  # Debian's ActiveMQ logs through log4j 1.2 (the log4j2.properties it ships is never
  # read: the broker then logs nothing at all), so configure 1.2. Console only: launch()
  # sends it to logs/activemq.log.
  cat >"$AMQ_BASE/conf/log4j.properties" <<'EOF'
# Written by stomper scripts/brokers.sh
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=%d{HH:mm:ss,SSS} %-5p %m [%c{1}]%n
log4j.logger.org.springframework=WARN
log4j.logger.org.apache.xbean=WARN
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
    -Dlog4j.configuration="file:$conf/log4j.properties" \
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

RABBIT_CONFIG_WRITTEN=""
write_rabbit_config_once() {
  [[ -n $RABBIT_CONFIG_WRITTEN ]] && return 0
  write_rabbit_config
  RABBIT_CONFIG_WRITTEN=1
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

# Plain `rabbitmqctl close_all_connections REASON` also works, for the main node only
# (rabbitmq-env.conf names it). This covers the text node too, both CLIs at once (~0.6 s).
# RabbitMQ sends STOMP clients an ERROR frame ("AMQP channel died") before closing;
# Web-STOMP clients get a WebSocket close 1000 "STOMP died".
cmd_drop-rabbitmq() {
  need_root
  local reason=${1:-"stomper test: dropped by brokers.sh"} rc=0 pids=() pid
  rabbitmqctl -q -n "$RABBIT_NODE" close_all_connections "$reason" & pids+=($!)
  RABBITMQ_CONF_ENV_FILE=$RABBIT_TEXT_ETC/rabbitmq-env.conf \
    rabbitmqctl -q -n "$RABBIT_TEXT_NODE" close_all_connections "$reason" & pids+=($!)
  for pid in "${pids[@]}"; do wait "$pid" || rc=1; done
  return $rc
}

# ---------------------------------------------------------------------------------------
# A three-node RabbitMQ cluster (issue 10): stomper-c1..c3@localhost beside the default
# nodes, sharing nothing with them but epmd (which must never be killed while any node
# is registered). Everything lives under $CLUSTER_DIR:
#   .erlang.cookie   shared by the nodes and by our rabbitmqctl calls (HOME points here)
#   cN/              node N's rabbitmq-env.conf, rabbitmq.conf, enabled_plugins, mnesia/
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
for n in "${CLUSTER_NODES[@]}"; do PORTS[c$n]="$((5700 + n)) $((61700 + n))"; done
unset n

cluster_node() { echo "stomper-c$1@localhost"; }

# The default peers' helpers (peer_pid, launch, wait_ready, stop_peer, show_log) see
# LOGS, RUN and TIMEOUT through bash's dynamic scoping: run them with the cluster's.
in_cluster() {
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

elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.1f", b - a}'; }

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
  local n dir
  mkdir -p "$CLUSTER_DIR"
  # The same cookie for every node and the CLI; Erlang refuses one that group or others
  # can read. Kept across starts, so a CLI started just before a restart still fits.
  if [[ ! -s $CLUSTER_DIR/.erlang.cookie ]]; then
    (umask 077 && head -c 64 /dev/urandom | base64 | tr -dc 'A-Z' | head -c 20 >"$CLUSTER_DIR/.erlang.cookie")
  fi
  for n in "${CLUSTER_NODES[@]}"; do
    dir=$CLUSTER_DIR/c$n
    mkdir -p "$dir/mnesia" "$dir/log"
    # Only STOMP: the default enabled_plugins also has web_stomp, whose port would clash.
    echo '[rabbitmq_stomp].' >"$dir/enabled_plugins"
    # RABBITMQ_CONF_ENV_FILE points here, for the server and the CLI alike; without it a
    # node silently reads /etc/rabbitmq/rabbitmq-env.conf and becomes rabbit@localhost.
    cat >"$dir/rabbitmq-env.conf" <<ENV
# Written by stomper scripts/brokers.sh (cluster node $n)
NODENAME=$(cluster_node "$n")
NODE_IP_ADDRESS=127.0.0.1
NODE_PORT=$((5700 + n))
DIST_PORT=$((25700 + n))
CONFIG_FILE=$dir/rabbitmq.conf
ENABLED_PLUGINS_FILE=$dir/enabled_plugins
MNESIA_BASE=$dir/mnesia
LOG_BASE=$dir/log
ERL_EPMD_ADDRESS=127.0.0.1
SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
CTL_DIST_PORT_MIN=35701
CTL_DIST_PORT_MAX=35720
ENV
    cat >"$dir/rabbitmq.conf" <<CONF
# Written by stomper scripts/brokers.sh (cluster node $n)
listeners.tcp.1 = 127.0.0.1:$((5700 + n))
stomp.listeners.tcp.1 = 127.0.0.1:$((61700 + n))
loopback_users.guest = true
log.console = true
log.console.level = info
log.console.use_colors = off
log.file = false
CONF
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

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 2; }

case ${1:-} in
  install | start | stop | restart | status | env | drop-rabbitmq | cluster)
    cmd=$1; shift; "cmd_$cmd" "$@" ;;
  *) usage ;;
esac
