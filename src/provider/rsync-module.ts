/** The provider of `RsyncModule`: one module section of an rsyncd.conf, the rest of the file left alone. */

import {
  parseRsyncdDocument,
  readRsyncModule,
  removeRsyncModule,
  rsyncNameKey,
  setRsyncModule,
  validateRsyncModule,
  type RsyncdDocument,
  type RsyncModuleModel,
  type ProblemRule,
} from "../formats";
import type { CommandRunner } from "../remote";
import { diffKeys, inputKeys, replaceKeys } from "../schema";
import { problemFailures, type CheckFailure } from "./checks";
import { defineHostKind } from "./kind";
import { fileOutputs } from "./outputs";
import { knownProperties, sameProperty, type Props } from "./props";
import {
  changedRsyncdDocument,
  editRsyncdConfig,
  MODULE_PARAMETER_KEYS,
  moduleSectionText,
  parameterFields,
  readHostRsyncdConfig,
  rsyncdCreateRefusal,
  rsyncdFileKind,
  rsyncdSettings,
  rsyncPropertyOf,
} from "./rsyncd-file";

const KIND = "RsyncModule" as const;
const INPUT_KEYS = inputKeys(KIND, MODULE_PARAMETER_KEYS);
const DIFF_KEYS = diffKeys(KIND, MODULE_PARAMETER_KEYS);
const REPLACE_KEYS = replaceKeys(KIND);
const CROSS_FIELD_RULES: readonly ProblemRule[] = ["auth-users-without-secrets", "extra-conflict"];

export function modelOf(inputs: Props): RsyncModuleModel {
  const model = { name: inputs.moduleName, ...parameterFields(inputs, MODULE_PARAMETER_KEYS) } as RsyncModuleModel;
  if (inputs.extra !== undefined) model.extra = inputs.extra as Record<string, string>;
  return model;
}

function moduleFailures(given: Props, unknown: ReadonlySet<string>): CheckFailure[] {
  const known = knownProperties(given, unknown);
  const model = modelOf({ ...known, moduleName: unknown.has("moduleName") ? "unknown" : given.moduleName });
  return problemFailures(
    validateRsyncModule(model),
    (problem) => rsyncPropertyOf(model.extra, problem, "moduleName"),
    unknown,
    CROSS_FIELD_RULES,
  );
}

/** The module as rsync reads it once written by these inputs (name as rsync spells it). */
function writtenModule(model: RsyncModuleModel): RsyncModuleModel | undefined {
  return readRsyncModule(setRsyncModule(parseRsyncdDocument(""), model), model.name);
}

/** What rsync reads of the module in the file now equals what these inputs write (or it is absent). */
function ownOrAbsent(doc: RsyncdDocument, model: RsyncModuleModel): boolean {
  const existing = readRsyncModule(doc, model.name);
  return existing === undefined || sameProperty(existing, writtenModule(model));
}

async function apply(inputs: Props, { runner, creating }: { runner: CommandRunner; creating: boolean }) {
  const path = String(inputs.configPath);
  const model = modelOf(inputs);
  const change = await editRsyncdConfig(
    runner,
    path,
    (doc) => {
      const what = { name: `module [${model.name}]`, inFile: `module [${model.name}] in ${path}` };
      const refusal = creating
        ? rsyncdCreateRefusal(doc, inputs, runner.label, path, what, () => ownOrAbsent(doc, model))
        : undefined;
      if (refusal) throw refusal;
      return setRsyncModule(doc, model);
    },
    { deleteWhenEmpty: false },
  );
  return fileOutputs(inputs, {}, moduleSectionText(changedRsyncdDocument(change.content), model.name) ?? "");
}

/** The module's parameters as its own lines set them (not inherited ones); gone with its file or section. */
async function readHost(props: Props, runner: CommandRunner): Promise<Props | undefined> {
  const doc = await readHostRsyncdConfig(runner, props);
  if (doc === undefined) return undefined;
  const model = readRsyncModule(doc, String(props.moduleName));
  if (model === undefined) return undefined;
  const { name, ...parameters } = model;
  return fileOutputs(
    { ...rsyncdSettings(props), moduleName: name, ...parameters },
    {},
    moduleSectionText(doc, name) ?? "",
  );
}

async function removeModule(state: Props, runner: CommandRunner): Promise<void> {
  await editRsyncdConfig(runner, String(state.configPath), (doc) => removeRsyncModule(doc, String(state.moduleName)), {
    deleteWhenEmpty: true,
  });
}

export const { check, diff, create, read, update, remove } = defineHostKind({
  ...rsyncdFileKind(MODULE_PARAMETER_KEYS),
  kind: "RsyncModule",
  inputKeys: INPUT_KEYS,
  failures: moduleFailures,
  diffKeys: DIFF_KEYS,
  replaceKeys: REPLACE_KEYS,
  // rsync merges sections whose names differ only in case and blanks: same file, same module.
  sameTarget: (olds, news) =>
    olds.configPath === news.configPath &&
    typeof news.moduleName === "string" &&
    rsyncNameKey(String(olds.moduleName)) === rsyncNameKey(news.moduleName),
  location: (inputs) => `${String(inputs.configPath)}[${String(inputs.moduleName)}]`,
  apply,
  unknownOutcome: (inputs) => fileOutputs(inputs, {}),
  readHost,
  remove: removeModule,
});
