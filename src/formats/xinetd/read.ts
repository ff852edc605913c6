/** The semantic view: what xinetd makes of a service entry, line by line, as its parser does. */
import { isDeepStrictEqual } from "node:util";
import { problem, type Problem, type ProblemRule } from "../problems";
import { attributeByName, nearestAttributeName, type XinetdAttribute } from "./attributes";
import { findServiceBlock, type AttributeSyntax, type XinetdBlock, type XinetdDocument } from "./document";
import type { ListValue, XinetdAttributeKey, XinetdServiceModel } from "./model";
import { VALUE_CODECS } from "./values";

export interface XinetdServiceReading {
  model: XinetdServiceModel;
  problems: Problem[];
}

/** One attribute line of a block, with its 0-based line index. */
export interface AttributeLine {
  index: number;
  syntax: AttributeSyntax;
}

/**
 * The items of a list being added up over lines, in order. Adding and removing by value cost
 * per item, not per item already in the list, so thousands of `+=` / `-=` lines stay linear.
 */
class ItemList {
  /** Items in order; a removed one leaves `undefined` behind. */
  private readonly items: Array<string | undefined> = [];
  /** Where each item is in `items` (an `=` line may repeat one). */
  private readonly positions = new Map<string, number[]>();

  constructor(items: readonly string[] = []) {
    for (const item of items) this.push(item);
  }

  private push(item: string): void {
    const at = this.positions.get(item);
    if (at === undefined) this.positions.set(item, [this.items.length]);
    else at.push(this.items.length);
    this.items.push(item);
  }

  /** Appends the items; without `duplicates`, only those not in the list yet (each once). */
  add(items: readonly string[], duplicates: boolean): void {
    for (const item of items) if (duplicates || !this.positions.has(item)) this.push(item);
  }

  /** Drops every occurrence of the items. */
  remove(items: readonly string[]): void {
    for (const item of items) {
      for (const at of this.positions.get(item) ?? []) this.items[at] = undefined;
      this.positions.delete(item);
    }
  }

  values(): string[] {
    return this.items.filter((item): item is string => item !== undefined);
  }
}

/** A `modifiable` list being added up over its lines. */
interface ListFold {
  absolute?: ItemList;
  add?: ItemList;
  remove?: ItemList;
}

/** The effective values of a set of attribute lines, keyed by model key or `extra` name. */
export interface AttributeValues {
  known: Map<XinetdAttributeKey, unknown>;
  extra: Map<string, ListValue>;
  problems: Problem[];
}

function applyOperator(fold: ListFold, operator: string, items: readonly string[], duplicates: boolean): void {
  if (operator === "=") {
    fold.absolute = new ItemList(items);
    delete fold.add;
    delete fold.remove;
  } else if (fold.absolute) {
    if (operator === "+=") fold.absolute.add(items, duplicates);
    else fold.absolute.remove(items);
  } else if (operator === "+=") {
    (fold.add ??= new ItemList()).add(items, duplicates);
    fold.remove?.remove(items);
  } else {
    fold.add?.remove(items);
    (fold.remove ??= new ItemList()).add(items, false);
  }
}

function listValueOf(fold: ListFold): ListValue {
  if (fold.absolute) return fold.absolute.values();
  const value: { add?: string[]; remove?: string[] } = {};
  if (fold.add) value.add = fold.add.values();
  if (fold.remove) value.remove = fold.remove.values();
  return value;
}

/** Fold attribute lines the way xinetd's `identify_attribute` does. */
export function readAttributeLines(lines: readonly AttributeLine[]): AttributeValues {
  const known = new Map<XinetdAttributeKey, unknown>();
  const folds = new Map<XinetdAttributeKey, ListFold>();
  const extraFolds = new Map<string, ListFold>();
  const problems: Problem[] = [];

  for (const { index, syntax } of lines) {
    if (!syntax.operator) continue;
    const position = { line: index + 1, column: syntax.indent.length + 1 };
    const report = (rule: ProblemRule, message: string, severity: "error" | "warning" = "error") =>
      problems.push(problem(syntax.name, rule, message, { severity, position }));
    const tokens = syntax.values.map((t) => t.text);
    const spec = attributeByName(syntax.name);
    if (!spec) {
      const near = nearestAttributeName(syntax.name);
      report(
        "unknown-attribute",
        `\`${syntax.name}\` is not an xinetd attribute; xinetd ignores it.${near ? ` Did you mean \`${near}\`?` : ""}`,
        "warning",
      );
      const name = syntax.name.toLowerCase();
      let fold = extraFolds.get(name);
      if (fold === undefined) extraFolds.set(name, (fold = {}));
      applyOperator(fold, syntax.operator, tokens, false);
      continue;
    }
    if (spec.count !== "modifiable") {
      if (known.has(spec.key)) {
        report(
          "duplicate-attribute",
          `\`${syntax.name}\` is already set above; xinetd keeps the first value and ignores this line.`,
          "warning",
        );
        continue;
      }
      if (syntax.operator !== "=") {
        report(
          "operator-not-allowed",
          `\`${syntax.name}\` takes only \`=\`; xinetd ignores this \`${syntax.operator}\` line.`,
        );
        continue;
      }
      if (typeof spec.count === "number" && tokens.length !== spec.count) {
        report(
          "value-count",
          `\`${syntax.name}\` takes exactly ${spec.count} value${spec.count > 1 ? "s" : ""}, not ${tokens.length}; ` +
            `xinetd ignores this line.`,
        );
        continue;
      }
      const parsed = VALUE_CODECS[spec.key].parse(tokens, syntax.name);
      if (parsed.ok) known.set(spec.key, parsed.value);
      else report(parsed.rule, `${parsed.message} xinetd disables the service.`);
      continue;
    }
    if (!spec.operators.includes(syntax.operator)) {
      report(
        "operator-not-allowed",
        `\`${syntax.name}\` does not take \`${syntax.operator}\`; xinetd disables the service.`,
      );
      continue;
    }
    const parsed = VALUE_CODECS[spec.key].parse(tokens, syntax.name);
    if (!parsed.ok) {
      report(parsed.rule, `${parsed.message} xinetd disables the service.`);
      continue;
    }
    let fold = folds.get(spec.key);
    if (fold === undefined) folds.set(spec.key, (fold = {}));
    applyOperator(fold, syntax.operator, parsed.value as string[], spec.key === "env");
  }
  for (const [key, fold] of folds) known.set(key, listValueOf(fold));
  const extra = new Map([...extraFolds].map(([name, fold]) => [name, listValueOf(fold)]));
  return { known, extra, problems };
}

/** The key a line belongs to: its model key, or its lower-cased name for `extra`. */
export function lineKey(syntax: AttributeSyntax): { spec?: XinetdAttribute; key: string } {
  const spec = attributeByName(syntax.name);
  return spec ? { spec, key: spec.key } : { key: syntax.name.toLowerCase() };
}

export function attributeLinesOf(doc: XinetdDocument, indexes: readonly number[]): AttributeLine[] {
  return indexes.flatMap((index) => {
    const syntax = doc.lines[index]!.attribute;
    return syntax ? [{ index, syntax }] : [];
  });
}

/** Builds the model from folded values, keys in canonical order. */
export function modelOf(name: string, values: AttributeValues): XinetdServiceModel {
  const model: Record<string, unknown> = { name };
  for (const [key, value] of values.known) model[key] = value;
  if (values.extra.size > 0) model.extra = Object.fromEntries(values.extra);
  return model as unknown as XinetdServiceModel;
}

function readingOf(doc: XinetdDocument, block: XinetdBlock, syntax: Problem[]): XinetdServiceReading {
  const values = readAttributeLines(attributeLinesOf(doc, block.attributes));
  return { model: modelOf(block.name, values), problems: [...syntax, ...values.problems] };
}

/** The 1-based lines a block spans for xinetd: its header to its `}` (or the end of the file). */
function lineRangeOf(doc: XinetdDocument, block: XinetdBlock): [first: number, last: number] {
  return [block.header + 1, (block.close ?? doc.lines.length - 1) + 1];
}

/**
 * What xinetd reads in a service entry (the first one, or the one named `serviceName`), with
 * the syntax problems located in that entry and the problems of its values.
 */
export function readXinetdService(doc: XinetdDocument, serviceName?: string): XinetdServiceReading {
  const block = findServiceBlock(doc, serviceName);
  if (!block) {
    const what = serviceName === undefined ? "a service entry" : `\`service ${serviceName}\``;
    return {
      model: { name: serviceName ?? "" },
      problems: [problem("service", "service-not-found", `The file has no ${what}.`)],
    };
  }
  const [first, last] = lineRangeOf(doc, block);
  return readingOf(
    doc,
    block,
    doc.problems.filter((p) => p.position && p.position.line >= first && p.position.line <= last),
  );
}

/**
 * `readXinetdService` of every service entry, by block index (undefined for `defaults`), each
 * entry read as itself even when an earlier one has the same name. The syntax problems are
 * indexed by line once, so a file of many entries is read in one pass.
 */
export function readXinetdServiceBlocks(doc: XinetdDocument): Array<XinetdServiceReading | undefined> {
  const byLine = doc.problems.flatMap((p, index) => (p.position ? [{ line: p.position.line, index }] : []));
  byLine.sort((a, b) => a.line - b.line || a.index - b.index);
  const firstAtOrAfter = (line: number): number => {
    let low = 0;
    let high = byLine.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (byLine[mid]!.line < line) low = mid + 1;
      else high = mid;
    }
    return low;
  };
  return doc.blocks.map((block) => {
    if (block.kind !== "service") return undefined;
    const [first, last] = lineRangeOf(doc, block);
    const located = byLine
      .slice(firstAtOrAfter(first), firstAtOrAfter(last + 1))
      .map((p) => p.index)
      .sort((a, b) => a - b);
    return readingOf(
      doc,
      block,
      located.map((index) => doc.problems[index]!),
    );
  });
}

/** Effective equality of two attribute values (models use canonical spellings). */
export function sameValue(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(a, b);
}
