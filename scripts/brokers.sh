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

# The parts, each in scripts/brokers/ (the config files they write come from templates/
# there, rendered by common.sh's render):
#   common.sh    state dir, peers and ports, logging, lock, templates, process helpers
#   install.sh   install
#   certs.sh     the test certificates
#   rabbitmq.sh  the two RabbitMQ nodes' config and launch, drop-rabbitmq
#   activemq.sh  ActiveMQ's config and launch
#   peers.sh     start, stop, restart, status, env
#   cluster.sh   cluster start|stop|status|kill|revive|env
BROKERS_LIB=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/brokers
# shellcheck source=brokers/common.sh
. "$BROKERS_LIB/common.sh"
# shellcheck source=brokers/install.sh
. "$BROKERS_LIB/install.sh"
# shellcheck source=brokers/certs.sh
. "$BROKERS_LIB/certs.sh"
# shellcheck source=brokers/rabbitmq.sh
. "$BROKERS_LIB/rabbitmq.sh"
# shellcheck source=brokers/activemq.sh
. "$BROKERS_LIB/activemq.sh"
# shellcheck source=brokers/peers.sh
. "$BROKERS_LIB/peers.sh"
# shellcheck source=brokers/cluster.sh
. "$BROKERS_LIB/cluster.sh"

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 2; }

case ${1:-} in
  install | start | stop | restart | status | env | drop-rabbitmq | cluster)
    cmd=$1; shift; "cmd_$cmd" "$@" ;;
  *) usage ;;
esac
