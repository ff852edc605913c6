# Moves a service's port between its two launchers, xinetd and a systemd socket, in one round
# trip, so the gap is what the host takes, not what the network adds. Parameters: action
# (`has-systemd`: does the host run systemd?; `present`: is the other launcher there?; `to-systemd`;
# `to-xinetd`), xinetd_file, dir (its directory), lock and lock_wait (the xinetd file's lock),
# previous (its previous version), pid_file, reload (shell text reloading xinetd; may call xinetd_pid), socket (the socket unit),
# service (its service unit pattern), enable (`enable` or `runtime`), port, answer_timeout,
# restore (to-xinetd rollback: `previous` when the xinetd file existed before, `remove` when it is
# new, `keep` when the change found it as wanted).
# to-systemd: the units are written and verified; the xinetd file goes to `previous`, xinetd is
# reloaded, and once the port is free the socket starts. to-xinetd: the xinetd file is written
# and validated (stdin: its content); the socket stops, xinetd is reloaded. Either way the new
# launcher must answer an rsync client on the port, else the old one is put back and answers.
# Prints `GAP <ms>` (old launcher retired to new one listening), `RESULT switched` or `RESULT
# rolled-back <reason>` with `OLD answering|not-answering` and the journal since the start.
set -u
case $action in
has-systemd)
  # What systemd's own sd_booted() checks; without it no unit can start (systemctl may still exist).
  if [ -d /run/systemd/system ]; then echo SYSTEMD; else echo NO-SYSTEMD; fi
  exit 0
  ;;
present)
  if [ "$socket" = - ]; then
    if [ -f "$xinetd_file" ]; then echo PRESENT; else echo ABSENT; fi
  elif systemctl is-active --quiet "$socket" 2>/dev/null; then
    echo PRESENT
  else
    echo ABSENT
  fi
  exit 0
  ;;
esac
check_directory "$dir"
take_lock
refuse_link "$previous"
cursor=$(journalctl -n 1 --show-cursor -q -o cat 2>/dev/null | sed -n 's/^-- cursor: //p')
now_ms() { date +%s%3N; }
listening() { [ -n "$(ss -Hltn "sport = :$port" 2>/dev/null)" ]; }
# Polls every 5 ms for at most $2 seconds until the port is listening ($1 = listening) or free.
wait_port() {
  tries=$(($2 * 200))
  while [ "$tries" -gt 0 ]; do
    if listening; then [ "$1" = listening ] && return 0; else [ "$1" = free ] && return 0; fi
    sleep 0.005
    tries=$((tries - 1))
  done
  return 1
}
answers() {
  rsync --contimeout="$answer_timeout" --timeout="$answer_timeout" "rsync://localhost:$port/" >/dev/null 2>&1
}
reload_xinetd() {
  if xinetd_pid >/dev/null; then eval "$reload" >/dev/null 2>&1; fi
}
runtime=
[ "$enable" = runtime ] && runtime=--runtime
socket_off() {
  systemctl disable --now --no-reload --quiet $runtime "$socket" >/dev/null 2>&1
  systemctl reset-failed "$socket" >/dev/null 2>&1
}
socket_on() {
  systemctl enable --no-reload --quiet $runtime "$socket" >/dev/null 2>&1
  systemctl reset-failed "$socket" >/dev/null 2>&1
  systemctl start "$socket" >/dev/null 2>&1
}
journal() {
  if [ -n "$cursor" ]; then after="--after-cursor=$cursor"; else after="--since=-1min"; fi
  echo JOURNAL
  journalctl --no-pager -q -o short-iso "$after" -u "$socket" -u "$service" -u xinetd 2>&1 | tail -n 18
  echo END
}

if [ "$action" = to-systemd ]; then
  out=$(systemctl daemon-reload 2>&1) || fail "systemctl daemon-reload failed: $out"
  retired=0
  start=$(now_ms)
  if [ -f "$xinetd_file" ]; then
    mv -fT -- "$xinetd_file" "$previous" || fail "cannot move $xinetd_file aside"
    retired=1
    reload_xinetd
    wait_port free 5
  fi
  socket_on
  wait_port listening 2
  echo "GAP $(($(now_ms) - start))"
  if answers; then
    echo "RESULT switched"
    exit 0
  fi
  state=$(systemctl is-active "$socket" 2>/dev/null)
  socket_off
  systemctl stop "$service" >/dev/null 2>&1
  if [ "$retired" = 1 ] && [ ! -e "$xinetd_file" ]; then mv -fT -- "$previous" "$xinetd_file"; fi
  reload_xinetd
  wait_port listening 5
  echo "RESULT rolled-back $socket is ${state:-unknown} and no rsync client got an answer on port $port"
else
  stdin=$(mktemp /tmp/.launcher-handover.XXXXXX) || exit 2
  tmp=$stdin
  cat >"$stdin"
  start=$(now_ms)
  socket_off
  wait_port free 5
  reload_xinetd
  wait_port listening 5
  echo "GAP $(($(now_ms) - start))"
  if answers; then
    echo "RESULT switched"
    exit 0
  fi
  if ! xinetd_pid >/dev/null; then why="xinetd is not running"; else why="no rsync client got an answer"; fi
  if [ "$restore" != keep ] && cmp -s -- "$stdin" "$xinetd_file"; then
    if [ "$restore" = previous ]; then mv -fT -- "$previous" "$xinetd_file"; else rm -f -- "$xinetd_file"; fi
  fi
  reload_xinetd
  wait_port free 5
  socket_on
  wait_port listening 2
  echo "RESULT rolled-back $why on port $port"
fi
if answers; then echo "OLD answering"; else echo "OLD not-answering"; fi
journal
