/** What the RsyncModule and RsyncdConfig providers share: parameter keys, problem naming, file edits. */
import {
  GLOBAL_MODEL_PARAMETERS,
  MODULE_MODEL_PARAMETERS,
  parseRsyncdDocument,
  RSYNC_PARAMETERS,
  validateRsyncdDocument,
  type Problem,
  type ProblemRule,
  type RsyncdDocument,
} from "../formats";
import { entriesIn, findWalkedModule, walkRsyncdDocument, type EntryContext } from "../formats/rsyncd/sections";
import { normalizeRsyncPath } from "../formats/rsyncd/values";
import {
  changeRemoteDocumentBatched,
  changeRsyncdConfig,
  discardPreviousVersionShared,
  readRemoteFileShared,
  RSYNCD_CODEC,
  type CommandRunner,
  type FileChange,
  type RemoteFile,
} from "../remote";
import { DEFAULT_RSYNCD_CONFIG_PATH, problemPropertyPath, rsyncProblemProperty } from "../schema";
import { alreadyExistsError, RefusedChange } from "./errors";
import type { HostKind } from "./kind";
import { outcomeUnknown } from "./outputs";
import { knownProperties, withoutUndefined, type Props } from "./props";

export const DEFAULT_CONFIG_PATH = DEFAULT_RSYNCD_CONFIG_PATH;

/** camelCase keys of the parameters a module section takes (`name` is `moduleName` instead). */
export const MODULE_PARAMETER_KEYS: readonly string[] = MODULE_MODEL_PARAMETERS.map((p) => p.key);
/** camelCase keys of the parameters the global part takes: global-only ones and module defaults. */
export const GLOBAL_PARAMETER_KEYS: readonly string[] = GLOBAL_MODEL_PARAMETERS.map((p) => p.key);

/**
 * What RsyncModule and RsyncdConfig declare alike: the file they edit, checked inputs normalized
 * as rsync reads them back (a path without its trailing `/`), and an unknown outcome as a change.
 */
export function rsyncdFileKind(parameterKeys: readonly string[]) {
  return {
    defaults: { configPath: DEFAULT_CONFIG_PATH },
    paths: { configPath: "file" },
    normalized: (given: Props, unknown: ReadonlySet<string>) =>
      withoutUndefined({ ...given, ...parameterFields(knownProperties(given, unknown), parameterKeys) }),
    changedOtherwise: outcomeUnknown,
  } satisfies Partial<HostKind>;
}

/** Typed fields of a model from the inputs, path parameters without the trailing `/` rsync drops. */
export function parameterFields(inputs: Props, keys: readonly string[]): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const key of keys) {
    const value = inputs[key];
    if (value === undefined) continue;
    const param = RSYNC_PARAMETERS.find((p) => p.key === key);
    fields[key] = param?.path && typeof value === "string" ? normalizeRsyncPath(value) : value;
  }
  return fields;
}

/** The property a problem is about: `extra.<name>` when it came from `extra`, else the parameter's camelCase key. */
export function rsyncPropertyOf(extra: unknown, problem: Problem, moduleNameProperty: string): string {
  const join = (parent: string, key: string) => (parent === "" ? key : `${parent}.${key}`);
  return problemPropertyPath(rsyncProblemProperty(extra, problem), "", moduleNameProperty, join);
}

/** The text of the entries read in one context (a module's sections, or the global parameters), as written. */
export function contextText(doc: RsyncdDocument, context: EntryContext, onlyParameters = false): string {
  const parts: string[] = [];
  for (const index of entriesIn(walkRsyncdDocument(doc), context)) {
    const entry = doc.entries[index]!;
    if (!onlyParameters || entry.kind === "parameter") parts.push(entry.raw);
  }
  return parts.join("");
}

/** The text of a module's sections as written; undefined when rsync would not find the module. */
export function moduleSectionText(doc: RsyncdDocument, name: string): string | undefined {
  const index = findWalkedModule(walkRsyncdDocument(doc), name);
  return index < 0 ? undefined : contextText(doc, index);
}

/** Edits rsyncd.conf (validated by rsync on the host); a document edited down to nothing removes the file. */
export async function editRsyncdConfig(
  runner: CommandRunner,
  path: string,
  edit: (current: RsyncdDocument) => RsyncdDocument,
  options: { deleteWhenEmpty: boolean },
): Promise<FileChange> {
  if (!options.deleteWhenEmpty)
    return changeRsyncdConfig(runner, path, (current) => edit(current ?? parseRsyncdDocument("")));
  const change = await changeRemoteDocumentBatched(
    runner,
    path,
    RSYNCD_CODEC,
    (current) => {
      if (current === undefined) return undefined;
      const document = edit(current);
      // Rendering joins the entries' raw text, so a file of blanks only is one whose entries are all blank;
      // the batch renders the document once, for the host.
      return document.entries.every((entry) => entry.raw.trim() === "") ? { delete: true } : { document };
    },
    { validate: "rsyncd" },
  );
  // rsyncd.conf needs no reload, so nothing can roll a deleted file back: its copy can go (once
  // for all the edits of the batch that deleted it).
  if (change.changed && change.content === undefined) await discardPreviousVersionShared(runner, path);
  return change;
}

/** Documents by the shared read they were parsed from: callers of one read share one parse (and its walk). */
const parsedReads = new WeakMap<RemoteFile, RsyncdDocument>();

/** The document of a file read, parsed once however many modules refresh from the read. */
export function rsyncdDocumentOf(file: RemoteFile & { exists: true }): RsyncdDocument {
  let doc = parsedReads.get(file);
  if (doc === undefined) {
    doc = parseRsyncdDocument(file.content);
    parsedReads.set(file, doc);
  }
  return doc;
}

/**
 * The last file content parsed after a change. Every module of one batched change gets the same
 * content (one string), so the batch parses it once instead of once per module; one slot is
 * enough, and it keeps one document alive at most.
 */
let lastChanged: { content: string; doc: RsyncdDocument } | undefined;

/** The document of a file's content after a change (`""` for a removed file). */
export function changedRsyncdDocument(content: string | undefined): RsyncdDocument {
  const text = content ?? "";
  if (lastChanged?.content !== text) lastChanged = { content: text, doc: parseRsyncdDocument(text) };
  return lastChanged.doc;
}

/** The inputs a read of the host cannot see, as the state has them. */
export function rsyncdSettings(props: Props): Props {
  return {
    connection: props.connection,
    sudo: props.sudo,
    adopt: props.adopt,
    secretContent: props.secretContent,
    configPath: props.configPath,
  };
}

/**
 * The host's rsyncd.conf at `props.configPath` as a document, or undefined when there is none.
 * Every module (and the global part) of one file refreshes from one shared read and parse of it.
 */
export async function readHostRsyncdConfig(runner: CommandRunner, props: Props): Promise<RsyncdDocument | undefined> {
  const file = await readRemoteFileShared(runner, String(props.configPath));
  return file.exists ? rsyncdDocumentOf(file) : undefined;
}

/**
 * Rules under which rsync rejects a line or skips it: the reader's own (lines without `=`, broken
 * headers, unknown directives, NUL) and the lines it reads but ignores (unknown parameters, bad
 * values of typed ones, global parameters inside a module). A file holding any of them was not
 * written as an rsyncd.conf.
 */
const IGNORED_LINE_RULES: ReadonlySet<ProblemRule> = new Set<ProblemRule>([
  "unknown-parameter",
  "global-parameter-in-module",
  "bad-boolean",
  "bad-syslog-facility",
]);
const FOREIGN_LINES_SHOWN = 3;

/** The problems of an existing file that say it is not an rsyncd.conf, in file order. */
function foreignLineProblems(doc: RsyncdDocument): Problem[] {
  const reader = new Set(doc.problems);
  return validateRsyncdDocument(doc).filter((problem) => reader.has(problem) || IGNORED_LINE_RULES.has(problem.rule));
}

/**
 * Why a create may not write `what` (`module [x]` / `module [x] in PATH`, and so on) into this file, if it may
 * not: the file is not an rsyncd.conf, or it has `what` already and `isOwn` says it does not read
 * exactly as the resource would write it (what a create whose outcome was lost leaves is its own).
 * `adopt` skips both checks.
 */
export function rsyncdCreateRefusal(
  doc: RsyncdDocument,
  inputs: Props,
  host: string,
  path: string,
  what: { name: string; inFile: string },
  isOwn: () => boolean,
): RefusedChange | undefined {
  if (inputs.adopt === true) return undefined;
  const foreign = foreignLineProblems(doc);
  if (foreign.length > 0) return foreignFileError(host, path, what.name, foreign);
  return isOwn() ? undefined : alreadyExistsError(what.inFile, host);
}

/**
 * The refusal to write into a file that is not an rsyncd.conf. It names lines by number and
 * rule only: the file is not ours and may hold anything (a `configPath` of /etc/shadow).
 */
function foreignFileError(host: string, path: string, what: string, problems: readonly Problem[]): RefusedChange {
  const lines = problems
    .slice(0, FOREIGN_LINES_SHOWN)
    .map((problem) => `line ${problem.position?.line ?? "?"} (${problem.rule})`);
  const more = problems.length > FOREIGN_LINES_SHOWN ? ` and ${problems.length - FOREIGN_LINES_SHOWN} more` : "";
  return new RefusedChange({
    code: "foreign-file",
    host,
    message:
      `${host}: ${path} is not an rsyncd.conf: rsync would reject or ignore ${lines.join(", ")}${more}; ` +
      `refusing to add ${what} to it. Check \`configPath\`; if this file is the rsyncd.conf you mean, set \`adopt: ` +
      `true\` on the resource to write into it as it is.`,
  });
}
