# Finds the running xinetd. Parameter: pid_file (where an init script writes xinetd's pid).

# Prints xinetd's pid, or fails when it does not run. In order: the pid file (Debian 12's init
# script, also under systemd), systemd's MainPID (Debian 13's unit writes no pid file), then the
# oldest process named xinetd owned by root (a throwaway validator's xinetd is younger). Each
# candidate must be a live process named xinetd: a stale pid file or a reused pid never counts.
xinetd_pid() {
  for source in pid-file systemd oldest; do
    case $source in
    pid-file) candidate=$(cat -- "$pid_file" 2>/dev/null) ;;
    systemd) candidate=$(systemctl show -p MainPID --value xinetd 2>/dev/null) ;;
    oldest) candidate=$(pgrep -o -x -u 0 xinetd 2>/dev/null) ;;
    esac
    candidate=${candidate%%[!0-9]*}
    case $candidate in "" | 0) continue ;; esac
    if [ "$(cat "/proc/$candidate/comm" 2>/dev/null)" = xinetd ]; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}
