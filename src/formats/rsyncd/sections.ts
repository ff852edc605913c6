/**
 * Which context each entry is read in, as rsync's `loadparm.c` decides it: the global part, a
 * module (duplicates merged, `name =` renames followed), or nothing (after a rejected header).
 */
import type { RsyncdDocument, RsyncdEntry } from "./document";
import { lookupRsyncParameter, rsyncNameKey } from "./parameters";

export type EntryContext = "global" | "ignored" | number;

export interface WalkedModule {
  /** The name rsync serves the module under (last `name =` or the first header). */
  name: string;
  /** Indexes of the header entries that open or reopen this module. */
  headers: number[];
  /** Indexes of every entry read in this module's context (its headers included), in file order. */
  entries: number[];
}

export interface DocumentWalk {
  /** One per entry: the context the entry is read in (headers: the context they open). */
  contexts: EntryContext[];
  modules: WalkedModule[];
  /** Indexes of the entries read in the global context, in file order. */
  globalEntries: number[];
  /** The last module served under each exact name, and under each `rsyncNameKey`. */
  byName: Map<string, number>;
  byKey: Map<string, number>;
}

/**
 * Modules by the key of their current name, for the header lookup rsync does (the last module
 * whose name matches). Each key holds ascending module indexes; an index whose module was renamed
 * away since is dropped when a lookup meets it.
 */
class ModulesByKey {
  private readonly indexes = new Map<string, number[]>();
  private readonly keys: string[] = [];

  add(module: number, key: string): void {
    this.keys[module] = key;
    const list = this.indexes.get(key);
    if (list === undefined) {
      this.indexes.set(key, [module]);
      return;
    }
    let low = 0;
    let high = list.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (list[mid]! < module) low = mid + 1;
      else high = mid;
    }
    if (list[low] !== module) list.splice(low, 0, module);
  }

  last(key: string): number {
    const list = this.indexes.get(key);
    while (list !== undefined && list.length > 0) {
      const module = list[list.length - 1]!;
      if (this.keys[module] === key) return module;
      list.pop();
    }
    return -1;
  }
}

function isInclude(entry: RsyncdEntry): boolean {
  return entry.kind === "directive" && /^&include$/i.test(entry.directive);
}

function walk(entries: readonly RsyncdEntry[]): DocumentWalk {
  const contexts: EntryContext[] = [];
  const modules: WalkedModule[] = [];
  const globalEntries: number[] = [];
  const byKey = new ModulesByKey();
  let current: EntryContext = "global";
  for (let index = 0; index < entries.length; index++) {
    const entry = entries[index]!;
    if (entry.kind === "section") {
      if (!entry.valid) current = "ignored";
      else if (entry.isGlobal) current = "global";
      else {
        const key = rsyncNameKey(entry.name);
        let found = byKey.last(key);
        if (found < 0) {
          found = modules.length;
          modules.push({ name: entry.name, headers: [], entries: [] });
          byKey.add(found, key);
        }
        modules[found]!.headers.push(index);
        current = found;
      }
    } else if (isInclude(entry)) {
      // rsync's include handling leaves the reader in global context.
      current = "global";
    } else if (entry.kind === "parameter" && typeof current === "number") {
      if (lookupRsyncParameter(entry.name)?.name === "name") {
        modules[current]!.name = entry.value;
        byKey.add(current, rsyncNameKey(entry.value));
      }
    }
    contexts.push(current);
    if (current === "global") globalEntries.push(index);
    else if (current !== "ignored") modules[current]!.entries.push(index);
  }
  const byName = new Map<string, number>();
  const byFinalKey = new Map<string, number>();
  modules.forEach((module, index) => {
    byName.set(module.name, index);
    byFinalKey.set(rsyncNameKey(module.name), index);
  });
  return { contexts, modules, globalEntries, byName, byKey: byFinalKey };
}

/**
 * Walks are kept per entry list: documents are values (edits return new ones), and every read,
 * edit and check of one document (a refresh reads each module of a file) shares one walk.
 */
const walks = new WeakMap<readonly RsyncdEntry[], DocumentWalk>();

/** The walk of a document, computed once per document; treat it as read-only. */
export function walkRsyncdDocument(doc: RsyncdDocument): DocumentWalk {
  const cached = walks.get(doc.entries);
  // An entry list grown or shrunk in place since is walked afresh.
  if (cached !== undefined && cached.contexts.length === doc.entries.length) return cached;
  const fresh = walk(doc.entries);
  walks.set(doc.entries, fresh);
  return fresh;
}

/** Indexes of the entries read in one context, in file order. */
export function entriesIn(walk: DocumentWalk, context: EntryContext): readonly number[] {
  if (context === "global") return walk.globalEntries;
  if (context === "ignored") return walk.contexts.flatMap((c, index) => (c === "ignored" ? [index] : []));
  return walk.modules[context]?.entries ?? [];
}

/**
 * The module a caller means by `name`: the one rsync serves under exactly that name, else the one
 * rsync would merge a `[name]` section into (case- and blank-insensitive). -1 when none.
 */
export function findWalkedModule(walk: DocumentWalk, name: string): number {
  return walk.byName.get(name) ?? walk.byKey.get(rsyncNameKey(name)) ?? -1;
}
