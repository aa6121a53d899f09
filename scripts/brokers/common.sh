# shellcheck shell=bash
# Shared by every part of scripts/brokers.sh: where state goes, the default peers and
# their ports, logging, the start/stop lock, template rendering and the process helpers
# (pid files, readiness waits, stopping a peer's process group).

DIR=${STOMPER_BROKERS_DIR:-/tmp/stomper-brokers}
LOGS=$DIR/logs
RUN=$DIR/run
TIMEOUT=${STOMPER_BROKERS_TIMEOUT:-60}

# The config files the peers get, with @NAME@ placeholders (see render).
TEMPLATES=$BROKERS_LIB/templates

# The peers this script runs, and the ports that must accept connections for each to be
# "up". Order matters only for output.
# shellcheck disable=SC2034 # read by peers.sh and install.sh
PEERS=(rabbitmq rabbitmq-text activemq)
declare -gA PORTS=(
  [rabbitmq]="5672 61613 61614 15674"
  [rabbitmq-text]="15675"
  [activemq]="61616 61623"
)

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

elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.1f", b - a}'; }

# Prints template $1 (a path under $TEMPLATES) with each @NAME@ replaced by the value of
# a NAME=value argument; fails if a placeholder is left unfilled. The replacement is
# quoted, so `&` and `\` in a value are taken literally.
render() {
  local file=$TEMPLATES/$1 text pair
  shift
  [[ -r $file ]] || die "template $file not found"
  text=$(<"$file")
  for pair in "$@"; do text=${text//"@${pair%%=*}@"/"${pair#*=}"}; done
  if [[ $text =~ @[[:upper:][:digit:]_]+@ ]]; then
    die "template $file: ${BASH_REMATCH[0]} not filled"
  fi
  printf '%s\n' "$text"
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
        log "$p up (ports ${PORTS[$p]}) after $(elapsed "$t0") s"
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
