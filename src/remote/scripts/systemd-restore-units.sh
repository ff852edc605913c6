# Undoes a change of a socket service's files under its lock, file by file, but only where the
# file still holds what the change wrote (so a later change is never reverted): stdin has one
# record per file, `<written|deleted> <restore: previous|remove> <length> <path>` and, for a
# written file, the <length> bytes it was given. Prints `RESTORED <path>` or `CHANGED <path>`.
# Parameters: lock, lock_wait, unit_dir.
set -u
check_directory "$unit_dir"
take_lock
tmp=$(mktemp /tmp/.systemd-restore.XXXXXX) || exit 2
while read -r was restore length path; do
  previous="${path%/*}/.${path##*/}.previous"
  if [ "$was" = written ]; then
    head -c "$length" >"$tmp"
    if [ -L "$path" ] || ! cmp -s -- "$tmp" "$path"; then echo "CHANGED $path"; continue; fi
  elif [ -e "$path" ] || [ -L "$path" ]; then
    echo "CHANGED $path"; continue
  fi
  if [ "$restore" = previous ]; then
    refuse_link "$previous"
    [ -f "$previous" ] || fail "the previous version $previous is gone"
    mv -fT -- "$previous" "$path" || exit 2
  else
    rm -f -- "$path" || exit 2
  fi
  sync "${path%/*}" 2>/dev/null || sync
  echo "RESTORED $path"
done
