# How xinetd is reloaded on this host and where it logs: `STRATEGY <how>` and `LOG <where>`.
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1 && systemctl cat xinetd.service >/dev/null 2>&1; then
  echo "STRATEGY systemctl"
elif command -v service >/dev/null 2>&1 && [ -x /etc/init.d/xinetd ]; then
  echo "STRATEGY service"
else
  echo "STRATEGY signal"
fi
# The running xinetd's own arguments say whether it writes a log file; /etc/default/xinetd only
# when it does not run (Debian 13's unit ignores that file).
filelog_argument='s/.*-filelog[[:space:]]\{1,\}\([^[:space:]"'\'']\{1,\}\).*/\1/p'
if find_xinetd; then
  filelog=$(tr '\0' ' ' <"/proc/$xinetd/cmdline" | sed -n "$filelog_argument")
else
  options=$(sed -n 's/^[[:space:]]*XINETD_OPTS=//p' /etc/default/xinetd 2>/dev/null | tail -n 1)
  filelog=$(printf '%s\n' "$options" | sed -n "$filelog_argument")
fi
if [ -n "$filelog" ]; then echo "LOG file $filelog"
elif [ -d /run/systemd/system ] && command -v journalctl >/dev/null 2>&1; then echo "LOG journal"
elif [ -f /var/log/syslog ]; then echo "LOG syslog /var/log/syslog"
elif [ -f /var/log/messages ]; then echo "LOG syslog /var/log/messages"
else echo "LOG none"; fi
