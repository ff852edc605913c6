/** The semantic view: what xinetd makes of a service entry, line by line, as its parser does. */
import { isDeepStrictEqual } from "node:util";
import { problem, type Problem } from "../problems";
import { attributeByName, nearestAttributeName, type XinetdAttribute } from "./attributes";
import { findServiceBlock, type AttributeSyntax, type XinetdDocument } from "./document";
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

/** A `modifiable` list being added up over its lines. */
interface ListFold {
  absolute?: string[];
  add?: string[];
  remove?: string[];
}

/** The effective values of a set of attribute lines, keyed by model key or `extra` name. */
export interface AttributeValues {
  known: Map<XinetdAttributeKey, unknown>;
  extra: Map<string, ListValue>;
  problems: Problem[];
}

const without = (list: string[], items: readonly string[]) => list.filter((x) => !items.includes(x));
const withAdded = (list: string[], items: readonly string[], duplicates: boolean) =>
  duplicates ? [...list, ...items] : [...list, ...items.filter((x, i) => !list.includes(x) && items.indexOf(x) === i)];

function applyOperator(fold: ListFold, operator: string, items: string[], duplicates: boolean): ListFold {
  if (operator === "=") return { absolute: items };
  if (fold.absolute) {
    return { absolute: operator === "+=" ? withAdded(fold.absolute, items, duplicates) : without(fold.absolute, items) };
  }
  const add = fold.add ?? [];
  const remove = fold.remove ?? [];
  return operator === "+="
    ? { add: withAdded(add, items, duplicates), ...(fold.remove ? { remove: without(remove, items) } : {}) }
    : { ...(fold.add ? { add: without(add, items) } : {}), remove: withAdded(remove, items, false) };
}

function listValueOf(fold: ListFold): ListValue {
  if (fold.absolute) return fold.absolute;
  const value: { add?: string[]; remove?: string[] } = {};
  if (fold.add) value.add = fold.add;
  if (fold.remove) value.remove = fold.remove;
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
    const report = (rule: string, message: string, severity: "error" | "warning" = "error") =>
      problems.push(problem(syntax.name, rule, message, { severity, position }));
    const tokens = syntax.values.map((t) => t.text);
    const spec = attributeByName(syntax.name);
    if (!spec) {
      const near = nearestAttributeName(syntax.name);
      report("unknown-attribute", `\`${syntax.name}\` is not an xinetd attribute; xinetd ignores it.${near ? ` Did you mean \`${near}\`?` : ""}`, "warning");
      const name = syntax.name.toLowerCase();
      extraFolds.set(name, applyOperator(extraFolds.get(name) ?? {}, syntax.operator, tokens, false));
      continue;
    }
    if (spec.count !== "modifiable") {
      if (known.has(spec.key)) {
        report("duplicate-attribute", `\`${syntax.name}\` is already set above; xinetd keeps the first value and ignores this line.`, "warning");
        continue;
      }
      if (syntax.operator !== "=") {
        report("operator-not-allowed", `\`${syntax.name}\` takes only \`=\`; xinetd ignores this \`${syntax.operator}\` line.`);
        continue;
      }
      if (typeof spec.count === "number" && tokens.length !== spec.count) {
        report("value-count", `\`${syntax.name}\` takes exactly ${spec.count} value${spec.count > 1 ? "s" : ""}, not ${tokens.length}; xinetd ignores this line.`);
        continue;
      }
      const parsed = VALUE_CODECS[spec.key].parse(tokens, syntax.name);
      if (parsed.ok) known.set(spec.key, parsed.value);
      else report(parsed.rule, `${parsed.message} xinetd disables the service.`);
      continue;
    }
    if (!spec.operators.includes(syntax.operator)) {
      report("operator-not-allowed", `\`${syntax.name}\` does not take \`${syntax.operator}\`; xinetd disables the service.`);
      continue;
    }
    const parsed = VALUE_CODECS[spec.key].parse(tokens, syntax.name);
    if (!parsed.ok) {
      report(parsed.rule, `${parsed.message} xinetd disables the service.`);
      continue;
    }
    folds.set(spec.key, applyOperator(folds.get(spec.key) ?? {}, syntax.operator, parsed.value as string[], spec.key === "env"));
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

/**
 * What xinetd reads in a service entry (the first one, or the one named `serviceName`), with
 * the syntax problems located in that entry and the problems of its values.
 */
export function readXinetdService(doc: XinetdDocument, serviceName?: string): XinetdServiceReading {
  const block = findServiceBlock(doc, serviceName);
  if (!block) {
    const what = serviceName === undefined ? "a service entry" : `\`service ${serviceName}\``;
    return { model: { name: serviceName ?? "" }, problems: [problem("service", "service-not-found", `The file has no ${what}.`)] };
  }
  const values = readAttributeLines(attributeLinesOf(doc, block.attributes));
  const last = (block.close ?? doc.lines.length - 1) + 1;
  const syntax = doc.problems.filter((p) => p.position && p.position.line >= block.header + 1 && p.position.line <= last);
  return { model: modelOf(block.name, values), problems: [...syntax, ...values.problems] };
}

/** Effective equality of two attribute values (models use canonical spellings). */
export function sameValue(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(a, b);
}
