# shellcheck shell=bash
# RabbitMQ: two nodes from Debian's rabbitmq-server, configured in /etc/rabbitmq from the
# templates under templates/rabbitmq/, and `drop-rabbitmq`.

# RabbitMQ's ws_frame setting is node-wide (rabbit_web_stomp_listener compiles one route
# with one frame type for all its listeners), so text mode needs a second node.
RABBIT_NODE=rabbit@localhost
RABBIT_TEXT_NODE=rabbit-text@localhost
RABBIT_ETC=/etc/rabbitmq
RABBIT_TEXT_ETC=/etc/rabbitmq/text
RABBIT_MNESIA=/var/lib/rabbitmq/mnesia

write_rabbit_config() {
  mkdir -p "$RABBIT_ETC/ssl" "$RABBIT_TEXT_ETC"
  # The broker runs as the rabbitmq user, which cannot read root's files under $DIR.
  install -m 644 -o rabbitmq -g rabbitmq "$DIR/ca.pem" "$DIR/server.pem" "$RABBIT_ETC/ssl/"
  install -m 600 -o rabbitmq -g rabbitmq "$DIR/server.key" "$RABBIT_ETC/ssl/"

  # Written directly instead of via rabbitmq-plugins, which needs a running node or
  # --offline plus an Erlang start (~1 s each).
  render rabbitmq/enabled_plugins >"$RABBIT_ETC/enabled_plugins"

  # Read by the server *and* by rabbitmqctl, so a plain `rabbitmqctl ...` targets the
  # main node. Distribution (epmd 4369, node 25672, CLI 35672+) is kept on loopback too.
  render rabbitmq/rabbitmq-env.conf >"$RABBIT_ETC/rabbitmq-env.conf"

  # common.conf, log.console: everything goes to stdout, which launch() sends to $LOGS
  # (the default file log would land in /var/log/rabbitmq and hide start-up failures).
  local common
  common=$(render rabbitmq/common.conf) || exit 1
  render rabbitmq/rabbitmq.conf RABBIT_ETC="$RABBIT_ETC" COMMON="$common" \
    >"$RABBIT_ETC/rabbitmq.conf"

  # Second node: Web-STOMP in text mode only. Its own name (so its own mnesia dir and
  # plugin expansion dir under /var/lib/rabbitmq) and distribution port; no AMQP or
  # plain STOMP listeners, so nothing else can clash with the main node.
  render rabbitmq/text-rabbitmq-env.conf RABBIT_TEXT_NODE="$RABBIT_TEXT_NODE" \
    RABBIT_TEXT_ETC="$RABBIT_TEXT_ETC" RABBIT_ETC="$RABBIT_ETC" \
    >"$RABBIT_TEXT_ETC/rabbitmq-env.conf"
  render rabbitmq/text-rabbitmq.conf COMMON="$common" >"$RABBIT_TEXT_ETC/rabbitmq.conf"
  chown -R rabbitmq:rabbitmq "$RABBIT_ETC"
}

# Both nodes share the files written above: write them once per run.
RABBIT_CONFIG_WRITTEN=""
write_rabbit_config_once() {
  [[ -n $RABBIT_CONFIG_WRITTEN ]] && return 0
  write_rabbit_config
  RABBIT_CONFIG_WRITTEN=1
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
