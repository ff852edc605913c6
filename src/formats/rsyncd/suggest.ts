/** Near-miss hints for parameter names rsync does not know. */
import { RSYNC_PARAMETERS, rsyncNameKey } from "./parameters";

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(above + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** Folds the separators people confuse (`_`, `-`, blanks) so `read_only` meets `read only`. */
function loose(name: string): string {
  return rsyncNameKey(name).replace(/[-_]/g, "");
}

/** rsync's spelling of the parameter the written name most likely means, if any is close. */
export function suggestRsyncParameter(written: string): string | undefined {
  const target = loose(written);
  let best: string | undefined;
  let bestDistance = target.length <= 4 ? 1 : 2;
  for (const p of RSYNC_PARAMETERS) {
    const d = distance(target, loose(p.name));
    if (d === 0) return p.name;
    if (d <= bestDistance) {
      best = p.name;
      bestDistance = d - 1;
    }
  }
  return best;
}
