#!/usr/bin/env bash
# Starts and stops a private one-node Slurm cluster on this machine, for tests that submit jobs.
#
#   scripts/slurm-cluster.sh start DIR   # prints "export SLURM_CONF=..." lines: eval "$(... start DIR)"
#   scripts/slurm-cluster.sh stop DIR    # stops exactly the daemons that "start DIR" started
#
# Everything lives under DIR: slurm.conf, a private munged (own key, socket, pid file, log, seed),
# slurmctld's state, slurmd's spool, pid files and logs. The cluster is named "encore", has one
# node (this machine, `hostname -s`, `nproc` CPUs) in one partition "encore", listens on free
# private ports and needs no cgroups, no systemd and no files outside DIR. The system's own
# munged/slurmctld/slurmd (if any) are never used or touched.
#
# Needs the Debian packages slurmctld, slurmd, slurm-client and munge (slurm-wlm pulls in the
# first three). Run it as root: slurmd runs jobs as the submitting user. As another user it runs
# the daemons as that user, which is enough for that user's own jobs.
#
# Environment (all optional):
#   SLURM_CLUSTER_TIMEOUT   seconds to wait for the node to become idle (default 30)
#   SLURM_CLUSTER_CPUS      CPUs to give the node (default: nproc)
#   SLURM_CLUSTER_PORT      slurmctld port; slurmd gets the next free one (default: a free one
#                           from 16817 on)
set -euo pipefail

prog=${0##*/}
say() { echo "$prog: $*" >&2; }
die() { say "error: $*"; exit 1; }

usage() {
  echo "usage: $prog start DIR | stop DIR" >&2
  exit 2
}

(($# == 2)) || usage
action=$1
dir=$2
[[ -n $dir ]] || usage

# Which Debian package provides each command this script needs.
declare -A package_of=(
  [munged]=munge [munge]=munge
  [slurmctld]=slurmctld [slurmd]=slurmd
  [sinfo]=slurm-client [squeue]=slurm-client [scontrol]=slurm-client
  [sbatch]=slurm-client [scancel]=slurm-client
)

check_packages() {
  local missing=() command package
  for command in "${!package_of[@]}"; do
    # /usr/sbin is not always on a non-root PATH.
    if ! PATH=$PATH:/usr/sbin:/sbin command -v "$command" >/dev/null; then
      package=${package_of[$command]}
      [[ " ${missing[*]} " == *" $package "* ]] || missing+=("$package")
    fi
  done
  if ((${#missing[@]})); then
    say "error: missing commands; install the Debian packages: ${missing[*]}"
    say "  apt-get install --no-install-recommends slurmctld slurmd slurm-client munge"
    exit 3
  fi
}

# --- helpers -----------------------------------------------------------------------------------

# Ports something on this machine has bound (any TCP state), one a line, in decimal.
used_ports() {
  local file
  for file in /proc/net/tcp /proc/net/tcp6; do
    [[ -r $file ]] || continue
    awk 'NR > 1 { split($2, a, ":"); print strtonum("0x" a[2]) }' "$file" 2>/dev/null ||
      awk 'NR > 1 { split($2, a, ":"); print a[2] }' "$file" | while read -r hex; do echo $((16#$hex)); done
  done
}

port_free() {
  local port=$1
  ! grep -qx "$port" <<<"$used_ports_list" &&
    ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
}

free_port() { # free_port FROM [EXCEPT]
  local port=$1 except=${2:-}
  while ((port < 65000)); do
    if [[ $port != "$except" ]] && port_free "$port"; then
      echo "$port"
      return 0
    fi
    port=$((port + 1))
  done
  return 1
}

# The pid in a pid file, if that process is alive and is the daemon this DIR started: its command
# line must name the expected program and DIR itself, so a reused pid is never taken for ours.
live_pid() { # live_pid PIDFILE PROGRAM
  local pidfile=$1 program=$2 pid cmdline
  [[ -r $pidfile ]] || return 1
  pid=$(tr -dc '0-9' <"$pidfile")
  [[ -n $pid ]] || return 1
  [[ -r /proc/$pid/cmdline ]] || return 1
  cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ $cmdline == *"$program"* && $cmdline == *"$dir/"* ]] || return 1
  echo "$pid"
}

# The daemon of DIR when its pid file is missing (e.g. start failed before the daemon wrote it):
# the process whose command line is exactly what start ran for this DIR.
find_pid() { # find_pid PROGRAM
  local program=$1 want cmdline proc
  case $program in
    munged) want="munged --force --socket=$dir/munge/munge.socket.2 " ;;
    slurmctld) want="slurmctld -c -f $dir/slurm.conf " ;;
    slurmd) want="slurmd -f $dir/slurm.conf " ;;
  esac
  for proc in /proc/[0-9]*; do
    cmdline=$(tr '\0' ' ' <"$proc/cmdline" 2>/dev/null) || continue
    if [[ $cmdline == "$want"* ]]; then
      echo "${proc#/proc/}"
    fi
  done
}

# stop_daemons PROGRAM...: TERM the named daemons of DIR together, KILL any left after 15 s.
stop_daemons() {
  local program pid pids=() names=() i left
  for program in "$@"; do
    if pid=$(live_pid "$dir/run/$program.pid" "$program"); then
      pids+=("$pid")
      names+=("$program")
    else
      for pid in $(find_pid "$program"); do
        pids+=("$pid")
        names+=("$program")
      done
    fi
  done
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for ((i = 0; i < 150; i++)); do # 15 s
    left=0
    for pid in "${pids[@]}"; do
      if kill -0 "$pid" 2>/dev/null; then left=1; fi
    done
    ((left)) || break
    sleep 0.1
  done
  for i in "${!pids[@]}"; do
    pid=${pids[i]}
    if kill -0 "$pid" 2>/dev/null; then
      say "${names[i]} (pid $pid) ignored TERM; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  for i in "${!pids[@]}"; do
    pid=${pids[i]}
    for ((left = 0; left < 50; left++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
  done
  for program in "$@"; do
    live_pid "$dir/run/$program.pid" "$program" >/dev/null || rm -f "$dir/run/$program.pid"
  done
}

show_logs() {
  local log
  for log in "$dir/log/munged.log" "$dir/log/slurmctld.log" "$dir/log/slurmd.log" \
    "$dir/log/"*.out; do
    [[ -s $log ]] || continue
    say "--- last lines of $log"
    tail -n 15 "$log" >&2
  done
}

# --- stop --------------------------------------------------------------------------------------

stop_cluster() {
  local pid i
  export SLURM_CONF=$dir/slurm.conf
  # Cancel jobs first: slurmd leaves running jobs' slurmstepd processes behind when it stops.
  if [[ -r $SLURM_CONF ]] && live_pid "$dir/run/slurmctld.pid" slurmctld >/dev/null &&
    live_pid "$dir/run/slurmd.pid" slurmd >/dev/null &&
    live_pid "$dir/run/munged.pid" munged >/dev/null; then
    local jobs
    jobs=$(timeout 10 squeue -h -t PD,R,CF,CG,S -o %A 2>/dev/null | sort -u | tr '\n' ' ') || jobs=""
    if [[ -n ${jobs// /} ]]; then
      # shellcheck disable=SC2086
      timeout 10 scancel $jobs 2>/dev/null || true
      for ((i = 0; i < 100; i++)); do # 10 s
        [[ -z $(timeout 5 squeue -h -t R,CG,CF -o %A 2>/dev/null) ]] && break
        sleep 0.1
      done
    fi
  fi
  stop_daemons slurmd slurmctld
  stop_daemons munged # last: the Slurm daemons authenticate through it until they exit
}

# --- start -------------------------------------------------------------------------------------

start_cluster() {
  check_packages
  PATH=$PATH:/usr/sbin:/sbin

  local user node cpus mem_kb mem_mb margin real_mem ctld_port slurmd_port socket timeout
  user=$(id -un)
  node=$(hostname -s)
  [[ -n $node ]] || die "hostname -s is empty"
  cpus=${SLURM_CLUSTER_CPUS:-$(nproc)}
  mem_kb=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)
  mem_mb=$((mem_kb / 1024))
  # slurmd drains a node that reports less memory than slurm.conf says: leave a margin.
  margin=$((mem_mb / 10))
  ((margin >= 256)) || margin=256
  real_mem=$((mem_mb - margin))
  ((real_mem >= 100)) || real_mem=100
  timeout=${SLURM_CLUSTER_TIMEOUT:-30}

  for program in munged slurmctld slurmd; do
    if pid=$(live_pid "$dir/run/$program.pid" "$program"); then
      die "$program (pid $pid) of a cluster in $dir is still running; run \"$prog stop $dir\" first"
    fi
  done

  mkdir -p "$dir"
  chmod 0755 "$dir" # slurmd, munged and the jobs' users must be able to reach it
  mkdir -p "$dir/munge" "$dir/state" "$dir/spool" "$dir/run" "$dir/log"
  rm -f "$dir/run/"*.pid # stale: none of them is alive (checked above)
  # Clients of every user need to reach munged's socket; the key itself is 0400.
  chmod 0755 "$dir/munge" "$dir/spool" "$dir/run" "$dir/log"
  chmod 0700 "$dir/state"

  socket=$dir/munge/munge.socket.2
  # A Unix socket path must fit in sockaddr_un.sun_path (108 bytes with its NUL).
  ((${#socket} < 100)) || die "DIR is too long for munged's socket path ($socket); use a shorter DIR"

  used_ports_list=$(used_ports | sort -un)
  if [[ -n ${SLURM_CLUSTER_PORT:-} ]]; then
    ctld_port=$SLURM_CLUSTER_PORT
    port_free "$ctld_port" || die "SLURM_CLUSTER_PORT=$ctld_port is in use"
  else
    # Start from a random even offset so that clusters started at once rarely pick the same port.
    ctld_port=$(free_port $((16817 + 2 * (RANDOM % 200)))) || die "no free TCP port for slurmctld"
  fi
  slurmd_port=$(free_port $((ctld_port + 1)) "$ctld_port") || die "no free TCP port for slurmd"

  # munged: private key, socket, pid file, log and seed, all under DIR.
  if [[ ! -s $dir/munge/munge.key ]]; then
    if command -v mungekey >/dev/null; then
      mungekey --create --keyfile="$dir/munge/munge.key" --force >/dev/null
    else
      dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
    fi
  fi
  chmod 0400 "$dir/munge/munge.key"

  cat >"$dir/slurm.conf" <<EOF
# Generated by scripts/slurm-cluster.sh for a private one-node cluster; do not edit.
ClusterName=encore
SlurmctldHost=localhost
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=$user
SlurmdUser=$user
AuthType=auth/munge
AuthInfo=socket=$socket
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2,bf_interval=2
# Report slurm.conf's node values rather than the probed hardware, so a container whose
# /proc shows other numbers does not get the node drained.
SlurmdParameters=config_overrides
ReturnToService=2
MailProg=/bin/true
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
SlurmctldTimeout=30
SlurmdTimeout=60
InactiveLimit=0
KillWait=5
MinJobAge=300
NodeName=$node NodeAddr=127.0.0.1 NodeHostname=$node CPUs=$cpus RealMemory=$real_mem State=UNKNOWN
PartitionName=encore Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOF
  # slurmd reads cgroup.conf only for cgroup plugins, none of which this configuration uses;
  # an empty one keeps a Slurm that looks for it anyway from reading /etc/slurm/cgroup.conf.
  cat >"$dir/cgroup.conf" <<EOF
# Generated by scripts/slurm-cluster.sh: this cluster uses no cgroup plugins.
EOF
  echo "export SLURM_CONF=$dir/slurm.conf" >"$dir/env.sh"

  export SLURM_CONF=$dir/slurm.conf
  local started=false
  # shellcheck disable=SC2317
  on_fail() {
    if [[ $started == false ]]; then
      say "start failed; logs follow"
      show_logs
      stop_cluster
    fi
  }
  trap on_fail EXIT

  # munged refuses keys and directories it thinks others could change; --force turns those
  # checks into warnings (e.g. DIR under a group-writable parent).
  munged --force \
    --socket="$socket" \
    --key-file="$dir/munge/munge.key" \
    --pid-file="$dir/run/munged.pid" \
    --log-file="$dir/log/munged.log" \
    --seed-file="$dir/munge/munged.seed" \
    </dev/null >>"$dir/log/munged.out" 2>&1 || die "munged did not start"
  wait_for "munged's socket" 10 test -S "$socket"

  # -c: a fresh controller state; the jobs of an earlier run in DIR are of no use.
  slurmctld -c -f "$dir/slurm.conf" </dev/null >>"$dir/log/slurmctld.out" 2>&1 ||
    die "slurmctld did not start"
  slurmd -f "$dir/slurm.conf" -N "$node" </dev/null >>"$dir/log/slurmd.out" 2>&1 ||
    die "slurmd did not start"

  wait_for "node $node to be idle" "$timeout" node_idle "$node"
  started=true
  trap - EXIT
  say "cluster up in $dir (node $node, $cpus CPUs, ports $ctld_port/$slurmd_port)"
  cat "$dir/env.sh"
}

node_idle() {
  local state program
  # The daemons write their pid files a moment after they fork: only a pid file whose process
  # has gone means a daemon died.
  for program in munged slurmctld slurmd; do
    if [[ -s $dir/run/$program.pid ]] && ! live_pid "$dir/run/$program.pid" "$program" >/dev/null; then
      die "$program exited"
    fi
  done
  state=$(timeout 5 sinfo -h -n "$1" -o %T 2>/dev/null) || return 1
  case $state in
    idle) return 0 ;;
    *drain* | *invalid* | *fail*) die "node $1 is $state: $(timeout 5 sinfo -h -n "$1" -o %E)" ;;
  esac
  return 1
}

wait_for() { # wait_for WHAT SECONDS COMMAND...
  local what=$1 seconds=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    ((SECONDS < deadline)) || die "timed out after ${seconds}s waiting for $what"
    sleep 0.2
  done
}

# --- main --------------------------------------------------------------------------------------

case $dir in
  /*) ;;
  *) dir=$PWD/$dir ;;
esac
dir=${dir%/}
# slurm.conf and munged take DIR's paths unquoted.
[[ $dir != *[[:space:]]* ]] || die "DIR must not contain white space: $dir"

case $action in
  start) start_cluster ;;
  stop)
    [[ -d $dir ]] || exit 0
    stop_cluster
    ;;
  *) usage ;;
esac
