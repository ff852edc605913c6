# Runs a reload or start command (none: only observes), waits until xinetd logs that it has
# reconfigured (or exits), then until every probed service listens (bounded), and reports.
# Parameters: reload_command (shell text; empty to only observe), log_kind (file, syslog, journal,
# none), log_path, pid_file. Stdin: one `<name> <protocol> <port or ->` line per service.
# The reload command may call xinetd_pid (xinetd-pid.sh, included before this script).
# The waits poll: each poll starts as few processes as it can (one ss, one log read, one sleep).
set -u
newline='
'
# The probes as `<name> <protocol> <port>` lines; a port given as `-` is looked up here, once, in
# the host's services database (empty when it has none). checkable: some probe needs ss.
services=
checkable=
while read -r name protocol port || [ -n "$name" ]; do
  [ -n "$name" ] || continue
  if [ "$port" = - ]; then
    entry=$(getent services "$name/$protocol")
    read -r _ port _ <<EOF
$entry
EOF
    port=${port%%/*}
  fi
  case $protocol in tcp | udp) [ -z "$port" ] || checkable=1 ;; esac
  services="$services$name $protocol $port$newline"
done
out=$(mktemp /tmp/.xinetd-reload.XXXXXX) || exit 2
trap 'rm -f -- "$out"' EXIT
offset=0
case $log_kind in
file | syslog) offset=$(wc -c <"$log_path" 2>/dev/null) || offset=0 ;;
*) log_path=/dev/null ;;
esac
# The journal's position before the reload: a time (`--since`) has whole seconds, so it would let an
# earlier reload's `Reconfigured` pass for this one's.
cursor=
if [ "$log_kind" = journal ]; then
  cursor=$(journalctl -q -n 0 --show-cursor 2>/dev/null)
  case $cursor in
  "-- cursor: "*) cursor=${cursor#-- cursor: } ;;
  *"$newline-- cursor: "*) cursor=${cursor##*"$newline"-- cursor: } ;;
  *) cursor= ;;
  esac
  cursor=${cursor%%"$newline"*}
fi
# What xinetd logged since the reload began. Only ever run as `$(log_window)`: a single command
# is exec'd, replacing that subshell instead of starting one more process.
log_window() {
  case $log_kind in
  file) exec tail -c +$((offset + 1)) -- "$log_path" 2>/dev/null ;;
  syslog) tail -c +$((offset + 1)) -- "$log_path" 2>/dev/null | grep -i xinetd ;;
  journal)
    if [ -n "$cursor" ]; then
      exec journalctl -q --no-pager -o short-iso -u xinetd --after-cursor="$cursor" 2>/dev/null
    else
      # An empty journal has no cursor yet: everything in it is new.
      exec journalctl -q --no-pager -o short-iso -u xinetd 2>/dev/null
    fi
    ;;
  *) true ;;
  esac
}
# Prints the last $1 lines of $2: the shell counts up to $1 of its line ends, tail only for more.
print_last_lines() {
  rest=$2
  lines=0
  while [ $lines -lt "$1" ]; do
    case $rest in *"$newline"*) rest=${rest#*"$newline"} ;; *) break ;; esac
    lines=$((lines + 1))
  done
  if [ $lines -lt "$1" ]; then printf '%s\n' "$2"; else printf '%s\n' "$2" | tail -n "$1"; fi
}
xinetd_alive() {
  find_xinetd
}
# Sets service_states (one SERVICE line per probe) and waiting (non-empty while a probe is not
# listening or unchecked), from one ss of all listening TCP and UDP sockets with their processes.
check_services() {
  service_states=
  waiting=
  sockets=
  if [ -n "$checkable" ]; then sockets=$(ss -Hlnptu 2>/dev/null); fi
  while read -r name protocol port; do
    [ -n "$name" ] || continue
    if [ -z "$port" ]; then
      state="- unknown-port"
    else
      case $protocol in
      tcp | udp) socket_state ;;
      *) state="$port unchecked" ;;
      esac
    fi
    case $state in *" listening" | *" unchecked") ;; *) waiting=1 ;; esac
    service_states="${service_states}SERVICE $name $protocol $state$newline"
  done <<EOF
$services
EOF
}
# Sets state for the probe name/protocol/port from the sockets: missing, listening (by xinetd,
# or a process ss may not name), or held by the first other process named.
socket_state() {
  found=
  holder=
  while read -r netid _ _ _ local _ users; do
    case $netid:${local##*:} in "$protocol:$port") ;; *) continue ;; esac
    found=1
    [ -z "$holder" ] || continue
    case $users in *'users:(("'*) ;; *) continue ;; esac
    process=${users##*'users:(("'}
    process=${process%%'"'*}
    holder_pid=${users##*'users:(("'}
    holder_pid=${holder_pid#"$process"}
    case $holder_pid in '",pid='*) holder_pid=${holder_pid#'",pid='} ;; *) continue ;; esac
    holder="$process ${holder_pid%%[!0-9]*}"
  done <<EOF
$sockets
EOF
  if [ -z "$found" ]; then
    state="$port missing"
  else
    case $holder in
    "" | "xinetd "*) state="$port listening" ;;
    *) state="$port held $holder" ;;
    esac
  fi
}
status=0
if [ -n "$reload_command" ]; then
  { eval "$reload_command"
  } >"$out" 2>&1 </dev/null
  status=$?
  if [ "$log_kind" != none ]; then
    tries=0
    while [ $status -eq 0 ] && [ $tries -lt 400 ]; do
      window=$(log_window)
      case $window in *Reconfigured* | *"Started working"*) break ;; esac
      xinetd_alive || break
      sleep 0.025
      tries=$((tries + 1))
    done
  fi
fi
check_services
tries=0
while [ -n "$waiting" ] && [ $tries -lt 80 ] && xinetd_alive; do
  sleep 0.025
  tries=$((tries + 1))
  check_services
done
echo "RELOAD $status"
# The last check is still the state when xinetd runs; when it stopped, its sockets are checked again.
if xinetd_alive; then echo "XINETD running"; else echo "XINETD stopped"; check_services; fi
printf '%s' "$service_states"
echo LOG
window=$(log_window)
[ -z "$window" ] || print_last_lines 200 "$window"
echo RELOAD_OUTPUT
[ ! -s "$out" ] || cat -- "$out"
