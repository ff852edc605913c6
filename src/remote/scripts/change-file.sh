# Changes one file under its lock, on one channel: prints the current file (or, for a secret
# file, only its metadata and a salted checksum), reads the caller's answer from stdin, validates
# a new content with the daemon's own reading, and swaps it in atomically.
# Parameters: target, dir, lock, lock_wait, previous, temp_prefix, mode, owner, group,
# validate (xinetd-service, rsyncd, none), secret (1 or empty).
# Stdin: for a secret file, the salt line first; then the answer: KEEP, DELETE, or
# `WRITE <length> <expected services>` followed by exactly <length> bytes.
set -u
salt=
if [ -n "$secret" ]; then IFS= read -r salt || exit 0; fi
check_directory "$dir"
take_lock
# Under the lock no other change is running, so any temp file left here is from a killed one.
rm -f -- "$temp_prefix"*
refuse_linked_target
refuse_link "$previous"
# No copy of a secret file is kept, and none left by an older version of this script survives.
if [ -n "$secret" ]; then rm -f -- "$previous" || exit 2; fi
if [ -f "$target" ]; then
  header=$(target_header) || exit 2
  if [ -n "$secret" ]; then
    sum=$(salted_target_sum "$salt") || exit 2
    printf 'SECRET %s %s\n' "$header" "$sum"
  else
    size=$(wc -c <"$target") || exit 2
    printf 'FILE %s %s\n' "$header" "$size"
    head -c "$size" -- "$target"
  fi
elif [ -e "$target" ]; then
  fail "$target is not a regular file"
else
  echo ABSENT
fi
# EOF here means the caller went away: nothing was changed.
read -r action length expected || exit 0
case $action in
KEEP)
  echo "RESULT unchanged"; exit 0 ;;
DELETE)
  if [ -e "$target" ]; then
    if [ -n "$secret" ]; then
      rm -f -- "$target" || exit 2
    else
      # -T: a name is never taken for a directory to put the link in.
      ln -fT -- "$target" "$previous" || exit 2
      rm -f -- "$target" || exit 2
    fi
    sync "$dir" 2>/dev/null || sync
  fi
  echo "RESULT deleted"; exit 0 ;;
WRITE) ;;
*) fail "unknown action $action" ;;
esac
tmp=$(mktemp -- "$temp_prefix"XXXXXX) || exit 2
report=$(mktemp /tmp/.change-report.XXXXXX) || exit 2
head -c "$length" >"$tmp"
[ "$(wc -c <"$tmp")" -eq "$length" ] || { echo "new content arrived incomplete" >&2; exit 3; }
method=none
verdict=accepted
case $validate in
xinetd-service) validate_xinetd "$tmp" || exit 2 ;;
rsyncd) validate_rsyncd "$tmp" || exit 2 ;;
esac
echo "VALIDATION $method"
if [ "$verdict" = rejected ]; then echo "RESULT rejected"; cat -- "$report"; exit 0; fi
if [ -e "$target" ]; then
  [ -n "$mode" ] || mode=$(stat -c %a -- "$target")
  [ -n "$owner" ] || owner=$(stat -c %u -- "$target")
  [ -n "$group" ] || group=$(stat -c %g -- "$target")
fi
# The temp file is ours (mktemp) in a directory no other user can change names in; chmod comes
# last because chown may clear set-id bits.
if [ -n "$owner" ]; then chown -- "$owner" "$tmp" || exit 2; fi
if [ -n "$group" ]; then chgrp -- "$group" "$tmp" || exit 2; fi
chmod -- "${mode:-644}" "$tmp" || exit 2
sync "$tmp" 2>/dev/null || sync
if [ -n "$secret" ]; then
  # The rename below replaces the old passwords in one step; no copy of them is made.
  :
elif [ -e "$target" ]; then
  # The old inode stays reachable as the previous version; each step is atomic on its own.
  ln -fT -- "$target" "$previous" || exit 2
else
  rm -f -- "$previous" || exit 2
fi
mv -fT -- "$tmp" "$target" || exit 2
tmp=
sync "$dir" 2>/dev/null || sync
echo "RESULT written"
cat -- "$report"
