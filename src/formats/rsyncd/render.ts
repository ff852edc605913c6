/** Fresh text for models: a stable layout used for new sections and new lines. */
import type { RsyncdGlobalModel, RsyncModuleModel } from "./model";
import {
  GLOBAL_MODEL_PARAMETERS,
  lookupRsyncParameter,
  MODULE_MODEL_PARAMETERS,
  type RsyncParameter,
} from "./parameters";
import { formatRsyncValue, type RsyncTypedValue } from "./values";

/** `path` and `comment` lead a section because readers look for them first; the rest is alphabetical. */
const MODULE_ORDER: readonly RsyncParameter[] = [
  ...MODULE_MODEL_PARAMETERS.filter((p) => p.name === "path" || p.name === "comment").reverse(),
  ...MODULE_MODEL_PARAMETERS.filter((p) => p.name !== "path" && p.name !== "comment"),
];

/** One `name = value` pair per set parameter, in layout order: typed fields, then `extra`. */
function modelSettings(
  model: RsyncModuleModel | RsyncdGlobalModel,
  order: readonly RsyncParameter[],
): Array<[name: string, text: string, typed: RsyncTypedValue | undefined]> {
  const fields = model as unknown as Record<string, RsyncTypedValue | undefined>;
  const settings: Array<[string, string, RsyncTypedValue | undefined]> = [];
  for (const p of order) {
    const value = fields[p.key];
    if (value !== undefined) settings.push([p.name, formatRsyncValue(value), value]);
  }
  for (const [name, text] of Object.entries(model.extra ?? {})) {
    const canonical = lookupRsyncParameter(name)?.name ?? name;
    if (!settings.some(([n]) => n === canonical)) settings.push([canonical, text, undefined]);
  }
  return settings;
}

export function moduleSettings(model: RsyncModuleModel): ReturnType<typeof modelSettings> {
  return modelSettings(model, MODULE_ORDER);
}

export function globalSettings(model: RsyncdGlobalModel): ReturnType<typeof modelSettings> {
  return modelSettings(model, GLOBAL_MODEL_PARAMETERS);
}

export function parameterLine(indent: string, name: string, text: string, eol: string): string {
  return `${indent}${name} =${text === "" ? "" : ` ${text}`}${eol}`;
}

/**
 * `[name]` then one tab-indented line per parameter: path, comment, the rest alphabetical, extra.
 * Unchecked: writers use `renderRsyncModule` (guard.ts), which reads the text back first.
 */
export function renderRsyncModuleText(model: RsyncModuleModel): string {
  const lines = moduleSettings(model).map(([name, text]) => parameterLine("\t", name, text, "\n"));
  return `[${model.name}]\n${lines.join("")}`;
}

/** One unindented line per parameter: global-only ones, then module defaults, then extra. Unchecked, as above. */
export function renderRsyncdGlobalText(model: RsyncdGlobalModel): string {
  return globalSettings(model)
    .map(([name, text]) => parameterLine("", name, text, "\n"))
    .join("");
}
