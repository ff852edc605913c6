# The daemons' own reading of a candidate file, for the change script. Each function takes the
# candidate path and sets `method` (`host`, or `library-only <reason>`) and `verdict`
# (`accepted`/`rejected`), and leaves what the daemon said in two files of "$work" for
# print_report. They work on a copy in a mktemp directory ("$work", removed by the exit trap), so
# the target's directory name (blanks, quotes) never reaches a daemon's parser. Uses: expected,
# work (from the change script).
report_first=
report_second=

# What the daemon said (report_first, then report_second) after the result line; nothing when no
# daemon ran. A part the daemon never wrote is skipped.
print_report() {
  [ -z "$report_first" ] || cat -- "$report_first" "$report_second" 2>/dev/null
  return 0
}

validate_xinetd() {
  writer_uid
  if [ "$me" != 0 ]; then method="library-only not root"; return 0; fi
  command -v xinetd >/dev/null 2>&1 || { method="library-only no xinetd binary"; return 0; }
  work=$(mktemp -d /tmp/.xinetd-validate.XXXXXX) || return 1
  cp -- "$1" "$work/service" || return 1
  # The host's defaults (a bad defaults entry kills xinetd on reload) without their include and
  # includedir lines, then only the candidate.
  { if [ -r /etc/xinetd.conf ]; then
      while IFS= read -r line || [ -n "$line" ]; do
        case ${line#"${line%%[![:space:]]*}"} in include[[:space:]]* | includedir[[:space:]]*) continue ;; esac
        printf '%s\n' "$line"
      done </etc/xinetd.conf
    fi
    printf 'include %s/service\n' "$work"; } >"$work/main.conf"
  # A throwaway network namespace: the candidate's ports are bound there, not on the host. The
  # inner script is single-quoted on purpose: its $1 is the argument after it. Its first act
  # creates "$1/stderr": without that file, unshare itself failed (not permitted here).
  # shellcheck disable=SC2016
  unshare -n sh -c '
    xinetd -dontfork -stayalive -filelog "$1/log" -f "$1/main.conf" >"$1/stderr" 2>&1 &
    pid=$!
    started() {
      while IFS= read -r line || [ -n "$line" ]; do
        case $line in *"Started working"*) return 0 ;; esac
      done 2>/dev/null <"$1/log"
      return 1
    }
    tries=0
    while [ $tries -lt 200 ]; do
      started "$1" && break
      kill -0 $pid 2>/dev/null || break
      sleep 0.025
      tries=$((tries + 1))
    done
    kill $pid 2>/dev/null
    wait $pid 2>/dev/null
    true' xinetd-validate "$work" 2>/dev/null ||
    [ -e "$work/stderr" ] || { method="library-only unshare -n not permitted"; return 0; }
  report_first=$work/log
  report_second=$work/stderr
  method=host
  # The first `Started working: <n> available service` line's n, and whether any line is an error.
  started=
  errors=
  if [ -e "$work/log" ]; then
    while IFS= read -r line || [ -n "$line" ]; do
      case $line in *": ERROR: "*) errors=1 ;; esac
      [ -z "$started" ] || continue
      case $line in *"Started working: "[0-9]*" available service"*) ;; *) continue ;; esac
      started=${line##*Started working: }
      started=${started%% available service*}
      case $started in *[!0-9]*) started= ;; esac
    done <"$work/log"
  fi
  if [ -z "$started" ] || [ "$started" -lt "$expected" ] || [ -n "$errors" ]; then
    verdict=rejected
  fi
}

validate_rsyncd() {
  command -v rsync >/dev/null 2>&1 || { method="library-only no rsync binary"; return 0; }
  work=$(mktemp -d /tmp/.rsyncd-validate.XXXXXX) || return 1
  cp -- "$1" "$work/rsyncd.conf" || return 1
  # A "remote shell" that runs the daemon side locally: rsync reads the file as a daemon would.
  # rsync splits -e at blanks, and mktemp's name has none; sh runs the script, so no chmod.
  printf 'shift\nexec sh -c "$*"\n' >"$work/fakersh" || return 1
  rsync -e "sh $work/fakersh" --rsync-path="rsync --config=$work/rsyncd.conf --log-file=$work/validate.log" \
    localhost:: >"$work/out" 2>&1
  status=$?
  method=host
  report_first=$work/out
  report_second=$work/validate.log
  [ $status -eq 0 ] || verdict=rejected
}
