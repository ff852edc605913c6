# The doctor's checks of an rsync daemon's files and modules, read-only. Stdin: one request per
# line, fields separated by tabs; the answers are framed as in doctor-probe.sh.
#   FILE <path>                          the file's `stat` line and content (symbolic links followed)
#   ACCESS <key> <user> <group> <path>   whether that user can read and enter the directory
#   WRITABLE <key> <user> <path>         whether that user can write the file, or create it
#   SECRETS <key> <path>                 mode, owners, CR count and user names (never a password)
#   CHROOT                               whether this shell (root) may chroot
#   CONNECT <module> <address> <user> <secrets file>   a real connection to the module (`-`: none)
#   LIST <address>                       the module list the daemon sends
#   TAIL <path or syslog>                the rsync daemon's last log lines
# Parameters: nonce, port, lines, connect_timeout.
set -u
block() {
  printf 'BEGIN %s %s %s\n' "$nonce" "$1" "$2"
  cat
  printf '\nEND %s\n' "$nonce"
}
work=$(mktemp -d /tmp/.doctor.XXXXXX) || exit 2
trap 'rm -rf -- "$work"' EXIT
umask 077
# As the user and group, with no supplementary groups, as rsync runs a module.
as_user() {
  user=$1 group=$2
  shift 2
  if [ "$(id -u)" != 0 ]; then "$@"; return; fi
  command -v setpriv >/dev/null 2>&1 || return 3
  setpriv --reuid="$user" --regid="$group" --clear-groups -- "$@"
}
tab=$(printf '\t')
while IFS="$tab" read -r request a b c d; do
  case $request in
  FILE)
    if [ -f "$a" ] && [ -r "$a" ]; then
      printf 'STAT\t%s\t%s\n' "$(stat -L -c '%a %U %G' -- "$a")" "$a"
      head -c 1048576 -- "$a" | block file "$a"
    elif [ -e "$a" ]; then printf 'NOTFILE\t%s\n' "$a"
    else printf 'MISSING\t%s\n' "$a"; fi ;;
  ACCESS)
    if [ ! -e "$d" ]; then verdict=missing
    elif [ ! -d "$d" ]; then verdict=not-directory
    elif ! getent group "$c" >/dev/null 2>&1 && ! c=$(id -g "$b" 2>/dev/null); then verdict=unchecked
    elif as_user "$b" "$c" test -r "$d" -a -x "$d" 2>/dev/null; then verdict=readable
    elif [ $? -eq 3 ]; then verdict=unchecked
    else verdict=unreadable; fi
    printf 'ACCESS\t%s\t%s\n' "$a" "$verdict" ;;
  WRITABLE)
    dir=$(dirname -- "$c")
    if [ -e "$c" ]; then target=$c; else target=$dir; fi
    if [ ! -d "$dir" ]; then verdict=no-directory
    elif as_user "$b" "$(id -g "$b" 2>/dev/null || echo "$b")" test -w "$target" 2>/dev/null; then verdict=writable
    else verdict=unwritable; fi
    printf 'WRITABLE\t%s\t%s\n' "$a" "$verdict" ;;
  SECRETS)
    if [ ! -e "$b" ]; then printf 'SECRETS\t%s\tmissing\n' "$a"
    elif [ ! -f "$b" ] || [ ! -r "$b" ]; then printf 'SECRETS\t%s\tunreadable\n' "$a"
    else
      printf 'SECRETS\t%s\tfile\t%s\t%s\n' "$a" "$(stat -L -c '%a %U' -- "$b")" "$(tr -cd '\r' <"$b" | wc -c)"
      grep -v '^[[:space:]]*#' -- "$b" | sed -n 's/^\([^:]*\):.*/\1/p' | block users "$a"
    fi ;;
  CHROOT)
    if chroot / true 2>/dev/null; then printf 'CHROOT\tok\n'; else printf 'CHROOT\tfailed\n'; fi ;;
  CONNECT)
    set -- --contimeout="$connect_timeout" --timeout="$connect_timeout"
    if [ "$c" != - ]; then
      # The user's own line of the secrets file, kept on this host in a private temp file.
      sed -n "s/^$c:\(.*\)\$/\1/p" -- "$d" 2>/dev/null | head -n 1 >"$work/password"
      set -- "$@" --password-file="$work/password"
      target="rsync://$c@$b:$port/$a/"
    else
      target="rsync://$b:$port/$a/"
    fi
    rsync "$@" "$target" >"$work/out" 2>&1 </dev/null
    printf 'CONNECT\t%s\t%s\n' "$a" "$?"
    tail -n 20 "$work/out" | block connect "$a"
    rm -f -- "$work/password" ;;
  LIST)
    rsync --contimeout="$connect_timeout" --timeout="$connect_timeout" "rsync://$a:$port/" >"$work/out" 2>&1 </dev/null
    printf 'LIST\t%s\n' "$?"
    head -n 500 "$work/out" | block list "$a" ;;
  TAIL)
    if [ "$a" = syslog ]; then
      for log in /var/log/syslog /var/log/messages; do
        if [ -r "$log" ]; then grep 'rsyncd\[' -- "$log" | tail -n "$lines" | block log "rsync:$log"; break; fi
      done
    elif [ -r "$a" ]; then tail -n "$lines" -- "$a" | block log "rsync:$a"
    fi ;;
  esac
done
true
