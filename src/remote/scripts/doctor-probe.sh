# The doctor's first look, read-only: who listens on the rsync port, xinetd's state, its
# configuration files and log, systemd's socket units and journal, and the host's IPv6. Multi-line
# items are framed as `BEGIN <nonce> <kind> <name>` ... `END <nonce>` (the nonce comes from the
# caller, so no file's content can end a frame early).
# Parameters: port, nonce, lines (log lines to send), max_files (files per xinetd directory).
set -u
block() {
  printf 'BEGIN %s %s %s\n' "$nonce" "$1" "$2"
  cat
  printf '\nEND %s\n' "$nonce"
}
# A process of this host, not of a container or namespace beside it.
ours() {
  [ "$(readlink "/proc/$1/ns/net" 2>/dev/null)" = "$(readlink /proc/self/ns/net)" ] &&
    [ "$(readlink "/proc/$1/ns/mnt" 2>/dev/null)" = "$(readlink /proc/self/ns/mnt)" ]
}
process() {
  [ -r "/proc/$1/cmdline" ] || return 0
  printf 'PROCESS %s %s %s\n' "$1" "$(stat -c %u "/proc/$1")" "$(cat "/proc/$1/comm" 2>/dev/null)"
  tr '\0' '\n' <"/proc/$1/cmdline" | block cmdline "$1"
}
send_file() {
  if [ -f "$2" ] && [ -r "$2" ]; then head -c 262144 -- "$2" | block "$1" "$2"; else echo "NOFILE $1 $2"; fi
}

echo "UID $(id -u)"
if [ -d /run/systemd/system ]; then systemd=yes; else systemd=no; fi
echo "SYSTEMD $systemd"
if [ -e /proc/net/if_inet6 ]; then
  disabled=$(cat /proc/sys/net/ipv6/conf/all/disable_ipv6 2>/dev/null)
  echo "IPV6 kernel ${disabled:-0}"
else
  echo "IPV6 none"
fi
if command -v ss >/dev/null 2>&1; then
  ss -Hltnp "sport = :$port" 2>/dev/null | while IFS= read -r line; do
    printf 'LISTEN %s\n' "$line"
  done
  for pid in $(ss -Hltnp "sport = :$port" 2>/dev/null | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | sort -u); do
    process "$pid"
  done
else
  echo "LISTEN_UNKNOWN no ss"
fi

xpid=
if pid=$(cat /run/xinetd.pid 2>/dev/null) && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = xinetd ] && ours "$pid"; then
  xpid=$pid
else
  for pid in $(pidof xinetd 2>/dev/null); do
    if ours "$pid"; then xpid=$pid; break; fi
  done
fi
if [ -n "$xpid" ]; then
  echo "XINETD running $xpid"
  process "$xpid"
elif command -v xinetd >/dev/null 2>&1 || [ -x /usr/sbin/xinetd ]; then
  echo "XINETD stopped"
else
  echo "XINETD absent"
fi
arg_after() {
  [ -n "$xpid" ] && tr '\0' '\n' <"/proc/$xpid/cmdline" | sed -n "/^$1\$/{n;p;q;}"
}
main=$(arg_after -f)
[ -n "$main" ] || main=/etc/xinetd.conf
send_file xinetd-main "$main"
if [ -f "$main" ]; then
  sed -n 's/^[[:space:]]*include[[:space:]]\{1,\}\([^[:space:]]*\).*/\1/p' -- "$main" | while IFS= read -r file; do
    send_file xinetd-include "$file"
  done
  sed -n 's/^[[:space:]]*includedir[[:space:]]\{1,\}\([^[:space:]]*\).*/\1/p' -- "$main" | while IFS= read -r dir; do
    echo "XINETD_DIR $dir"
    count=0
    for file in "$dir"/* "$dir"/.*; do
      [ -f "$file" ] || continue
      count=$((count + 1))
      [ "$count" -le "$max_files" ] || break
      send_file xinetd-file "$file"
    done
  done
fi
if command -v chkconfig >/dev/null 2>&1; then chkconfig --list 2>&1 | block chkconfig list; fi

filelog=$(arg_after -filelog)
if [ -z "$filelog" ] && [ -z "$xpid" ]; then
  filelog=$(sed -n 's/^[[:space:]]*XINETD_OPTS=//p' /etc/default/xinetd 2>/dev/null |
    sed -n 's/.*-filelog[[:space:]]\{1,\}\([^[:space:]"'\'']\{1,\}\).*/\1/p' | tail -n 1)
fi
if [ -n "$filelog" ]; then
  tail -n "$lines" -- "$filelog" 2>/dev/null | block log "xinetd:$filelog"
elif [ "$systemd" = yes ] && command -v journalctl >/dev/null 2>&1; then
  journalctl -q --no-pager -o short-iso -n "$lines" -u xinetd.service 2>/dev/null | block log "xinetd:journal"
else
  for syslog in /var/log/syslog /var/log/messages; do
    if [ -r "$syslog" ]; then grep 'xinetd\[' -- "$syslog" | tail -n "$lines" | block log "xinetd:$syslog"; break; fi
  done
fi

if [ "$systemd" = yes ] && command -v systemctl >/dev/null 2>&1; then
  units=$({ systemctl list-units --all --type=socket --plain --no-legend --no-pager 2>/dev/null
    systemctl list-unit-files --type=socket --plain --no-legend --no-pager 2>/dev/null; } |
    awk '{ print $1 }' | grep '\.socket$' | sort -u)
  journal_units="rsync*"
  for unit in $units; do
    properties=$(systemctl show -p Id -p ActiveState -p SubState -p UnitFileState -p Listen -p Accept -p Triggers \
      -- "$unit" 2>/dev/null)
    printf '%s\n' "$properties" | block unit "$unit"
    # A socket on the port: the service it starts (NAME@.service for Accept=yes) and both units' journal.
    printf '%s\n' "$properties" | grep -q "^Listen=\(.*[]:]\)\{0,1\}$port (" || continue
    if printf '%s\n' "$properties" | grep -qx 'Accept=yes'; then
      service="${unit%.socket}@.service"
    else
      service=$(printf '%s\n' "$properties" | sed -n 's/^Triggers=\([^ ]*\).*/\1/p')
      [ -n "$service" ] || service="${unit%.socket}.service"
    fi
    systemctl cat -- "$service" 2>/dev/null | block unit-file "$service"
    journal_units="$journal_units $unit ${service%.service}*.service"
  done
  for unit in xinetd.service rsync.service rsyncd.service; do
    systemctl show -p Id -p ActiveState -p SubState -p UnitFileState -p LoadState -- "$unit" 2>/dev/null |
      block unit "$unit"
  done
  set -f
  set --
  for unit in $journal_units; do set -- "$@" -u "$unit"; done
  set +f
  journalctl -q --no-pager -o short-iso -n "$lines" "$@" 2>/dev/null | block log "rsync:journal"
fi
true
