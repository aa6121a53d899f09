# shellcheck shell=bash
# `install`: the Debian packages the peers and the browser tests need, and the end of any
# broker process a package's maintainer script started despite us.

PACKAGES=(rabbitmq-server activemq chromium openssl python3-stomp python3-stomper ruby-stomp)

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
