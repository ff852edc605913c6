/**
 * Editing a unit file to express exactly a set of settings while touching as few lines as
 * possible: a key whose values already read as wanted keeps its lines byte for byte (comments,
 * continuations, spacing); a changed key rewrites its first line in that line's own style and
 * drops its other lines; a key no longer wanted loses its lines (comment lines stay); new keys go
 * after the last line of their section, new sections at the end. Unchecked: writers use
 * `applyUnitSettings` and `renderUnitSettings` (guard.ts), which read the result back first.
 */
import { parseUnitDocument, type UnitDocument, type UnitStatement } from "./document";
import { readUnitDocument } from "./read";

/**
 * A unit file's settings in systemd's own value syntax: section → key → the values assigned, one
 * line each, in order (a single-valued setting has one). Object order is the order written.
 */
export type UnitSettings = Record<string, Record<string, readonly string[]>>;

export function sameValues(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  const left = a ?? [];
  const right = b ?? [];
  return left.length === right.length && left.every((value, i) => value === right[i]);
}

/** A new unit file: `[Section]` blocks separated by a blank line, `Key=Value` lines. */
export function renderUnitSettingsText(settings: UnitSettings): string {
  return Object.entries(settings)
    .filter(([, keys]) => Object.values(keys).some((values) => values.length > 0))
    .map(([section, keys]) => {
      const body = Object.entries(keys).flatMap(([key, values]) => values.map((value) => `${key}=${value}\n`));
      return `[${section}]\n${body.join("")}`;
    })
    .join("\n");
}

/** The line's own style for a rewritten assignment: its indentation and the blanks around `=`. */
function restyle(lineText: string, key: string, values: readonly string[]): string[] {
  const m = /^([ \t]*)([^=]*?)([ \t]*)=([ \t]*)/.exec(lineText);
  const [indent, gap, after] = m && m[2] === key ? [m[1]!, m[3]!, m[4]!] : ["", "", ""];
  return values.map((value) => `${indent}${key}${gap}=${after}${value}`);
}

interface SectionSpan {
  name: string;
  /** The last physical line of the section's last header or assignment. */
  lastLine: number;
}

export function editUnitSettings(doc: UnitDocument, settings: UnitSettings): UnitDocument {
  if (doc.fatal) return parseUnitDocument(renderUnitSettingsText(settings));
  const reading = readUnitDocument(doc).reading;
  const groups = new Map<string, UnitStatement[]>();
  const spans: SectionSpan[] = [];
  for (const statement of doc.statements) {
    if (statement.kind === "section") {
      spans.push({ name: statement.section!, lastLine: statement.lines[statement.lines.length - 1]! });
    } else if (statement.kind === "assignment") {
      const id = JSON.stringify([statement.section, statement.key]);
      groups.set(id, [...(groups.get(id) ?? []), statement]);
      spans[spans.length - 1]!.lastLine = statement.lines[statement.lines.length - 1]!;
    }
  }
  const replacements = new Map<number, string[]>();
  for (const [id, statements] of groups) {
    const [section, key] = JSON.parse(id) as [string, string];
    const desired = settings[section]?.[key] ?? [];
    if (desired.length > 0 && sameValues(reading.get(section)?.get(key), desired)) continue;
    for (const statement of statements) for (const line of statement.lines) replacements.set(line, []);
    if (desired.length > 0) {
      const first = statements[0]!.lines[0]!;
      replacements.set(first, restyle(doc.lines[first]!.text, key, desired));
    }
  }
  const additions = new Map<number, string[]>();
  const freshSections: UnitSettings = {};
  for (const [section, keys] of Object.entries(settings)) {
    const fresh = Object.entries(keys).filter(
      ([key, values]) => values.length > 0 && !groups.has(JSON.stringify([section, key])),
    );
    if (fresh.length === 0) continue;
    const span = spans.filter((s) => s.name === section).pop();
    if (!span) {
      freshSections[section] = Object.fromEntries(fresh);
      continue;
    }
    const lines = fresh.flatMap(([key, values]) => values.map((value) => `${key}=${value}`));
    additions.set(span.lastLine, [...(additions.get(span.lastLine) ?? []), ...lines]);
  }
  const out = doc.lines.map((line, index) => {
    const replacement = replacements.get(index) ?? [line.text];
    const added = additions.get(index) ?? [];
    const all = [...replacement, ...added];
    if (all.length === 0) return "";
    // A line that had no line end (the last one) gets one when lines follow it.
    const end = line.newline === "" && added.length > 0 ? "\n" : line.newline;
    const joiner = /\r\n$/.test(line.newline) ? "\r\n" : "\n";
    return all.map((text, i) => text + (i === all.length - 1 ? end : joiner)).join("");
  });
  let text = out.join("");
  const tail = renderUnitSettingsText(freshSections);
  if (tail !== "") {
    if (text !== "" && !/[\n\r\0]$/.test(text)) text += "\n";
    text += text.trim() === "" ? tail : `\n${tail}`;
  }
  return parseUnitDocument(text);
}
