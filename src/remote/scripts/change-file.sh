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
set -- "$temp_prefix"*
if [ -e "$1" ] || [ -L "$1" ]; then rm -f -- "$@"; fi
refuse_linked_target
refuse_link "$previous"
# No copy of a secret file is kept, and none left by an older version of this script survives.
if [ -n "$secret" ] && [ -e "$previous" ]; then rm -f -- "$previous" || exit 2; fi
# The target's size, mode, uid and gid, then its header (target_header's format), in one stat.
current_mode=
current_uid=
current_gid=
if [ -f "$target" ]; then
  facts=$(stat -c "%s %a %u %g $target_header_format" -- "$target") || exit 2
  read -r size current_mode current_uid current_gid header <<EOF
$facts
EOF
  if [ -n "$secret" ]; then
    salted_target_sum "$salt" || exit 2
    printf 'SECRET %s %s\n' "$header" "$sum"
  else
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
# mktemp, not a fixed name made with noclobber: sh's noclobber opens an existing name that leads
# to a fifo or a device, and a sticky world-writable directory passes check_directory, so another
# user could plant such a name there for the write below to follow.
tmp=$(mktemp -- "$temp_prefix"XXXXXX) || exit 2
head -c "$length" >"$tmp"
# The candidate's size (did it all arrive), mode and owner, in one stat: a chown or chmod that
# would change nothing is not run.
facts=$(stat -c '%s %a %u %g %U %G' -- "$tmp") || exit 2
read -r tmp_size tmp_mode tmp_uid tmp_gid tmp_user tmp_group <<EOF
$facts
EOF
[ "$tmp_size" -eq "$length" ] || { echo "new content arrived incomplete" >&2; exit 3; }
method=none
verdict=accepted
case $validate in
xinetd-service) validate_xinetd "$tmp" || exit 2 ;;
rsyncd) validate_rsyncd "$tmp" || exit 2 ;;
esac
echo "VALIDATION $method"
if [ "$verdict" = rejected ]; then echo "RESULT rejected"; print_report; exit 0; fi
# What is not given is kept from the target as it was under the lock (ids), else 644 and ours.
# A given name is compared with the candidate's owner's name, a kept id with its id.
[ -n "$mode" ] || mode=${current_mode:-644}
if [ -n "$owner" ]; then
  [ "$owner" != "$tmp_user" ] || owner=
elif [ -n "$current_uid" ] && [ "$current_uid" != "$tmp_uid" ]; then
  owner=$current_uid
fi
if [ -n "$group" ]; then
  [ "$group" != "$tmp_group" ] || group=
elif [ -n "$current_gid" ] && [ "$current_gid" != "$tmp_gid" ]; then
  group=$current_gid
fi
# The temp file is ours (created above) in a directory no other user can change names in; chmod
# comes last because chown may clear set-id bits. `:group` alone changes only the group.
if [ -n "$owner$group" ]; then
  chown -- "$owner${group:+:$group}" "$tmp" || exit 2
  chmod -- "$mode" "$tmp" || exit 2
elif [ "$mode" != "$tmp_mode" ]; then
  chmod -- "$mode" "$tmp" || exit 2
fi
sync "$tmp" 2>/dev/null || sync
if [ -n "$secret" ]; then
  # The rename below replaces the old passwords in one step; no copy of them is made.
  :
elif [ -e "$target" ]; then
  # The old inode stays reachable as the previous version; each step is atomic on its own.
  ln -fT -- "$target" "$previous" || exit 2
elif [ -e "$previous" ]; then
  rm -f -- "$previous" || exit 2
fi
mv -fT -- "$tmp" "$target" || exit 2
tmp=
sync "$dir" 2>/dev/null || sync
echo "RESULT written"
print_report
