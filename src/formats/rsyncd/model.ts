/**
 * Typed models of a module section and of the global part, read from what the lines of a
 * document say (not what a module inherits: see `rsyncdSemantics` for that).
 */
import type { ParameterEntry, RsyncdDocument } from "./document";
import {
  GLOBAL_MODEL_PARAMETERS,
  lookupRsyncParameter,
  MODULE_MODEL_PARAMETERS,
  type RsyncGlobalOnlyFields,
  type RsyncModuleFields,
  type RsyncParameter,
} from "./parameters";
import { findWalkedModule, walkRsyncdDocument } from "./sections";
import { typedRsyncValue, type RsyncTypedValue } from "./values";

/** Every module parameter of rsync 3.5.0 except `name` (the model's `name` instead), from the parameter table. */
export type RsyncModuleParameters = RsyncModuleFields;

export interface RsyncModuleModel extends RsyncModuleParameters {
  /** The exact name clients ask for (`rsync host::name`). */
  name: string;
  /**
   * Lines the typed fields cannot hold, as text: unknown names (as rsync reads them), parameters
   * the model does not carry (`name`, global-only ones), and values that are not clean values of
   * their kind (`read only = maybe`, `use chroot = unset`). Keys of known parameters use rsync's
   * spelling.
   */
  extra?: Record<string, string>;
}

/** The global-only parameters, from the parameter table (the global part also holds module defaults). */
export type RsyncdGlobalParameters = RsyncGlobalOnlyFields;

export interface RsyncdGlobalModel extends RsyncdGlobalParameters, RsyncModuleParameters {
  /** As in `RsyncModuleModel.extra`. */
  extra?: Record<string, string>;
}

type Fields = Record<string, RsyncTypedValue | undefined>;

/** The last line for each parameter among the entries at `indexes`, keyed by rsync's spelling. */
function lastLines(doc: RsyncdDocument, indexes: readonly number[]): Map<string, ParameterEntry> {
  const lines = new Map<string, ParameterEntry>();
  for (const index of indexes) {
    const entry = doc.entries[index]!;
    if (entry.kind !== "parameter") continue;
    const name = lookupRsyncParameter(entry.name)?.name ?? entry.name;
    lines.delete(name);
    lines.set(name, entry);
  }
  return lines;
}

function readFields(
  lines: Map<string, ParameterEntry>,
  modelled: readonly RsyncParameter[],
): { fields: Fields; extra: Record<string, string> } {
  const fields: Fields = {};
  const extra: Record<string, string> = {};
  for (const [name, entry] of lines) {
    const param = modelled.find((p) => p.name === name);
    const typed = param === undefined ? undefined : typedRsyncValue(param, entry.value);
    if (param !== undefined && typed !== undefined) fields[param.key] = typed;
    else extra[name] = entry.value;
  }
  return { fields, extra };
}

/**
 * The module `name` as its own lines define it, across all its sections (later lines win), or
 * undefined. Inherited global values are not included. Matched as rsync serves modules: the exact
 * name, else the module a `[name]` section would merge into (case- and blank-insensitive).
 */
export function readRsyncModule(doc: RsyncdDocument, name: string): RsyncModuleModel | undefined {
  const walk = walkRsyncdDocument(doc);
  const index = findWalkedModule(walk, name);
  if (index < 0) return undefined;
  const lines = lastLines(doc, walk.modules[index]!.entries);
  lines.delete("name");
  const { fields, extra } = readFields(lines, MODULE_MODEL_PARAMETERS);
  const model: RsyncModuleModel = { name: walk.modules[index]!.name, ...fields };
  if (Object.keys(extra).length > 0) model.extra = extra;
  return model;
}

/** The global part as its own lines define it, wherever they are (incl. after `[global]`). */
export function readRsyncdGlobal(doc: RsyncdDocument): RsyncdGlobalModel {
  const walk = walkRsyncdDocument(doc);
  const { fields, extra } = readFields(lastLines(doc, walk.globalEntries), GLOBAL_MODEL_PARAMETERS);
  const model: RsyncdGlobalModel = { ...fields };
  if (Object.keys(extra).length > 0) model.extra = extra;
  return model;
}

/** Names of the modules in the document, as rsync serves them, in order of first appearance. */
export function listRsyncModules(doc: RsyncdDocument): string[] {
  return walkRsyncdDocument(doc).modules.map((m) => m.name);
}
