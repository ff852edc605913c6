/**
 * The round-trip guard for xinetd files: an edited (or freshly rendered) file is read back the way
 * xinetd reads it and compared, entry by entry and attribute by attribute, with what the edit
 * meant. The intended reading of the edited entry is computed from the model's statements folded
 * as xinetd folds them (`readAttributeLines`), without writing or lexing a line, so whatever the
 * written text makes xinetd read differently (a blank splitting a value, a line break or a `}`
 * ending the entry, a stray line swallowing the next entry, an over-long line) is a difference,
 * and the change is refused naming the attribute. Linear in the file's size.
 */
import { isDeepStrictEqual } from "node:util";
import { errorsOf, FormatError, problem, type Problem } from "../problems";
import { findServiceBlock, parseXinetdDocument, type XinetdBlock, type XinetdDocument } from "./document";
import { attributeByKey } from "./attributes";
import type { XinetdAttributeKey, XinetdServiceModel } from "./model";
import { attributeLinesOf, modelOf, readAttributeLines, type AttributeLine } from "./read";
import { renderXinetdServiceText, statementsOf } from "./render";

const ROUND_TRIP_RULE = "round-trip-mismatch";

interface EntryReading {
  kind: XinetdBlock["kind"];
  name: string;
  discarded: boolean;
  model: XinetdServiceModel;
}

function readingOf(doc: XinetdDocument, block: XinetdBlock): EntryReading {
  const model = modelOf(block.name, readAttributeLines(attributeLinesOf(doc, block.attributes)));
  return { kind: block.kind, name: block.name, discarded: block.discarded, model };
}

/** What xinetd makes of the model's statements, as if each were a line it had read. */
function intendedModel(model: XinetdServiceModel): XinetdServiceModel {
  const lines: AttributeLine[] = statementsOf(model).map((s, index) => ({
    index,
    syntax: {
      indent: "",
      name: s.name,
      gap: " ",
      operator: s.operator,
      afterOperator: " ",
      values: s.values.map((text) => ({ text, column: 0 })),
    },
  }));
  return modelOf(model.name, readAttributeLines(lines));
}

/** The attributes (xinetd's names, `extra` names as written) whose readings differ. */
function differingAttributes(intended: XinetdServiceModel, actual: XinetdServiceModel): string[] {
  const want = intended as unknown as Record<string, unknown>;
  const got = actual as unknown as Record<string, unknown>;
  const keys = new Set([...Object.keys(want), ...Object.keys(got)].filter((key) => key !== "extra" && key !== "name"));
  const fields = [...keys]
    .filter((key) => !isDeepStrictEqual(want[key], got[key]))
    .map((key) => attributeByKey(key as XinetdAttributeKey).name);
  const wantExtra = intended.extra ?? {};
  const gotExtra = actual.extra ?? {};
  for (const name of new Set([...Object.keys(wantExtra), ...Object.keys(gotExtra)])) {
    if (!isDeepStrictEqual(wantExtra[name], gotExtra[name])) fields.push(name);
  }
  return fields;
}

function lineRange(block: XinetdBlock, doc: XinetdDocument): [number, number] {
  return [block.header + 1, (block.close ?? doc.lines.length - 1) + 1];
}

function errorsOutside(doc: XinetdDocument, range: [number, number] | undefined): number {
  return errorsOf(doc.problems).filter(
    (p) => range === undefined || p.position === undefined || p.position.line < range[0] || p.position.line > range[1],
  ).length;
}

/**
 * Problems of `after` as the result of expressing `model` in the entry `editedIndex` of `before`
 * (-1 or no `before`: a new entry appended). Every other entry, include and the defaults must
 * read as before; the edited entry must read as the model's statements do.
 */
export function guardXinetdEdit(
  before: XinetdDocument | undefined,
  editedIndex: number,
  after: XinetdDocument,
  model: XinetdServiceModel,
): Problem[] {
  const problems: Problem[] = [];
  const refuse = (field: string, message: string) =>
    problems.push(problem(field, ROUND_TRIP_RULE, `${message}; refusing the change.`));
  const blocks = before?.blocks ?? [];
  const intended: EntryReading[] = blocks.map((block) => readingOf(before!, block));
  const edited = { kind: "service" as const, name: model.name, discarded: false, model: intendedModel(model) };
  const at = editedIndex < 0 ? intended.length : editedIndex;
  intended[at] = edited;
  const actual = after.blocks.map((block) => readingOf(after, block));
  if (actual.length !== intended.length) {
    refuse(
      "service",
      `The edited file would hold ${actual.length} entries instead of ${intended.length}: a value would open, close ` +
        `or swallow an entry`,
    );
    return problems;
  }
  intended.forEach((want, i) => {
    const got = actual[i]!;
    const label = want.kind === "defaults" ? "`defaults`" : `\`service ${want.name}\``;
    if (got.kind !== want.kind || got.name !== want.name) {
      refuse(
        "service",
        `The edited file would hold \`${got.kind === "defaults" ? "defaults" : `service ${got.name}`}\` where ` +
          `${label} was meant`,
      );
      return;
    }
    if (got.discarded !== want.discarded)
      refuse("service", `xinetd would ${got.discarded ? "drop" : "read"} ${label} for its syntax`);
    for (const field of differingAttributes(want.model, got.model)) {
      refuse(
        field,
        `\`${field}\` of ${label} would be read differently once the edited file is read back as xinetd reads it`,
      );
    }
  });
  const includes = (doc: XinetdDocument | undefined) =>
    JSON.stringify((doc?.includes ?? []).map((inc) => [inc.kind, inc.path]));
  if (includes(before) !== includes(after)) refuse("service", "The edited file would include other files than before");
  const editedBlock = after.blocks[at]!;
  const range = lineRange(editedBlock, after);
  const beforeBlock = editedIndex < 0 ? undefined : blocks[editedIndex];
  const beforeErrors = before === undefined ? 0 : errorsOutside(before, beforeBlock && lineRange(beforeBlock, before));
  if (errorsOutside(after, range) > beforeErrors)
    refuse("service", "The edit would add a line xinetd rejects outside the edited entry");
  const attributeAt = (line: number) => after.lines[line - 1]?.attribute?.name ?? "service";
  for (const p of errorsOf(after.problems)) {
    if (p.position !== undefined && p.position.line >= range[0] && p.position.line <= range[1]) {
      const field = attributeAt(p.position.line);
      refuse(field, `\`${field}\` would be written on a line xinetd cannot read as meant (${p.rule})`);
    }
  }
  // xinetd reads lines as C strings: a NUL cuts the line there, which the reading above does not model.
  for (let line = range[0]; line <= range[1]; line++) {
    if (after.lines[line - 1]?.text.includes("\0"))
      refuse(attributeAt(line), `\`${attributeAt(line)}\` holds a NUL, where xinetd's reading of the line would stop`);
  }
  return problems;
}

/** The entry `applyXinetdService` edits: the one named like the model, else the first one; -1 for none. */
export function editedEntryIndex(doc: XinetdDocument, model: XinetdServiceModel): number {
  const block = findServiceBlock(doc, model.name) ?? findServiceBlock(doc);
  return block === undefined ? -1 : doc.blocks.indexOf(block);
}

/** A new file for the model (Debian's layout), read back as xinetd reads it before it is returned. */
export function renderXinetdService(model: XinetdServiceModel): string {
  const text = renderXinetdServiceText(model);
  const problems = guardXinetdEdit(undefined, -1, parseXinetdDocument(text), model);
  if (problems.length > 0) throw new FormatError(`xinetd service ${model.name}`, problems);
  return text;
}

/** Returns `after` when the guard finds nothing; throws a FormatError naming every difference otherwise. */
export function passRoundTrip(
  model: XinetdServiceModel,
  after: XinetdDocument,
  problems: readonly Problem[],
): XinetdDocument {
  if (problems.length > 0) throw new FormatError(`xinetd service ${model.name}`, problems);
  return after;
}
