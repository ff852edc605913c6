# Shared by every script that changes a file: failing with a message, cleaning up on exit,
# refusing unsafe directories and companion paths, and taking the file's lock.
# Parameters: lock (path), lock_wait (seconds).

newline='
'

fail() {
  printf '%s\n' "$*" >&2
  exit 2
}

# Removed on exit, however the script ends: the lock's scratch link, the candidate, the report, the
# scratch directory. rm is a process, so it runs only for names that are set.
fresh=
tmp=
report=
work=
remove_scratch() {
  set --
  for scratch in "$fresh" "$tmp" "$report"; do [ -z "$scratch" ] || set -- "$@" "$scratch"; done
  [ $# -eq 0 ] || rm -f -- "$@"
  [ -z "$work" ] || rm -rf -- "$work"
}
trap remove_scratch EXIT
trap 'exit 129' HUP
trap 'exit 141' PIPE
trap 'exit 143' TERM
umask 077
# The writer's uid: set by take_lock (the lock is the writer's), or by writer_uid when needed.
me=
writer_uid() {
  [ -n "$me" ] || me=$(id -u)
}

# Nobody but root and the writer may be able to replace names in the directory: it must be
# owned by one of them, and not group- or other-writable unless it has the sticky bit.
check_directory() {
  [ -d "$1" ] || fail "directory $1 does not exist"
  facts=$(stat -L -c '%u %a' -- "$1") || fail "cannot inspect directory $1"
  owner_id=${facts% *}
  bits=$((0${facts#* }))
  if [ "$owner_id" != 0 ] && ! [ -O "$1" ]; then
    writer_uid
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
    # link() neither follows nor replaces what is at $lock: a lock made meanwhile is kept. Not sh's
    # noclobber, which opens an existing name that leads to a fifo (and hangs) or a device.
    fresh=$(mktemp -- "$lock.new.XXXXXX") || fail "cannot create the lock file $lock"
    ln -T -- "$fresh" "$lock" 2>/dev/null
    rm -f -- "$fresh"
    fresh=
  fi
  refuse_link "$lock"
  exec 9<"$lock" || fail "cannot open the lock file $lock"
  # One stat of the name (not followed) and of what was opened (stdin, fstat): it must be the
  # same file, or the name was swapped between the check and the open.
  facts=$(stat -c '%d:%i %u %a' -- "$lock" - <&9) || fail "cannot inspect the lock file $lock"
  named=${facts%%"$newline"*}
  opened=${facts#*"$newline"}
  [ "${named%% *}" = "${opened%% *}" ] || fail "refusing the lock file $lock: it was replaced while being opened"
  lock_owner=${opened#* }
  lock_bits=${lock_owner#* }
  lock_owner=${lock_owner% *}
  # Through the open descriptor, so the change reaches the file that was checked.
  if [ -O /dev/fd/9 ]; then
    me=$lock_owner
  else
    writer_uid
    chown -- "$me" /dev/fd/9 2>/dev/null ||
      fail "refusing the lock file $lock: it belongs to uid $lock_owner, not to the writer (uid $me); remove it"
  fi
  if [ "$lock_bits" != 600 ]; then
    chmod 600 /dev/fd/9 || fail "cannot make the lock file $lock mode 0600"
  fi
  flock -w "$lock_wait" 9 ||
    fail "gave up after ${lock_wait} s waiting for the lock file $lock: another change, or a process holding the file, kept it"
}
