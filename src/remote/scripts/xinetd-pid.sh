# Finds the running xinetd. Parameter: pid_file (where an init script writes xinetd's pid).

# Sets xinetd to xinetd's pid, or fails when it does not run. In order: the pid file (Debian 12's
# init script, also under systemd), systemd's MainPID (Debian 13's unit writes no pid file), then
# the oldest process named xinetd owned by root (a throwaway validator's xinetd is younger). Each
# candidate must be a live process named xinetd: a stale pid file or a reused pid never counts.
# Files are read with the shell's read: it is polled, and a process per read would add up.
find_xinetd() {
  for source in pid-file systemd oldest; do
    candidate=
    case $source in
    pid-file) { IFS= read -r candidate <"$pid_file"; } 2>/dev/null ;;
    systemd) candidate=$(systemctl show -p MainPID --value xinetd 2>/dev/null) ;;
    oldest) candidate=$(pgrep -o -x -u 0 xinetd 2>/dev/null) ;;
    esac
    candidate=${candidate%%[!0-9]*}
    case $candidate in "" | 0) continue ;; esac
    process_name=
    { IFS= read -r process_name <"/proc/$candidate/comm"; } 2>/dev/null
    if [ "$process_name" = xinetd ]; then
      xinetd=$candidate
      return 0
    fi
  done
  return 1
}

# Prints xinetd's pid (find_xinetd), or fails when it does not run.
xinetd_pid() {
  find_xinetd && echo "$xinetd"
}
