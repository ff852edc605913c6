/**
 * Validation of a candidate file: the format layer's checks, always run locally first, and the
 * daemon's own reading of it on the host (shell functions the change script embeds).
 */
import {
  errorsOf, FormatError, parseRsyncdDocument, parseXinetdDocument, readXinetdServiceBlocks, validateRsyncdDocument,
  validateXinetdDocument, type Problem, type XinetdServiceModel,
} from "../formats";

/** Which daemon's reading a candidate must pass; `none` for files no daemon parses. */
export type CandidateKind = "xinetd-service" | "rsyncd" | "none";

export interface ValidationReport {
  /** `host`: the daemon itself read the candidate on the host. `library-only`: only the format layer's checks ran. */
  method: "host" | "library-only";
  /** What the host's validator printed, or why the host could not validate. */
  log?: string;
}

/** Every problem the format layer finds in a candidate; throws a FormatError when one is an error. */
export function validateCandidateLocally(kind: CandidateKind, content: string, fileName: string): Problem[] {
  const problems = kind === "xinetd-service"
    ? validateXinetdDocument(parseXinetdDocument(content), { fileName })
    : kind === "rsyncd"
      ? validateRsyncdDocument(parseRsyncdDocument(content))
      : [];
  if (errorsOf(problems).length > 0) throw new FormatError(`candidate for ${fileName}`, problems);
  return problems;
}

/** The service entries of an xinetd file as xinetd reads them, skipping those it discards. */
export function xinetdServicesOf(content: string): XinetdServiceModel[] {
  const doc = parseXinetdDocument(content);
  const readings = readXinetdServiceBlocks(doc);
  return doc.blocks.flatMap((block, index) => (block.kind === "service" && !block.discarded ? [readings[index]!.model] : []));
}

/** How many services xinetd should report as started for this candidate (its enabled entries). */
export function enabledXinetdServiceCount(content: string): number {
  return xinetdServicesOf(content).filter((service) => service.disable !== true).length;
}

/**
 * Shell functions for the change script. Each takes the candidate path and sets `method`
 * (`host`, or `library-only <reason>`) and `verdict` (`accepted`/`rejected`), and writes what the
 * daemon said to "$report". They work on a copy in a mktemp directory ("$work", removed by the
 * script's trap), so the target's directory name (blanks, quotes) never reaches a daemon's parser.
 */
export const HOST_VALIDATORS = String.raw`
validate_xinetd() {
  if [ "$(id -u)" != 0 ]; then method="library-only not root"; return 0; fi
  command -v xinetd >/dev/null 2>&1 || { method="library-only no xinetd binary"; return 0; }
  unshare -n true 2>/dev/null || { method="library-only unshare -n not permitted"; return 0; }
  work=$(mktemp -d /tmp/.xinetd-validate.XXXXXX) || return 1
  cp -- "$1" "$work/service" || return 1
  # The host's defaults (a bad defaults entry kills xinetd on reload), then only the candidate.
  { if [ -r /etc/xinetd.conf ]; then grep -Ev '^[[:space:]]*include(dir)?[[:space:]]' /etc/xinetd.conf; fi
    printf 'include %s/service\n' "$work"; } >"$work/main.conf"
  # A throwaway network namespace: the candidate's ports are bound there, not on the host.
  unshare -n sh -c '
    xinetd -dontfork -stayalive -filelog "$1/log" -f "$1/main.conf" >"$1/stderr" 2>&1 &
    pid=$!
    tries=0
    while [ $tries -lt 200 ]; do
      grep -q "Started working" "$1/log" 2>/dev/null && break
      kill -0 $pid 2>/dev/null || break
      sleep 0.025
      tries=$((tries + 1))
    done
    kill $pid 2>/dev/null
    wait $pid 2>/dev/null
    true' xinetd-validate "$work"
  cat "$work/log" "$work/stderr" >"$report" 2>/dev/null
  method=host
  started=$(sed -n 's/.*Started working: \([0-9][0-9]*\) available service.*/\1/p' "$work/log" | head -n 1)
  if [ -z "$started" ] || [ "$started" -lt "$expected" ] || grep -q ': ERROR: ' "$work/log"; then
    verdict=rejected
  fi
}

validate_rsyncd() {
  command -v rsync >/dev/null 2>&1 || { method="library-only no rsync binary"; return 0; }
  work=$(mktemp -d /tmp/.rsyncd-validate.XXXXXX) || return 1
  cp -- "$1" "$work/rsyncd.conf" || return 1
  # A "remote shell" that runs the daemon side locally: rsync reads the file as a daemon would.
  printf '#!/bin/sh\nshift\nexec sh -c "$*"\n' >"$work/fakersh" && chmod 700 "$work/fakersh" || return 1
  rsync -e "$work/fakersh" --rsync-path="rsync --config=$work/rsyncd.conf --log-file=$work/validate.log" \
    localhost:: >"$work/out" 2>&1
  status=$?
  method=host
  cat "$work/out" "$work/validate.log" >"$report" 2>/dev/null
  [ $status -eq 0 ] || verdict=rejected
}
`;
