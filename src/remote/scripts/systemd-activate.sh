# Applies changed socket services on a host: one `systemctl daemon-reload`, then per socket
# (stdin, one a line: `<start|stop> <socket unit> <service unit pattern> <port> <tcp|udp|->
# <restart 0|1> <accept 0|1> <enable|runtime|->`). `start`: enabled, restarted when its units
# changed (an Accept=no service first, as it holds the listening socket) or else started, and
# checked: `UNIT <socket> <active state> <listening|missing|unchecked>`, and for a socket that is
# not up, its journal since this script started (the units' last 18 lines) between `JOURNAL
# <socket>` and `END`. `stop`:
# stopped and disabled with its service (a rollback of a socket that was new).
# Parameters: reload (1: daemon-reload first).
set -u
# The journal's position now: what the units log after it is this activation's.
cursor=$(journalctl -n 1 --show-cursor -q -o cat 2>/dev/null | sed -n 's/^-- cursor: //p')
out=$(mktemp /tmp/.systemd-activate.XXXXXX) || exit 2
trap 'rm -f -- "$out"' EXIT
if [ "$reload" = 1 ]; then
  systemctl daemon-reload >"$out" 2>&1 || { echo "systemctl daemon-reload failed:" >&2; cat "$out" >&2; exit 2; }
fi
units=$(cat)
printf '%s\n' "$units" | while read -r action socket service port protocol restart accept enable; do
  [ -n "$socket" ] || continue
  if [ "$action" = stop ]; then
    systemctl disable --now --no-reload --quiet "$socket" >/dev/null 2>&1
    systemctl stop "$service" >/dev/null 2>&1
    systemctl reset-failed "$socket" >/dev/null 2>&1
    continue
  fi
  case $enable in
  enable) systemctl enable --no-reload --quiet "$socket" >/dev/null 2>&1 ;;
  runtime) systemctl enable --runtime --no-reload --quiet "$socket" >/dev/null 2>&1 ;;
  esac
  # Managed changes are not a start loop: systemd's start rate limit (5 starts in 10 s) must not
  # fail the socket after a few quick updates. reset-failed resets it.
  systemctl reset-failed "$socket" >/dev/null 2>&1
  if [ "$restart" = 1 ]; then
    if [ "$accept" = 0 ]; then systemctl stop "$service" >/dev/null 2>&1; fi
    systemctl restart "$socket" >/dev/null 2>&1
  else
    systemctl start "$socket" >/dev/null 2>&1
  fi
done
printf '%s\n' "$units" | while read -r action socket service port protocol restart accept enable; do
  if [ -z "$socket" ] || [ "$action" != start ]; then continue; fi
  state=$(systemctl is-active "$socket" 2>/dev/null)
  listening=unchecked
  if [ "$protocol" != - ] && command -v ss >/dev/null 2>&1; then
    if [ "$protocol" = udp ]; then flag=-u; else flag=-t; fi
    if [ -n "$(ss -Hln "$flag" "sport = :$port" 2>/dev/null)" ]; then listening=listening; else listening=missing; fi
  fi
  echo "UNIT $socket ${state:-unknown} $listening"
  if [ "$state" != active ] || [ "$listening" = missing ]; then
    echo "JOURNAL $socket"
    if [ -n "$cursor" ]; then after="--after-cursor=$cursor"; else after="--since=-1min"; fi
    journalctl --no-pager -q -o short-iso "$after" -u "$socket" -u "$service" 2>&1 | tail -n 18
    echo END
  fi
done
