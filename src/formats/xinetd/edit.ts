/**
 * Editing a document to express a model while touching as few lines as possible: an attribute
 * whose effective value already matches keeps its lines byte for byte; a changed one rewrites
 * its first line in that line's own style; new ones go before `}` in canonical order.
 */
import { ATTRIBUTE_KEYS } from "./attributes";
import {
  findServiceBlock,
  parseXinetdDocument,
  renderXinetdDocument,
  type AttributeSyntax,
  type XinetdBlock,
  type XinetdDocument,
} from "./document";
import type { XinetdServiceModel } from "./model";
import { attributeLinesOf, lineKey, readAttributeLines, sameValue, type AttributeLine } from "./read";
import { editedEntryIndex, guardXinetdEdit, passRoundTrip } from "./guard";
import { formatStatement, renderXinetdServiceText, statementsFor, type AttributeStatement } from "./render";

const TAB_WIDTH = 8;

function visualWidth(text: string): number {
  let width = 0;
  for (const ch of text) width = ch === "\t" ? (Math.floor(width / TAB_WIDTH) + 1) * TAB_WIDTH : width + 1;
  return width;
}

/** The model's value for a line key (model key or `extra` name). */
function desiredValue(model: XinetdServiceModel, key: string, isKnown: boolean): unknown {
  return isKnown ? (model as unknown as Record<string, unknown>)[key] : model.extra?.[key];
}

function statementsOfKey(key: string, isKnown: boolean, value: unknown): AttributeStatement[] {
  if (isKnown) return statementsFor(key as (typeof ATTRIBUTE_KEYS)[number], value);
  if (Array.isArray(value)) return [{ name: key, operator: "=", values: value as string[] }];
  const list = value as { add?: string[]; remove?: string[] };
  return [
    ...(list.add ? [{ name: key, operator: "+=" as const, values: list.add }] : []),
    ...(list.remove ? [{ name: key, operator: "-=" as const, values: list.remove }] : []),
  ];
}

/** Rewrites a line for new statements, keeping its indentation, name spelling and gap. */
function rewrite(syntax: AttributeSyntax, statements: readonly AttributeStatement[]): string[] {
  const gap = syntax.gap === "" ? " " : syntax.gap;
  return statements.map((s) => {
    const after = s.values.length === 0 ? "" : syntax.afterOperator === "" ? " " : syntax.afterOperator;
    return `${syntax.indent}${syntax.name}${gap}${s.operator}${after}${s.values.join(" ")}`;
  });
}

/** How the block lays out new lines: its indentation and where its operators line up. */
function layoutOf(lines: readonly AttributeLine[], fresh: readonly AttributeStatement[]) {
  const valid = lines.filter((l) => l.syntax.operator);
  if (valid.length === 0) {
    const width = Math.max(0, ...fresh.map((s) => s.name.length));
    return (s: AttributeStatement) => formatStatement(s, "\t", s.name.padEnd(width));
  }
  const indent = valid[0]!.syntax.indent;
  const columns = new Map<number, number>();
  for (const { syntax } of valid) {
    const column = visualWidth(syntax.indent + syntax.name + syntax.gap);
    columns.set(column, (columns.get(column) ?? 0) + 1);
  }
  const target = [...columns].sort((a, b) => b[1] - a[1] || b[0] - a[0])[0]![0];
  const tabs = valid.some((l) => l.syntax.gap.includes("\t"));
  return (s: AttributeStatement) => {
    let gap = "";
    // The width grows one tab stop or column per step, from the width of indent and name.
    for (
      let width = visualWidth(indent + s.name);
      width < target;
      width = tabs ? (Math.floor(width / TAB_WIDTH) + 1) * TAB_WIDTH : width + 1
    ) {
      gap += tabs ? "\t" : " ";
    }
    if (gap === "") gap = " ";
    return `${indent}${s.name}${gap}${s.operator}${s.values.length > 0 ? ` ${s.values.join(" ")}` : ""}`;
  };
}

function editBlock(
  doc: XinetdDocument,
  block: XinetdBlock,
  model: XinetdServiceModel,
  open: number,
  close: number,
): Map<number, string[]> {
  const replacements = new Map<number, string[]>();
  if (block.name !== model.name) {
    const header = doc.lines[block.header]!;
    const nameToken = header.tokens[1]!;
    const at = nameToken.column - 1;
    replacements.set(block.header, [
      header.text.slice(0, at) + model.name + header.text.slice(at + nameToken.text.length),
    ]);
  }
  const lines = attributeLinesOf(doc, block.attributes).filter((l) => l.index > open && l.index < close);
  const groups = new Map<string, { isKnown: boolean; lines: AttributeLine[] }>();
  for (const line of lines) {
    const { spec, key } = lineKey(line.syntax);
    const group = groups.get(key) ?? { isKnown: spec !== undefined, lines: [] };
    group.lines.push(line);
    groups.set(key, group);
  }
  for (const [key, group] of groups) {
    const desired = desiredValue(model, key, group.isKnown);
    if (desired === undefined) {
      for (const line of group.lines) replacements.set(line.index, []);
      continue;
    }
    const values = readAttributeLines(group.lines);
    const current = group.isKnown ? values.known.get(key as (typeof ATTRIBUTE_KEYS)[number]) : values.extra.get(key);
    if (group.lines.every((l) => l.syntax.operator) && sameValue(current, desired)) continue;
    const [first, ...rest] = group.lines;
    replacements.set(first!.index, rewrite(first!.syntax, statementsOfKey(key, group.isKnown, desired)));
    for (const line of rest) replacements.set(line.index, []);
  }
  const record = model as unknown as Record<string, unknown>;
  const fresh = [
    ...ATTRIBUTE_KEYS.filter((key) => record[key] !== undefined && !groups.has(key)).flatMap((key) =>
      statementsFor(key, record[key]),
    ),
    ...Object.entries(model.extra ?? {})
      .filter(([name]) => !groups.has(name))
      .flatMap(([name, value]) => statementsOfKey(name, false, value)),
  ];
  if (fresh.length > 0) {
    const layout = layoutOf(lines, fresh);
    replacements.set(close, [...fresh.map(layout), doc.lines[close]!.text]);
  }
  return replacements;
}

/**
 * The document changed to express exactly `model` in its service entry (the one named like the
 * model, else the first one, renamed). A document without a service entry gets one appended.
 */
function editXinetdService(doc: XinetdDocument, model: XinetdServiceModel): XinetdDocument {
  const block = findServiceBlock(doc, model.name) ?? findServiceBlock(doc);
  const rendered = renderXinetdServiceText(model);
  if (!block) {
    const text = renderXinetdDocument(doc);
    const separator = text === "" ? "" : text.endsWith("\n") ? (text.trim() === "" ? "" : "\n") : "\n\n";
    return parseXinetdDocument(text + separator + rendered);
  }
  let replacements: Map<number, string[]>;
  if (block.open === undefined || block.close === undefined || doc.lines[block.close]!.kind !== "close") {
    // xinetd cannot read this entry's structure: write the entry anew in its place.
    const last = block.close ?? doc.lines.length - 1;
    replacements = new Map([[block.header, rendered.slice(0, -1).split("\n")]]);
    for (let i = block.header + 1; i <= last; i++) replacements.set(i, []);
  } else {
    replacements = editBlock(doc, block, model, block.open, block.close);
  }
  const out = doc.lines.map((line, index) => {
    const replacement = replacements.get(index);
    if (!replacement) return line.text + line.newline;
    return replacement.map((text, i) => text + (i === replacement.length - 1 ? line.newline : "\n")).join("");
  });
  return parseXinetdDocument(out.join(""));
}

/** `editXinetdService`, read back as xinetd reads it (guard.ts): a result that means something else throws. */
export function applyXinetdService(doc: XinetdDocument, model: XinetdServiceModel): XinetdDocument {
  const after = editXinetdService(doc, model);
  return passRoundTrip(model, after, guardXinetdEdit(doc, editedEntryIndex(doc, model), after, model));
}
