/** The provider of `RsyncModule`: one module section of an rsyncd.conf, the rest of the file left alone. */

import {
  parseRsyncdDocument,
  readRsyncModule,
  removeRsyncModule,
  rsyncNameKey,
  setRsyncModule,
  validateRsyncModule,
  type ProblemRule,
  type RsyncdDocument,
  type RsyncModuleModel,
} from "../formats";
import { diffKeys, inputKeys, replaceKeys } from "../schema";
import {
  changedRsyncdDocument,
  DEFAULT_CONFIG_PATH,
  editRsyncdConfig,
  MODULE_PARAMETER_KEYS,
  moduleSectionText,
  parameterFields,
  readHostRsyncdConfig,
  rsyncdCreateRefusal,
  rsyncPropertyOf,
} from "./rsyncd-file";
import {
  applyFailure,
  connectionFailures,
  contentOutputs,
  diffProperties,
  hostMethods,
  inputsOf,
  outcomeUnknown,
  problemFailures,
  resourceId,
  runnerFor,
  sameHost,
  sameProperty,
  SCHEMA_VERSION,
  settingFailures,
  unknownPropertiesOf,
  upgradeState,
  controlCharacterFailures,
  pathFailures,
  withoutUndefined,
  type CheckFailure,
  type CheckResult,
  type DiffResult,
  type Props,
} from "./state";

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

export function check(_olds: Props, news: Props): CheckResult {
  const given = inputsOf({ configPath: DEFAULT_CONFIG_PATH, ...news });
  const unknown = unknownPropertiesOf(given);
  const failures: CheckFailure[] = [
    ...connectionFailures(given.connection),
    ...settingFailures(given, ["secretContent"]),
  ];
  for (const key of Object.keys(given)) {
    if (!INPUT_KEYS.has(key)) failures.push({ property: key, reason: `\`${key}\` is not a property of ${KIND}.` });
  }
  if (!unknown.has("configPath")) failures.push(...pathFailures("configPath", given.configPath, "file"));
  const known = Object.fromEntries(Object.entries(given).filter(([key]) => !unknown.has(key)));
  const model = modelOf({ ...known, moduleName: unknown.has("moduleName") ? "unknown" : given.moduleName });
  failures.push(
    ...problemFailures(
      validateRsyncModule(model),
      (problem) => rsyncPropertyOf(model.extra, problem, "moduleName"),
      unknown,
      CROSS_FIELD_RULES,
    ),
  );
  // Normalized values (a path without its trailing `/`) are what the host will be read back as.
  const inputs = withoutUndefined({ ...given, ...parameterFields(known, MODULE_PARAMETER_KEYS) });
  failures.push(...controlCharacterFailures(given, failures));
  return { inputs, failures };
}

export function diff(_id: string, olds: Props, news: Props): DiffResult {
  const old = upgradeState(olds, KIND);
  const { changed, replaces } = diffProperties(old, news, DIFF_KEYS, REPLACE_KEYS);
  // rsync merges sections whose names differ only in case and blanks: same file, same module.
  const sameSection =
    sameHost(old.connection, news.connection) &&
    old.configPath === news.configPath &&
    typeof news.moduleName === "string" &&
    rsyncNameKey(String(old.moduleName)) === rsyncNameKey(news.moduleName);
  return {
    changes: changed.length > 0 || outcomeUnknown(old),
    replaces,
    deleteBeforeReplace: replaces.length > 0 && sameSection,
  };
}

function outputsOf(inputs: Props, section: string): Props {
  return withoutUndefined({ ...inputsOf(inputs), ...contentOutputs(inputs, section), schemaVersion: SCHEMA_VERSION });
}

/** The outputs when the host cannot say what it has: the inputs, no `content` (see `outcomeUnknown`). */
function unknownOutcomeOutputs(inputs: Props): Props {
  return withoutUndefined({ ...inputsOf(inputs), schemaVersion: SCHEMA_VERSION });
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

async function apply(inputs: Props, creating: boolean): Promise<{ id: string; outs: Props }> {
  const runner = runnerFor(inputs);
  const path = String(inputs.configPath);
  const id = resourceId(inputs.connection, `${path}[${String(inputs.moduleName)}]`);
  const model = modelOf(inputs);
  let refused = false;
  try {
    const change = await editRsyncdConfig(
      runner,
      path,
      (doc) => {
        const what = { name: `module [${model.name}]`, inFile: `module [${model.name}] in ${path}` };
        const refusal = creating
          ? rsyncdCreateRefusal(doc, inputs, runner.label, path, what, () => ownOrAbsent(doc, model))
          : undefined;
        if (refusal) {
          refused = true;
          throw refusal;
        }
        return setRsyncModule(doc, model);
      },
      { deleteWhenEmpty: false },
    );
    return { id, outs: outputsOf(inputs, moduleSectionText(changedRsyncdDocument(change.content), model.name) ?? "") };
  } catch (error) {
    throw await applyFailure(error, refused, id, inputs, readHost, unknownOutcomeOutputs);
  }
}

export const { create, update, read } = hostMethods({ kind: KIND, apply, readHost });

/** The module's parameters as its own lines set them (not inherited ones); gone with its file or section. */
async function readHost(id: string, props: Props): Promise<{ id: string; props: Props }> {
  const doc = await readHostRsyncdConfig(props);
  if (doc === undefined) return { id: "", props: {} };
  const model = readRsyncModule(doc, String(props.moduleName));
  if (model === undefined) return { id: "", props: {} };
  const { name, ...parameters } = model;
  const settings = {
    connection: props.connection,
    sudo: props.sudo,
    adopt: props.adopt,
    secretContent: props.secretContent,
    configPath: props.configPath,
  };
  return { id, props: outputsOf({ ...settings, moduleName: name, ...parameters }, moduleSectionText(doc, name) ?? "") };
}

export async function remove(_id: string, props: Props): Promise<void> {
  const state = upgradeState(props, KIND);
  await editRsyncdConfig(
    runnerFor(state),
    String(state.configPath),
    (doc) => removeRsyncModule(doc, String(state.moduleName)),
    { deleteWhenEmpty: true },
  );
}
