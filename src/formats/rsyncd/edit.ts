/**
 * Edits that leave every byte they do not need to change untouched. Each returns a new document
 * parsed from the edited text, so positions and problems stay true.
 */
import { parseRsyncdDocument, type ParameterEntry, type RsyncdDocument, type RsyncdEntry } from "./document";
import type { RsyncdGlobalModel, RsyncModuleModel } from "./model";
import { lookupRsyncParameter } from "./parameters";
import { globalSettings, moduleSettings, parameterLine, renderRsyncModuleText } from "./render";
import { guardRsyncdGlobalEdit, guardRsyncModuleEdit, guardRsyncModuleRemoval, passRoundTrip } from "./guard";
import { findWalkedModule, walkRsyncdDocument } from "./sections";
import { sameRsyncValue, typedRsyncValue, type RsyncTypedValue } from "./values";

type Settings = ReturnType<typeof moduleSettings>;

/** The document's line ending: the first one it uses, `\n` for none. */
function documentEol(doc: RsyncdDocument): string {
  for (const entry of doc.entries) {
    if (entry.raw.endsWith("\r\n")) return "\r\n";
    if (entry.raw.endsWith("\n")) return "\n";
  }
  return "\n";
}

function entryEol(raw: string): string {
  if (raw.endsWith("\r\n")) return "\r\n";
  return raw.endsWith("\n") ? "\n" : "";
}

/** Raw text per entry (empty once removed), plus text inserted after an entry (-1: at the start). */
class Splice {
  readonly raws: string[];
  private readonly inserts = new Map<number, string>();

  constructor(
    private readonly entries: readonly RsyncdEntry[],
    private readonly eol: string,
  ) {
    this.raws = entries.map((e) => e.raw);
  }

  insertAfter(index: number, text: string): void {
    this.inserts.set(index, (this.inserts.get(index) ?? "") + text);
  }

  render(): RsyncdDocument {
    const parts: string[] = [];
    let last = "";
    const add = (text: string) => {
      if (text === "") return;
      parts.push(text);
      last = text;
    };
    add(this.inserts.get(-1) ?? "");
    this.raws.forEach((raw, index) => {
      add(raw);
      const inserted = this.inserts.get(index);
      if (inserted === undefined) return;
      // An insertion after a last line without a newline needs one first.
      if (last !== "" && !last.endsWith("\n")) add(this.eol);
      add(inserted);
    });
    return parseRsyncdDocument(parts.join(""));
  }

  rewrite(index: number, entry: ParameterEntry, text: string): void {
    this.raws[index] = `${entry.indent}${entry.key}${entry.separator}${text}${entryEol(entry.raw)}`;
  }

  get length(): number {
    return this.entries.length;
  }
}

function keyOf(entry: ParameterEntry): string {
  return lookupRsyncParameter(entry.name)?.name ?? entry.name;
}

function unchanged(entry: ParameterEntry, name: string, text: string, typed: RsyncTypedValue | undefined): boolean {
  const param = lookupRsyncParameter(name);
  if (typed === undefined || param === undefined) return entry.value === text;
  const current = typedRsyncValue(param, entry.value);
  return current !== undefined && sameRsyncValue(current, typed);
}

/**
 * Makes the parameter lines of one context say `settings`: the last line of each parameter is
 * kept if it already means the wanted value, else rewritten; parameters not wanted lose all their
 * lines; new ones are returned for the caller to place.
 */
function applySettings(
  doc: RsyncdDocument,
  indexes: readonly number[],
  settings: Settings,
  splice: Splice,
  skip: ReadonlySet<string>,
): Settings {
  const groups = new Map<string, number[]>();
  for (const index of indexes) {
    const entry = doc.entries[index]!;
    if (entry.kind !== "parameter") continue;
    const key = keyOf(entry);
    if (skip.has(key)) continue;
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [index]);
    else group.push(index);
  }
  for (const [key, group] of groups) {
    const wanted = settings.find(([name]) => name === key);
    if (wanted === undefined) {
      for (const index of group) splice.raws[index] = "";
      continue;
    }
    const last = group[group.length - 1]!;
    const entry = doc.entries[last] as ParameterEntry;
    if (!unchanged(entry, wanted[0], wanted[1], wanted[2])) splice.rewrite(last, entry, wanted[1]);
  }
  return settings.filter(([name]) => !groups.has(name) && !skip.has(name));
}

/** The indentation of the first parameter line among `indexes`, else `fallback`. */
function indentOf(doc: RsyncdDocument, indexes: readonly number[], fallback: string): string {
  const index = indexes.find((i) => doc.entries[i]!.kind === "parameter");
  return index === undefined ? fallback : (doc.entries[index] as ParameterEntry).indent;
}

function linesOf(settings: Settings, indent: string, eol: string): string {
  return settings.map(([name, text]) => parameterLine(indent, name, text, eol)).join("");
}

/**
 * Makes the document hold `model` for its module. An existing module (found like
 * `readRsyncModule` finds it) is edited in place across all its sections: each parameter's last
 * line is the one kept or rewritten, new lines go after the last parameter line of the module's
 * last section, and a changed name rewrites its headers (or its last `name =` line). Otherwise a
 * new section is appended after one blank line.
 */
function editRsyncModule(doc: RsyncdDocument, model: RsyncModuleModel): RsyncdDocument {
  const walk = walkRsyncdDocument(doc);
  const index = findWalkedModule(walk, model.name);
  const eol = documentEol(doc);
  const splice = new Splice(doc.entries, eol);
  if (index < 0) {
    const last = doc.entries[doc.entries.length - 1];
    const separator = last === undefined || last.kind === "blank" ? "" : eol;
    splice.insertAfter(doc.entries.length - 1, separator + renderRsyncModuleText(model).replace(/\n/g, eol));
    return splice.render();
  }
  const module = walk.modules[index]!;
  const settings = moduleSettings(model).filter(([name]) => name !== "name");
  const added = applySettings(doc, module.entries, settings, splice, new Set(["name"]));
  let lastNameLine = -1;
  for (const i of module.entries) {
    const entry = doc.entries[i]!;
    if (entry.kind === "parameter" && keyOf(entry) === "name") lastNameLine = i;
  }
  if (lastNameLine >= 0) {
    if (module.name !== model.name)
      splice.rewrite(lastNameLine, doc.entries[lastNameLine] as ParameterEntry, model.name);
  } else if (module.name !== model.name) {
    for (const header of module.headers) {
      const raw = doc.entries[header]!.raw;
      splice.raws[header] = `${raw.slice(0, raw.indexOf("["))}[${model.name}]${raw.slice(raw.indexOf("]") + 1)}`;
    }
  }
  if (added.length > 0) {
    const header = module.headers[module.headers.length - 1]!;
    let after = header;
    for (
      let i = header + 1;
      i < splice.length && walk.contexts[i] === index && doc.entries[i]!.kind !== "section";
      i++
    ) {
      if (doc.entries[i]!.kind === "parameter") after = i;
    }
    splice.insertAfter(after, linesOf(added, indentOf(doc, module.entries, "\t"), eol));
  }
  return splice.render();
}

/** Comment lines directly above `index` with no blank line between: they describe it. */
function leadingComments(entries: readonly RsyncdEntry[], index: number): number {
  let start = index;
  while (start > 0 && entries[start - 1]!.kind === "comment") start--;
  return start;
}

/**
 * Removes every section of the module (found like `readRsyncModule` finds it) with its own leading
 * comment block, up to the next section's leading comment block. A section that ends the file also
 * takes the blank lines before it. Unknown names leave the document as it is.
 */
function editRemoveRsyncModule(doc: RsyncdDocument, name: string): RsyncdDocument {
  const walk = walkRsyncdDocument(doc);
  const index = findWalkedModule(walk, name);
  if (index < 0) return doc;
  const { entries } = doc;
  const splice = new Splice(entries, documentEol(doc));
  for (const header of walk.modules[index]!.headers) {
    let end = header + 1;
    while (end < entries.length && entries[end]!.kind !== "section" && walk.contexts[end] === index) end++;
    if (end < entries.length && entries[end]!.kind === "section")
      end = Math.max(header + 1, leadingComments(entries, end));
    let start = leadingComments(entries, header);
    if (end === entries.length) while (start > 0 && entries[start - 1]!.kind === "blank") start--;
    for (let i = start; i < end; i++) splice.raws[i] = "";
  }
  return splice.render();
}

/**
 * Makes the global part hold `model`. Global lines are edited wherever they are (also after a
 * `[global]` header in the middle); new lines go after the last parameter line of the leading
 * global part, which ends where the first module's leading comment block starts.
 */
function editRsyncdGlobal(doc: RsyncdDocument, model: RsyncdGlobalModel): RsyncdDocument {
  const walk = walkRsyncdDocument(doc);
  const eol = documentEol(doc);
  const splice = new Splice(doc.entries, eol);
  const added = applySettings(doc, walk.globalEntries, globalSettings(model), splice, new Set());
  if (added.length > 0) {
    const { entries } = doc;
    let firstModule = entries.findIndex((e) => e.kind === "section" && !e.isGlobal);
    if (firstModule < 0) firstModule = entries.length;
    const leadEnd = leadingComments(entries, firstModule);
    let after = -1;
    for (let i = 0; i < leadEnd; i++) {
      if (entries[i]!.kind === "parameter" && walk.contexts[i] === "global") after = i;
    }
    if (after < 0) {
      after = leadEnd - 1;
      while (after >= 0 && entries[after]!.kind === "blank") after--;
    }
    const lines = linesOf(added, indentOf(doc, walk.globalEntries, ""), eol);
    const separated = after < 0 && entries.length > 0 && entries[0]!.kind !== "blank" ? lines + eol : lines;
    splice.insertAfter(after, separated);
  }
  return splice.render();
}

// Every edit is read back as rsync reads it before it is returned (guard.ts): a result whose
// meaning differs from the edit's intent throws a FormatError naming the field.

/** `editRsyncModule`, checked by the round-trip guard. */
export function setRsyncModule(doc: RsyncdDocument, model: RsyncModuleModel): RsyncdDocument {
  const after = editRsyncModule(doc, model);
  return passRoundTrip(`rsync module \`${model.name}\``, after, guardRsyncModuleEdit(doc, after, model));
}

/** `editRemoveRsyncModule`, checked by the round-trip guard. */
export function removeRsyncModule(doc: RsyncdDocument, name: string): RsyncdDocument {
  const after = editRemoveRsyncModule(doc, name);
  return passRoundTrip(`removal of rsync module \`${name}\``, after, guardRsyncModuleRemoval(doc, after, name));
}

/** `editRsyncdGlobal`, checked by the round-trip guard. */
export function setRsyncdGlobal(doc: RsyncdDocument, model: RsyncdGlobalModel): RsyncdDocument {
  const after = editRsyncdGlobal(doc, model);
  return passRoundTrip("rsyncd global settings", after, guardRsyncdGlobalEdit(doc, after, model));
}
