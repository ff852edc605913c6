/**
 * Which context each entry is read in, as rsync's `loadparm.c` decides it: the global part, a
 * module (duplicates merged, `name =` renames followed), or nothing (after a rejected header).
 */
import type { RsyncdDocument } from "./document";
import { lookupRsyncParameter, rsyncNameKey } from "./parameters";

export type EntryContext = "global" | "ignored" | number;

export interface WalkedModule {
  /** The name rsync serves the module under (last `name =` or the first header). */
  name: string;
  /** Indexes of the header entries that open or reopen this module. */
  headers: number[];
}

export interface DocumentWalk {
  /** One per entry: the context the entry is read in (headers: the context they open). */
  contexts: EntryContext[];
  modules: WalkedModule[];
}

export function walkRsyncdDocument(doc: RsyncdDocument): DocumentWalk {
  const contexts: EntryContext[] = [];
  const modules: WalkedModule[] = [];
  let current: EntryContext = "global";
  doc.entries.forEach((entry, index) => {
    if (entry.kind === "section") {
      if (!entry.valid) current = "ignored";
      else if (entry.isGlobal) current = "global";
      else {
        const key = rsyncNameKey(entry.name);
        let found = -1;
        for (let i = modules.length - 1; i >= 0 && found < 0; i--) {
          if (rsyncNameKey(modules[i]!.name) === key) found = i;
        }
        if (found < 0) {
          found = modules.length;
          modules.push({ name: entry.name, headers: [] });
        }
        modules[found]!.headers.push(index);
        current = found;
      }
    } else if (entry.kind === "directive" && /^&include$/i.test(entry.directive)) {
      // rsync's include handling leaves the reader in global context.
      current = "global";
    } else if (entry.kind === "parameter" && typeof current === "number") {
      if (lookupRsyncParameter(entry.name)?.name === "name") modules[current]!.name = entry.value;
    }
    contexts.push(current);
  });
  return { contexts, modules };
}

/**
 * The module a caller means by `name`: the one rsync serves under exactly that name, else the one
 * rsync would merge a `[name]` section into (case- and blank-insensitive). -1 when none.
 */
export function findWalkedModule(walk: DocumentWalk, name: string): number {
  for (let i = walk.modules.length - 1; i >= 0; i--) {
    if (walk.modules[i]!.name === name) return i;
  }
  const key = rsyncNameKey(name);
  for (let i = walk.modules.length - 1; i >= 0; i--) {
    if (rsyncNameKey(walk.modules[i]!.name) === key) return i;
  }
  return -1;
}
