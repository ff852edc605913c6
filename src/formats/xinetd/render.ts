/** Writing a model out: a new service file in a stable layout, and the lines of one attribute. */
import { ATTRIBUTE_KEYS, attributeByKey, type Operator } from "./attributes";
import type { ListValue, XinetdAttributeKey, XinetdServiceModel } from "./model";
import { VALUE_CODECS } from "./values";

export interface AttributeStatement {
  name: string;
  operator: Operator;
  values: string[];
}

function listStatements(name: string, value: ListValue): AttributeStatement[] {
  if (Array.isArray(value)) return [{ name, operator: "=", values: value }];
  const statements: AttributeStatement[] = [];
  if (value.add) statements.push({ name, operator: "+=", values: value.add });
  if (value.remove) statements.push({ name, operator: "-=", values: value.remove });
  return statements;
}

/** The statements that express one model attribute (two for a list with both `+=` and `-=`). */
export function statementsFor(key: XinetdAttributeKey, value: unknown): AttributeStatement[] {
  const spec = attributeByKey(key);
  if (spec.count === "modifiable") return listStatements(spec.name, value as ListValue);
  return [{ name: spec.name, operator: "=", values: VALUE_CODECS[key].format(value) }];
}

/** Every statement of a model, in canonical order, `extra` last. */
export function statementsOf(model: XinetdServiceModel): AttributeStatement[] {
  const record = model as unknown as Record<string, unknown>;
  const statements = ATTRIBUTE_KEYS.flatMap((key) =>
    record[key] === undefined ? [] : statementsFor(key, record[key]),
  );
  for (const [name, value] of Object.entries(model.extra ?? {})) statements.push(...listStatements(name, value));
  return statements;
}

export function formatStatement(s: AttributeStatement, indent: string, paddedName: string): string {
  return `${indent}${paddedName} ${s.operator}${s.values.length > 0 ? ` ${s.values.join(" ")}` : ""}`;
}

/**
 * A new file for the model: Debian's layout, a tab before each attribute, `=` aligned. Unchecked:
 * writers use `renderXinetdService` (guard.ts), which reads the text back before returning it.
 */
export function renderXinetdServiceText(model: XinetdServiceModel): string {
  const statements = statementsOf(model);
  const width = Math.max(0, ...statements.map((s) => s.name.length));
  const body = statements.map((s) => `${formatStatement(s, "\t", s.name.padEnd(width))}\n`).join("");
  return `service ${model.name}\n{\n${body}}\n`;
}
