# Removes a socket service under its lock: stops and disables the socket, stops its service
# (every instance), forgets their failed states, removes the unit files, their drop-ins (`*.conf`,
# and the `.d` directory when that leaves it empty) and the previous versions kept beside them,
# and the lock file last. The caller reloads systemd (once for the host's burst).
# Parameters: lock, lock_wait, unit_dir, files, dropin_dirs, socket_unit, service_unit.
set -u
check_directory "$unit_dir"
take_lock
systemctl disable --now --no-reload --quiet "$socket_unit" >/dev/null 2>&1
systemctl stop "$service_unit" >/dev/null 2>&1
systemctl reset-failed "$socket_unit" "$service_unit" >/dev/null 2>&1
remove() {
  refuse_link "${1%/*}/.${1##*/}.previous"
  rm -f -- "$1" "${1%/*}/.${1##*/}.previous" || exit 2
}
# Each loop runs in a subshell (a pipeline): its failure is passed on explicitly.
printf '%s\n' "$files" | while IFS= read -r file; do [ -z "$file" ] || remove "$file"; done || exit 2
printf '%s\n' "$dropin_dirs" | while IFS= read -r dropin_dir; do
  if [ -z "$dropin_dir" ] || [ ! -d "$dropin_dir" ]; then continue; fi
  for conf in "$dropin_dir"/*.conf "$dropin_dir"/.*.conf.previous; do
    [ ! -e "$conf" ] || rm -f -- "$conf" || exit 2
  done
  rmdir -- "$dropin_dir" 2>/dev/null
  true
done || exit 2
rm -f -- "$lock"
echo REMOVED
