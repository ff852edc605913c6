# Runs a reload or start command (none: only observes), waits until xinetd logs that it has
# reconfigured (or exits), then until every probed service listens (bounded), and reports.
# Parameters: reload_command (shell text; empty to only observe), log_kind (file, syslog, journal,
# none), log_path, pid_file. Stdin: one `<name> <protocol> <port or ->` line per service.
# The reload command may call xinetd_pid (xinetd-pid.sh, included before this script).
set -u
services=$(cat)
out=$(mktemp /tmp/.xinetd-reload.XXXXXX) || exit 2
trap 'rm -f -- "$out"' EXIT
case $log_kind in file|syslog) ;; *) log_path=/dev/null ;; esac
offset=$(wc -c <"$log_path" 2>/dev/null) || offset=0
# The journal's position before the reload: a time (`--since`) has whole seconds, so it would let an
# earlier reload's `Reconfigured` pass for this one's.
cursor=
if [ "$log_kind" = journal ]; then
  cursor=$(journalctl -q -n 0 --show-cursor 2>/dev/null | sed -n 's/^-- cursor: //p')
fi
log_window() {
  case $log_kind in
  file) tail -c +$((offset + 1)) -- "$log_path" 2>/dev/null ;;
  syslog) tail -c +$((offset + 1)) -- "$log_path" 2>/dev/null | grep -i xinetd ;;
  journal)
    if [ -n "$cursor" ]; then
      journalctl -q --no-pager -o short-iso -u xinetd --after-cursor="$cursor" 2>/dev/null
    else
      # An empty journal has no cursor yet: everything in it is new.
      journalctl -q --no-pager -o short-iso -u xinetd 2>/dev/null
    fi
    ;;
  *) true ;;
  esac
}
xinetd_alive() {
  xinetd_pid >/dev/null
}
check_services() {
  printf '%s\n' "$services" | while read -r name protocol port; do
    [ -n "$name" ] || continue
    if [ "$port" = - ]; then
      port=$(getent services "$name/$protocol" | awk '{ split($2, a, "/"); print a[1]; exit }')
    fi
    if [ -z "$port" ]; then echo "SERVICE $name $protocol - unknown-port"; continue; fi
    case $protocol in tcp) flag=-t ;; udp) flag=-u ;; *) echo "SERVICE $name $protocol $port unchecked"; continue ;; esac
    sockets=$(ss -Hlnp "$flag" "sport = :$port" 2>/dev/null)
    if [ -z "$sockets" ]; then echo "SERVICE $name $protocol $port missing"; continue; fi
    holder=$(printf '%s\n' "$sockets" | sed -n 's/.*users:(("\([^"]*\)",pid=\([0-9]*\).*/\1 \2/p' | head -n 1)
    case $holder in
    ""|"xinetd "*) echo "SERVICE $name $protocol $port listening" ;;
    *) echo "SERVICE $name $protocol $port held $holder" ;;
    esac
  done
}
status=0
if [ -n "$reload_command" ]; then
  { eval "$reload_command"
  } >"$out" 2>&1 </dev/null
  status=$?
  if [ "$log_kind" != none ]; then
    tries=0
    while [ $status -eq 0 ] && [ $tries -lt 400 ]; do
      log_window | grep -q 'Reconfigured\|Started working' && break
      xinetd_alive || break
      sleep 0.025
      tries=$((tries + 1))
    done
  fi
fi
tries=0
while [ $tries -lt 80 ] && xinetd_alive && check_services | grep -qv ' listening$\| unchecked$'; do
  sleep 0.025
  tries=$((tries + 1))
done
echo "RELOAD $status"
if xinetd_alive; then echo "XINETD running"; else echo "XINETD stopped"; fi
check_services
echo LOG
log_window | tail -n 200
echo RELOAD_OUTPUT
cat -- "$out"
