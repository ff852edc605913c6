/** Near-miss hints for parameter names rsync does not know. */
import { RSYNC_PARAMETERS, rsyncNameKey } from "./parameters";

/** Edit distance of `a` and `b` when it is at most `limit`; else some number above `limit`, found early. */
function distance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(above + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
      if (row[j]! < rowMin) rowMin = row[j]!;
    }
    // A row's minimum never decreases further down: the distance is already above the limit.
    if (rowMin > limit) return limit + 1;
  }
  return row[b.length]!;
}

/** Folds the separators people confuse (`_`, `-`, blanks) so `read_only` meets `read only`. */
function loose(name: string): string {
  return rsyncNameKey(name).replace(/[-_]/g, "");
}

const CANDIDATES = RSYNC_PARAMETERS.map((p) => ({ name: p.name, loose: loose(p.name) }));

/** rsync's spelling of the parameter the written name most likely means, if any is close. */
export function suggestRsyncParameter(written: string): string | undefined {
  const target = loose(written);
  let best: string | undefined;
  let bestDistance = target.length <= 4 ? 1 : 2;
  for (const candidate of CANDIDATES) {
    const d = distance(target, candidate.loose, bestDistance);
    if (d === 0) return candidate.name;
    if (d <= bestDistance) {
      best = candidate.name;
      bestDistance = d - 1;
    }
  }
  return best;
}
