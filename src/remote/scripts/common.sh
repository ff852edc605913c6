# Shared by every script that changes a file: failing with a message, cleaning up on exit,
# refusing unsafe directories and companion paths, and taking the file's lock.
# Parameters: lock (path), lock_wait (seconds).

fail() {
  printf '%s\n' "$*" >&2
  exit 2
}

# Removed on exit, however the script ends: the lock's scratch link, the candidate, the report.
fresh=
tmp=
report=
work=
trap 'rm -f -- "$fresh" "$tmp" "$report"; [ -z "$work" ] || rm -rf -- "$work"' EXIT
trap 'exit 129' HUP
trap 'exit 141' PIPE
trap 'exit 143' TERM
umask 077
me=$(id -u)

# Nobody but root and the writer may be able to replace names in the directory: it must be
# owned by one of them, and not group- or other-writable unless it has the sticky bit.
check_directory() {
  [ -d "$1" ] || fail "directory $1 does not exist"
  facts=$(stat -L -c '%u %a' -- "$1") || fail "cannot inspect directory $1"
  owner_id=${facts% *}
  bits=$((0${facts#* }))
  if [ "$owner_id" != 0 ] && [ "$owner_id" != "$me" ]; then
    fail "refusing to change files in $1: it belongs to uid $owner_id, neither root nor the writer (uid $me), so its owner could replace them"
  fi
  if [ $((bits & 01000)) -eq 0 ] && [ $((bits & 022)) -ne 0 ]; then
    fail "refusing to change files in $1: its mode ${facts#* } lets other users replace them (group- or other-writable without the sticky bit)"
  fi
}

# A companion path ($1, a lock or previous version) must be absent or a regular file, never a
# symbolic link: writing through one would change another file.
refuse_link() {
  if [ -L "$1" ]; then fail "refusing $1: it is a symbolic link (to $(readlink -- "$1")); remove it"; fi
  if [ -e "$1" ] && [ ! -f "$1" ]; then fail "refusing $1: it is not a regular file; remove it"; fi
}

# Opens the lock as fd 9 without following a symbolic link, makes it the writer's with mode 0600
# (so no other user can open it to hold it), and waits at most lock_wait seconds for it. Held
# until this process exits, however it exits: a dropped connection cannot leave it behind.
take_lock() {
  if [ ! -e "$lock" ] && [ ! -L "$lock" ]; then
    fresh=$(mktemp -- "$lock.new.XXXXXX") || fail "cannot create the lock file $lock"
    # link() neither follows nor replaces what is at $lock: a lock made meanwhile is kept.
    ln -T -- "$fresh" "$lock" 2>/dev/null
    rm -f -- "$fresh"
    fresh=
  fi
  refuse_link "$lock"
  exec 9<"$lock" || fail "cannot open the lock file $lock"
  # What was opened must be what the name holds now: no swap between the check and the open.
  [ "$(stat -L -c '%d:%i' /dev/fd/9)" = "$(stat -c '%d:%i' -- "$lock")" ] ||
    fail "refusing the lock file $lock: it was replaced while being opened"
  facts=$(stat -L -c '%u %a' /dev/fd/9) || fail "cannot inspect the lock file $lock"
  # Through the open descriptor, so the change reaches the file that was checked.
  if [ "${facts% *}" != "$me" ]; then
    chown -- "$me" /dev/fd/9 2>/dev/null ||
      fail "refusing the lock file $lock: it belongs to uid ${facts% *}, not to the writer (uid $me); remove it"
  fi
  if [ "${facts#* }" != 600 ]; then
    chmod 600 /dev/fd/9 || fail "cannot make the lock file $lock mode 0600"
  fi
  flock -w "$lock_wait" 9 ||
    fail "gave up after ${lock_wait} s waiting for the lock file $lock: another change, or a process holding the file, kept it"
}
