# Removes a socket service under its lock: stops and disables the socket, stops its service
# (every instance), removes the unit files, their drop-ins (`*.conf`, and the `.d` directory when
# that leaves it empty) and the previous versions kept beside them, reloads systemd, forgets the
# units' failed states, and removes the lock file last.
# Parameters: lock, lock_wait, unit_dir, files, dropin_dirs, socket_unit, service_unit.
set -u
check_directory "$unit_dir"
take_lock
systemctl disable --now --quiet "$socket_unit" >/dev/null 2>&1
systemctl stop "$service_unit" >/dev/null 2>&1
remove() {
  refuse_link "${1%/*}/.${1##*/}.previous"
  rm -f -- "$1" "${1%/*}/.${1##*/}.previous" || exit 2
}
printf '%s\n' "$files" | while IFS= read -r file; do [ -z "$file" ] || remove "$file"; done
printf '%s\n' "$dropin_dirs" | while IFS= read -r dropin_dir; do
  if [ -z "$dropin_dir" ] || [ ! -d "$dropin_dir" ]; then continue; fi
  for conf in "$dropin_dir"/*.conf "$dropin_dir"/.*.conf.previous; do
    [ ! -e "$conf" ] || rm -f -- "$conf" || exit 2
  done
  rmdir -- "$dropin_dir" 2>/dev/null
done
systemctl daemon-reload || exit 2
systemctl reset-failed "$socket_unit" "$service_unit" >/dev/null 2>&1
rm -f -- "$lock"
echo REMOVED
