# The last lines the rsync daemon logged: its `log file` when the configuration names one, else
# rsyncd's lines in syslog. Parameters: log_file (empty: syslog), lines.
set -u
if [ -n "$log_file" ]; then
  tail -n "$lines" -- "$log_file" 2>/dev/null
else
  for log in /var/log/syslog /var/log/messages; do
    [ -r "$log" ] && grep 'rsyncd\[' "$log" | tail -n "$lines" && break
  done
fi
true
