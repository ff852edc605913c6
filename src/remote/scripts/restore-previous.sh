# Undoes one change under the file's lock, but only while the file still holds what that change
# wrote (stdin, compared with cmp; or absence), so a later change is never reverted.
# Parameters: target, dir, lock, lock_wait, previous, expect (content or absent),
# restore (previous or remove).
set -u
check_directory "$dir"
take_lock
[ ! -L "$target" ] || fail "refusing $target: it is a symbolic link"
if [ "$expect" = absent ]; then
  if [ -e "$target" ]; then echo CHANGED; exit 0; fi
else
  cmp -s - "$target" || { echo CHANGED; exit 0; }
fi
if [ "$restore" = previous ]; then
  refuse_link "$previous"
  [ -f "$previous" ] || fail "the previous version $previous is gone"
  mv -fT -- "$previous" "$target" || exit 2
else
  rm -f -- "$target" || exit 2
fi
sync "$dir" 2>/dev/null || sync
echo RESTORED
