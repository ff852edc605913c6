/**
 * What rsync 3.5.0 makes of a document: the global settings and each module's settings, computed
 * the way `loadparm.c` does it. Files named by `&include` / `&merge` are not read.
 */
import { problem, type Problem } from "../problems";
import type { ParameterEntry, RsyncdDocument, RsyncdEntry } from "./document";
import { lookupRsyncParameter, RSYNC_PARAMETERS, type RsyncParameter } from "./parameters";
import { walkRsyncdDocument } from "./sections";
import { suggestRsyncParameter } from "./suggest";
import {
  isRsyncUnset,
  normalizeRsyncPath,
  parseRsyncBoolean,
  parseRsyncInteger,
  rsyncAtoi,
  splitRsyncList,
} from "./values";

/** Canonical parameter name → value text as rsync stored it (trimmed, paths without trailing `/`). */
export type RsyncdSettings = Record<string, string>;

export interface RsyncdModuleSemantics {
  /** The exact name a client asks for. */
  name: string;
  /**
   * Everything the file decides for the module: its own lines, the global values it copied when
   * it opened, and string parameters it inherits from the final global part. Absent: rsync's default.
   */
  params: RsyncdSettings;
}

export interface RsyncdSemantics {
  global: RsyncdSettings;
  /** In order of first appearance, duplicates merged. */
  modules: RsyncdModuleSemantics[];
  /** Lines rsync ignores or misreads: unknown names, global parameters in modules, bad values. */
  problems: Problem[];
}

export const SYSLOG_FACILITIES: readonly string[] = [
  "auth",
  "authpriv",
  "cron",
  "daemon",
  "ftp",
  "kern",
  "lpr",
  "mail",
  "news",
  "security",
  "syslog",
  "user",
  "uucp",
  "local0",
  "local1",
  "local2",
  "local3",
  "local4",
  "local5",
  "local6",
  "local7",
];

/** Strings with no built-in value are the only ones a module looks up in the final global part. */
function inheritsFinalGlobal(param: RsyncParameter): boolean {
  return (param.kind === "string" || param.kind === "list") && param.defaultValue === undefined;
}

function positionOf(entry: ParameterEntry): { line: number; column: number } {
  return { line: entry.line, column: entry.indent.length + 1 };
}

/**
 * The value rsync stores for a line, or undefined when it ignores the line. Reports what it
 * ignores or misreads.
 */
function acceptedValue(param: RsyncParameter, entry: ParameterEntry, problems: Problem[]): string | undefined {
  const position = positionOf(entry);
  const { value } = entry;
  if (param.kind === "bool") {
    if (parseRsyncBoolean(value) !== undefined || (param.unsettable && isRsyncUnset(value))) return value;
    problems.push(
      problem(
        param.name,
        "bad-boolean",
        `\`${param.name}\` = \`${value}\` is not a boolean (yes/true/1, no/false/0); rsync ignores the line.`,
        { position },
      ),
    );
    return undefined;
  }
  if (param.kind === "int") {
    if (parseRsyncInteger(value) === undefined) {
      problems.push(
        problem(
          param.name,
          "bad-integer",
          `\`${param.name}\` = \`${value}\` is not a whole number; rsync reads it as ${rsyncAtoi(value)}.`,
          { position },
        ),
      );
    }
    return value;
  }
  if (param.name === "syslog facility" && !SYSLOG_FACILITIES.includes(value.toLowerCase()) && rsyncAtoi(value) <= 0) {
    problems.push(
      problem(
        param.name,
        "bad-syslog-facility",
        `\`syslog facility\` = \`${value}\` is not a facility name; rsync ignores the line.`,
        { position },
      ),
    );
    return undefined;
  }
  return param.path ? normalizeRsyncPath(value) : value;
}

interface ModuleState {
  name: string;
  params: RsyncdSettings;
}

export function rsyncdSemantics(doc: RsyncdDocument): RsyncdSemantics {
  return readSemantics(doc);
}

/**
 * Readings kept per entry list for the format layer's own checks, which only read them: the
 * guard reads each edited document, and the validation of the next edit of a batch reads it again.
 * Each keeps the entries it was read from: a list changed in place since (an entry added, removed
 * or replaced) is read afresh.
 */
const readings = new WeakMap<readonly RsyncdEntry[], { entries: readonly RsyncdEntry[]; semantics: RsyncdSemantics }>();

/** `rsyncdSemantics`, computed once per document; read-only (callers outside get their own copy). */
export function sharedRsyncdSemantics(doc: RsyncdDocument): RsyncdSemantics {
  const cached = readings.get(doc.entries);
  if (cached !== undefined && sameEntries(cached.entries, doc.entries)) return cached.semantics;
  const semantics = readSemantics(doc);
  readings.set(doc.entries, { entries: [...doc.entries], semantics });
  return semantics;
}

function sameEntries(read: readonly RsyncdEntry[], now: readonly RsyncdEntry[]): boolean {
  return read.length === now.length && read.every((entry, index) => entry === now[index]);
}

function readSemantics(doc: RsyncdDocument): RsyncdSemantics {
  const walk = walkRsyncdDocument(doc);
  const problems: Problem[] = [];
  const global: RsyncdSettings = {};
  const modules: ModuleState[] = [];
  doc.entries.forEach((entry, index) => {
    const context = walk.contexts[index]!;
    if (entry.kind === "section" && typeof context === "number") {
      if (modules[context] === undefined) {
        // A new module copies every module setting the global part holds at this point.
        const params: RsyncdSettings = {};
        for (const p of RSYNC_PARAMETERS) {
          if (p.scope === "module" && p.name !== "name" && global[p.name] !== undefined)
            params[p.name] = global[p.name]!;
        }
        modules[context] = { name: entry.name, params };
      } else {
        problems.push(
          problem(
            "module name",
            "duplicate-module",
            `The section \`[${entry.name}]\` repeats module \`${modules[context]!.name}\`; rsync merges them, later ` +
              `values win.`,
            { severity: "warning", position: { line: entry.line, column: 1 } },
          ),
        );
      }
      return;
    }
    if (entry.kind !== "parameter") return;
    const param = lookupRsyncParameter(entry.name);
    if (param === undefined) {
      const hint = suggestRsyncParameter(entry.name);
      problems.push(
        problem(
          entry.name,
          "unknown-parameter",
          `\`${entry.name}\` is not an rsync parameter; rsync ignores the ` +
            `line.${hint ? ` Did you mean \`${hint}\`?` : ""}`,
          { position: positionOf(entry) },
        ),
      );
      return;
    }
    if (context !== "global" && param.scope === "global") {
      problems.push(
        problem(
          param.name,
          "global-parameter-in-module",
          `\`${param.name}\` is a global parameter; rsync ignores it inside a module.`,
          { position: positionOf(entry) },
        ),
      );
      return;
    }
    const value = acceptedValue(param, entry, problems);
    if (value === undefined || context === "ignored") return;
    if (context === "global") global[param.name] = value;
    else if (param.name === "name") modules[context]!.name = value;
    else modules[context]!.params[param.name] = value;
  });
  for (const module of modules) {
    for (const p of RSYNC_PARAMETERS) {
      if (
        p.scope === "module" &&
        p.name !== "name" &&
        inheritsFinalGlobal(p) &&
        module.params[p.name] === undefined &&
        global[p.name] !== undefined
      ) {
        module.params[p.name] = global[p.name]!;
      }
    }
  }
  return { global, modules, problems };
}

/** The module a client asking for `name` gets (exact match, the last one as rsync does). */
export function findRsyncdModule(sem: RsyncdSemantics, name: string): RsyncdModuleSemantics | undefined {
  for (let i = sem.modules.length - 1; i >= 0; i--) {
    if (sem.modules[i]!.name === name) return sem.modules[i];
  }
  return undefined;
}

function parameterOrThrow(name: string, kind?: RsyncParameter["kind"]): RsyncParameter {
  const param = lookupRsyncParameter(name);
  if (param === undefined) throw new TypeError(`Unknown rsync parameter: ${name}`);
  if (kind !== undefined && param.kind !== kind)
    throw new TypeError(`rsync parameter \`${param.name}\` is a ${param.kind}, not a ${kind}`);
  return param;
}

/**
 * Effective text of a parameter for a module (or globally when `module` is omitted), rsync's
 * built-in default included. Undefined when nothing sets it or the module does not exist.
 */
export function rsyncdValue(sem: RsyncdSemantics, name: string, module?: string): string | undefined {
  const param = parameterOrThrow(name);
  const settings = module === undefined ? sem.global : findRsyncdModule(sem, module)?.params;
  if (settings === undefined) return undefined;
  return settings[param.name] ?? param.defaultValue;
}

/** Effective boolean; undefined for a tri-state parameter left `unset` (rsync decides at runtime). */
export function rsyncdBoolean(sem: RsyncdSemantics, name: string, module?: string): boolean | undefined {
  const text = rsyncdValue(sem, parameterOrThrow(name, "bool").name, module);
  return text === undefined ? undefined : parseRsyncBoolean(text);
}

/** Effective integer, as `atoi` reads it. */
export function rsyncdInteger(sem: RsyncdSemantics, name: string, module?: string): number | undefined {
  const text = rsyncdValue(sem, parameterOrThrow(name, "int").name, module);
  return text === undefined ? undefined : rsyncAtoi(text);
}

/** Effective list, split where rsync splits it. */
export function rsyncdList(sem: RsyncdSemantics, name: string, module?: string): string[] | undefined {
  const param = parameterOrThrow(name, "list");
  const text = rsyncdValue(sem, param.name, module);
  return text === undefined ? undefined : splitRsyncList(param, text);
}
