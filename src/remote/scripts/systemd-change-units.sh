# Changes a socket service's unit files and drop-ins together under one lock, on one channel:
# shows them (systemd-show-units.sh), reads the caller's answer, checks the candidates with
# `systemd-analyze verify` in a scratch unit directory (which systemd searches before the real
# ones, so a candidate replaces its unit and a same-named drop-in masks the host's) and that the
# server is an executable file, then swaps each file in atomically, keeping the previous version.
# Parameters: lock, lock_wait, unit_dir, files, dropin_dirs, units (the two this change writes),
# socket_unit, verify_unit, server, user, group (may be empty), unit_names (a regular expression matching the units' names in
# systemd's messages).
# Stdin: KEEP, or `CHANGE <count>` and count records: `WRITE <length> <path>` followed by exactly
# <length> bytes, or `DELETE 0 <path>`.
set -u
# sd_booted()'s test: without systemd as init, nothing could load or start the units.
[ -d /run/systemd/system ] || fail "this host does not run systemd (no /run/systemd/system); nothing was changed"
check_directory "$unit_dir"
take_lock
show_units || exit 2
# Units of these names that systemd loads from another directory (a package's, /run's): a unit
# written here would override them, which the caller refuses on create without `adopt`.
printf '%s\n' "$units" | while IFS= read -r unit; do
  [ -n "$unit" ] || continue
  source=$(systemctl cat -- "$unit" 2>/dev/null | sed -n '1s/^# //p')
  case $source in "" | "$unit_dir"/*) ;; *) printf 'ELSEWHERE %s %s\n' "$unit" "$source" ;; esac
done
echo END
read -r action count || exit 0
case $action in
KEEP) echo "RESULT unchanged"; exit 0 ;;
CHANGE) ;;
*) fail "unknown action $action" ;;
esac
work=$(mktemp -d /tmp/.systemd-verify.XXXXXX) || exit 2
report=$(mktemp /tmp/.change-report.XXXXXX) || exit 2
verify=
i=0
while [ "$i" -lt "$count" ]; do
  read -r op length path || fail "the change arrived incomplete"
  base=${path##*/}
  parent=${path%/*}
  case $parent in
  *.d) scratch="$work/${parent##*/}"; mkdir -p -- "$scratch" || exit 2 ;;
  *) scratch=$work ;;
  esac
  # A drop-in's directory is not the unit directory: it gets the same check, before any swap.
  if [ -d "$parent" ]; then check_directory "$parent"; fi
  printf '%s\n' "$op $path" >>"$work/.plan"
  if [ "$op" = WRITE ]; then
    head -c "$length" >"$scratch/$base"
    [ "$(wc -c <"$scratch/$base")" -eq "$length" ] || { echo "new content arrived incomplete" >&2; exit 3; }
    verify=1
  else
    # An empty file of the same name masks a drop-in that is to go; a unit that goes is not verified.
    [ "$scratch" = "$work" ] || : >"$scratch/$base"
  fi
  i=$((i + 1))
done
method=none
verdict=accepted
if [ -n "$verify" ]; then
  if [ -n "$server" ] && { [ ! -f "$server" ] || [ ! -x "$server" ]; }; then
    printf 'the server %s is not an executable file on the host\n' "$server" >>"$report"
    verdict=rejected
  fi
  # systemd-analyze does not look users up; a missing one would fail every connection instead.
  if [ -n "$user" ] && ! getent passwd -- "$user" >/dev/null; then
    printf 'the user %s does not exist on the host\n' "$user" >>"$report"
    verdict=rejected
  fi
  if [ -n "$group" ] && ! getent group -- "$group" >/dev/null; then
    printf 'the group %s does not exist on the host\n' "$group" >>"$report"
    verdict=rejected
  fi
  # Units the change leaves as they are are verified as they are on the host.
  printf '%s\n' "$files" | while IFS= read -r file; do
    if [ -n "$file" ] && [ -f "$file" ] && [ ! -e "$work/${file##*/}" ] && ! grep -qxF "DELETE $file" "$work/.plan"; then
      cp -- "$file" "$work/" || exit 2
    fi
  done || exit 2
  if command -v systemd-analyze >/dev/null 2>&1; then
    method=host
    SYSTEMD_UNIT_PATH="$work:" systemd-analyze verify --man=no "$work/$socket_unit" "$verify_unit" \
      >"$work/.verify" 2>&1
    status=$?
    # It drops a setting it cannot read with a message and status 0 (`Unknown key ..., ignoring`,
    # `Failed to parse ...`): such a message about these units refuses them. Mere advice (`Special
    # user nobody configured, this is not safe!`) does not.
    sed "s|$work/|$unit_dir/|g" "$work/.verify" >>"$report"
    if [ "$status" -ne 0 ] ||
      grep -E "$unit_names" "$work/.verify" | grep -qiE 'ignoring|failed|invalid|unknown|not found|no such'; then
      verdict=rejected
    fi
  else
    method="library-only no systemd-analyze"
  fi
fi
echo "VALIDATION $method"
if [ "$verdict" = rejected ]; then echo "RESULT rejected"; cat -- "$report"; exit 0; fi
while read -r op path; do
  base=${path##*/}
  parent=${path%/*}
  previous="$parent/.$base.previous"
  refuse_link "$previous"
  case $parent in *.d) scratch="$work/${parent##*/}" ;; *) scratch=$work ;; esac
  if [ "$op" = WRITE ]; then
    [ -d "$parent" ] || mkdir -p -- "$parent" || exit 2
    tmp=$(mktemp -- "$parent/.$base.tmp.XXXXXX") || exit 2
    cat -- "$scratch/$base" >"$tmp" || exit 2
    chmod 644 "$tmp" || exit 2
    sync "$tmp" 2>/dev/null || sync
    if [ -e "$path" ]; then ln -fT -- "$path" "$previous" || exit 2; else rm -f -- "$previous" || exit 2; fi
    mv -fT -- "$tmp" "$path" || exit 2
    tmp=
  elif [ -e "$path" ]; then
    ln -fT -- "$path" "$previous" || exit 2
    rm -f -- "$path" || exit 2
  fi
  sync "$parent" 2>/dev/null || sync
done <"$work/.plan"
echo "RESULT written"
cat -- "$report"
