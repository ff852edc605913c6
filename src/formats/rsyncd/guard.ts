/**
 * The round-trip guard: an edited rsyncd.conf is read back the way rsync reads it (the semantic
 * view) and compared, setting by setting and module by module, with what the edit meant.
 *
 * What the edit meant is built without the renderer and without the lexer: the original entries,
 * with the edited parameter lines replaced by synthetic entries that carry the intended values
 * as rsync would hold them after reading. A value that the written text makes rsync read
 * differently (a trailing `\` joining the next line, a line break starting a new line or a new
 * `[section]`, blanks rsync trims, a list item holding a separator) therefore shows up as a
 * difference between the two readings, and the edit is refused naming the field. Linear: one walk
 * and two semantic readings per edit, whatever the number of modules.
 */
import { errorsOf, FormatError, problem, type Problem } from "../problems";
import {
  parseRsyncdDocument,
  type ParameterEntry,
  type RsyncdDocument,
  type RsyncdEntry,
  type SectionEntry,
} from "./document";
import type { RsyncdGlobalModel, RsyncModuleModel } from "./model";
import { lookupRsyncParameter, RSYNC_PARAMETERS, type RsyncParameter } from "./parameters";
import { globalSettings, moduleSettings, renderRsyncdGlobalText, renderRsyncModuleText } from "./render";
import { findWalkedModule, walkRsyncdDocument, type DocumentWalk } from "./sections";
import { rsyncdSemantics, sharedRsyncdSemantics, type RsyncdSettings } from "./semantics";
import {
  formatRsyncValue,
  isRsyncUnset,
  parseRsyncBoolean,
  rsyncAtoi,
  splitRsyncList,
  type RsyncTypedValue,
} from "./values";

const ROUND_TRIP_RULE = "round-trip-mismatch";

type Settings = ReturnType<typeof moduleSettings>;

function syntheticParameter(name: string, value: string, line: number): ParameterEntry {
  return { kind: "parameter", raw: "", line, indent: "", key: name, name, separator: " = ", value, continued: false };
}

function syntheticSection(name: string, line: number): SectionEntry {
  return { kind: "section", raw: "", line, name, isGlobal: false, valid: true };
}

function canonicalName(entry: ParameterEntry): string {
  return lookupRsyncParameter(entry.name)?.name ?? entry.name;
}

/**
 * The entries of one context as the edit means them: the last line of each wanted parameter holds
 * the intended value, earlier ones stay (rsync lets the last accepted one win), unwanted ones go,
 * and wanted ones without a line are added at `insertAfter` (-1: before the first entry);
 * `alsoInsert` places further synthetic entries (a module's served name).
 */
function intendedEntries(
  doc: RsyncdDocument,
  walk: DocumentWalk,
  context: "global" | number,
  settings: Settings,
  dropped: ReadonlySet<string>,
  insertAfter: number,
  alsoInsert: { afterIndex: number; entries: RsyncdEntry[] } = { afterIndex: -2, entries: [] },
): RsyncdEntry[] {
  const wanted = new Map(settings.map(([name, text]) => [name, text]));
  const last = new Map<string, number>();
  doc.entries.forEach((entry, index) => {
    if (entry.kind === "parameter" && walk.contexts[index] === context) last.set(canonicalName(entry), index);
  });
  const added = settings.filter(([name]) => !last.has(name)).map(([name, text]) => syntheticParameter(name, text, 0));
  const out: RsyncdEntry[] = insertAfter === -1 ? [...added] : [];
  doc.entries.forEach((entry, index) => {
    if (entry.kind === "parameter" && walk.contexts[index] === context) {
      const name = canonicalName(entry);
      const text = wanted.get(name);
      if (dropped.has(name) || text === undefined) return;
      out.push(last.get(name) === index ? syntheticParameter(name, text, entry.line) : entry);
    } else {
      out.push(entry);
    }
    if (index === alsoInsert.afterIndex) out.push(...alsoInsert.entries);
    if (index === insertAfter) out.push(...added);
  });
  return out;
}

/** What a stored value means to rsync: booleans and integers as read, lists as split. */
function meaning(param: RsyncParameter | undefined, text: string): string {
  switch (param?.kind) {
    case "bool":
      return String(parseRsyncBoolean(text) ?? (isRsyncUnset(text) ? "unset" : text));
    case "int":
      return String(rsyncAtoi(text));
    case "list":
      return JSON.stringify(splitRsyncList(param, text));
    default:
      return text;
  }
}

function compareSettings(where: string, intended: RsyncdSettings, actual: RsyncdSettings, problems: Problem[]): void {
  const names = new Set([...Object.keys(intended), ...Object.keys(actual)]);
  for (const name of names) {
    const param = lookupRsyncParameter(name);
    const want = intended[name];
    const got = actual[name];
    if (want !== undefined && got !== undefined && meaning(param, want) === meaning(param, got)) continue;
    const how =
      got === undefined
        ? "would be lost"
        : want === undefined
          ? "would be set by a line the edit did not mean to write"
          : "would be read differently";
    problems.push(
      problem(
        name,
        ROUND_TRIP_RULE,
        `\`${name}\` ${where} ${how} once the edited file is read back as rsync reads it; refusing the change.`,
      ),
    );
  }
}

function countKinds(entries: readonly RsyncdEntry[]): string {
  let sections = 0;
  let directives = 0;
  let invalid = 0;
  for (const entry of entries) {
    if (entry.kind === "section") sections++;
    else if (entry.kind === "directive") directives++;
    else if (entry.kind === "invalid") invalid++;
  }
  return `${sections} section(s), ${directives} directive(s), ${invalid} ignored line(s)`;
}

/** Differences between rsync's reading of the edited file and of what the edit meant. */
function compare(before: RsyncdDocument, intended: RsyncdEntry[], after: RsyncdDocument): Problem[] {
  const problems: Problem[] = [];
  const want = rsyncdSemantics({ entries: intended, problems: [] });
  const got = sharedRsyncdSemantics(after);
  const wantShape = countKinds(intended);
  const gotShape = countKinds(after.entries);
  if (wantShape !== gotShape) {
    problems.push(
      problem(
        "file",
        ROUND_TRIP_RULE,
        `The edited file would hold ${gotShape} instead of ${wantShape}: a value would start or swallow a line; ` +
          `refusing the change.`,
      ),
    );
  }
  if (errorsOf(after.problems).length > errorsOf(before.problems).length) {
    problems.push(problem("file", ROUND_TRIP_RULE, "The edit would add a line rsync rejects; refusing the change."));
  }
  compareSettings("in the global part", want.global, got.global, problems);
  const count = Math.max(want.modules.length, got.modules.length);
  for (let i = 0; i < count; i++) {
    const w = want.modules[i];
    const g = got.modules[i];
    if (w === undefined || g === undefined || w.name !== g.name) {
      const what =
        w === undefined
          ? `an unintended module \`[${g!.name}]\``
          : g === undefined
            ? `no module \`[${w.name}]\``
            : `module \`[${g.name}]\` where \`[${w.name}]\` was meant`;
      problems.push(
        problem("module name", ROUND_TRIP_RULE, `The edited file would serve ${what}; refusing the change.`),
      );
      break;
    }
    compareSettings(`of module \`[${w.name}]\``, w.params, g.params, problems);
  }
  return problems;
}

/**
 * Typed values whose text rsync would read back as something else: list items that rsync would
 * split or merge, numbers `atoi` would change. The text level cannot see these.
 */
function encodingProblems(model: object, parameters: readonly RsyncParameter[]): Problem[] {
  const fields = model as Record<string, unknown>;
  const problems: Problem[] = [];
  for (const param of parameters) {
    const value = fields[param.key];
    if (value === undefined) continue;
    const text = formatRsyncValue(value as RsyncTypedValue);
    const exact =
      param.kind === "list"
        ? Array.isArray(value) && JSON.stringify(splitRsyncList(param, text)) === JSON.stringify(value)
        : param.kind === "int"
          ? typeof value === "number" && rsyncAtoi(text) === value && String(rsyncAtoi(text)) === text
          : param.kind === "bool"
            ? typeof value === "boolean"
            : typeof value === "string";
    if (!exact)
      problems.push(
        problem(
          param.name,
          ROUND_TRIP_RULE,
          `\`${param.name}\` cannot be written so that rsync reads back the intended value; refusing the change.`,
        ),
      );
  }
  return problems;
}

const MODULE_PARAMETERS = RSYNC_PARAMETERS.filter((p) => p.scope === "module" && p.name !== "name");
const GLOBAL_PARAMETERS = RSYNC_PARAMETERS.filter((p) => p.name !== "name");

/** Problems of `after` as the result of `setRsyncModule(before, model)`. */
export function guardRsyncModuleEdit(
  before: RsyncdDocument,
  after: RsyncdDocument,
  model: RsyncModuleModel,
): Problem[] {
  const walk = walkRsyncdDocument(before);
  const index = findWalkedModule(walk, model.name);
  let intended: RsyncdEntry[];
  if (index < 0) {
    const line = (before.entries[before.entries.length - 1]?.line ?? 0) + 1;
    const lines = moduleSettings(model).map(([name, text]) => syntheticParameter(name, text, line));
    intended = [...before.entries, syntheticSection(model.name, line), ...lines];
  } else {
    const { headers } = walk.modules[index]!;
    const settings = moduleSettings(model).filter(([name]) => name !== "name");
    // The served name is the model's: one synthetic `name =` right after the first header stands for it.
    intended = intendedEntries(before, walk, index, settings, new Set(["name"]), headers[headers.length - 1]!, {
      afterIndex: headers[0]!,
      entries: [syntheticParameter("name", model.name, before.entries[headers[0]!]!.line)],
    });
  }
  return [...encodingProblems(model, MODULE_PARAMETERS), ...compare(before, intended, after)];
}

/** Problems of `after` as the result of `removeRsyncModule(before, name)`. */
export function guardRsyncModuleRemoval(before: RsyncdDocument, after: RsyncdDocument, name: string): Problem[] {
  const walk = walkRsyncdDocument(before);
  const index = findWalkedModule(walk, name);
  const intended = index < 0 ? before.entries : before.entries.filter((_, i) => walk.contexts[i] !== index);
  return compare(before, intended, after);
}

/** Problems of `after` as the result of `setRsyncdGlobal(before, model)`. */
export function guardRsyncdGlobalEdit(
  before: RsyncdDocument,
  after: RsyncdDocument,
  model: RsyncdGlobalModel,
): Problem[] {
  const walk = walkRsyncdDocument(before);
  const intended = intendedEntries(before, walk, "global", globalSettings(model), new Set(), -1);
  return [...encodingProblems(model, GLOBAL_PARAMETERS), ...compare(before, intended, after)];
}

/** Returns `after` when the guard finds nothing; throws a FormatError naming every difference otherwise. */
export function passRoundTrip<T>(subject: string, after: T, problems: readonly Problem[]): T {
  if (problems.length > 0) throw new FormatError(subject, problems);
  return after;
}

/** A new module section's text, read back as rsync reads it before it is returned. */
export function renderRsyncModule(model: RsyncModuleModel): string {
  const text = renderRsyncModuleText(model);
  passRoundTrip(
    `rsync module \`${model.name}\``,
    undefined,
    guardRsyncModuleEdit(parseRsyncdDocument(""), parseRsyncdDocument(text), model),
  );
  return text;
}

/** A new global part's text, read back as rsync reads it before it is returned. */
export function renderRsyncdGlobal(model: RsyncdGlobalModel): string {
  const text = renderRsyncdGlobalText(model);
  passRoundTrip(
    "rsyncd global settings",
    undefined,
    guardRsyncdGlobalEdit(parseRsyncdDocument(""), parseRsyncdDocument(text), model),
  );
  return text;
}
