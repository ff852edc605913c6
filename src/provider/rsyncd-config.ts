/** The provider of `RsyncdConfig`: the global part of an rsyncd.conf, every module section left alone. */

import {
  lookupRsyncParameter,
  parameterByModelKey,
  parseRsyncdDocument,
  readRsyncdGlobal,
  setRsyncdGlobal,
  validateRsyncdGlobal,
  type ProblemRule,
  type RsyncdDocument,
  type RsyncdGlobalModel,
} from "../formats";
import { diffKeys, inputKeys, replaceKeys } from "../schema";
import {
  changedRsyncdDocument,
  contextText,
  DEFAULT_CONFIG_PATH,
  editRsyncdConfig,
  GLOBAL_PARAMETER_KEYS,
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

const KIND = "RsyncdConfig" as const;
const INPUT_KEYS = inputKeys(KIND, GLOBAL_PARAMETER_KEYS);
const DIFF_KEYS = diffKeys(KIND, GLOBAL_PARAMETER_KEYS);
const REPLACE_KEYS = replaceKeys(KIND);
const CROSS_FIELD_RULES: readonly ProblemRule[] = ["auth-users-without-secrets", "extra-conflict"];

export function modelOf(inputs: Props): RsyncdGlobalModel {
  const model = parameterFields(inputs, GLOBAL_PARAMETER_KEYS) as RsyncdGlobalModel;
  if (inputs.extra !== undefined) model.extra = inputs.extra as Record<string, string>;
  return model;
}

/** rsync's names of the parameters the inputs set: what delete takes out of the global part. */
function managedParameters(inputs: Props): string[] {
  const typed = GLOBAL_PARAMETER_KEYS.filter((key) => inputs[key] !== undefined).map(
    (key) => parameterByModelKey(key)!.name,
  );
  const extra = Object.keys((inputs.extra ?? {}) as object).map((name) => lookupRsyncParameter(name)?.name ?? name);
  return [...typed, ...extra];
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
  const model = modelOf(known);
  failures.push(
    ...problemFailures(
      validateRsyncdGlobal(model),
      (problem) => rsyncPropertyOf(model.extra, problem, "configPath"),
      unknown,
      CROSS_FIELD_RULES,
    ),
  );
  failures.push(...controlCharacterFailures(given, failures));
  return { inputs: withoutUndefined({ ...given, ...parameterFields(known, GLOBAL_PARAMETER_KEYS) }), failures };
}

export function diff(_id: string, olds: Props, news: Props): DiffResult {
  const old = upgradeState(olds, KIND);
  const { changed, replaces } = diffProperties(old, news, DIFF_KEYS, REPLACE_KEYS);
  const sameFile = sameHost(old.connection, news.connection) && old.configPath === news.configPath;
  return {
    changes: changed.length > 0 || outcomeUnknown(old),
    replaces,
    deleteBeforeReplace: replaces.length > 0 && sameFile,
  };
}

function outputsOf(inputs: Props, globalText: string, managed: string[]): Props {
  return withoutUndefined({
    ...inputsOf(inputs),
    managedParameters: managed,
    ...contentOutputs(inputs, globalText),
    schemaVersion: SCHEMA_VERSION,
  });
}

/** The outputs when the host cannot say what it has: the inputs, no `content` (see `outcomeUnknown`). */
function unknownOutcomeOutputs(inputs: Props): Props {
  return withoutUndefined({
    ...inputsOf(inputs),
    managedParameters: managedParameters(inputs),
    schemaVersion: SCHEMA_VERSION,
  });
}

/** The global part rsync reads now is empty, or equals what these inputs write. */
function ownOrAbsent(doc: RsyncdDocument, inputs: Props): boolean {
  const existing = readRsyncdGlobal(doc);
  return (
    Object.keys(existing).length === 0 ||
    sameProperty(existing, readRsyncdGlobal(setRsyncdGlobal(parseRsyncdDocument(""), modelOf(inputs))))
  );
}

async function apply(inputs: Props, creating: boolean): Promise<{ id: string; outs: Props }> {
  const runner = runnerFor(inputs);
  const path = String(inputs.configPath);
  const id = resourceId(inputs.connection, `${path}[global]`);
  let refused = false;
  try {
    const change = await editRsyncdConfig(
      runner,
      path,
      (doc) => {
        const what = { name: "the global part", inFile: `the global part of ${path}` };
        const refusal = creating
          ? rsyncdCreateRefusal(doc, inputs, runner.label, path, what, () => ownOrAbsent(doc, inputs))
          : undefined;
        if (refusal) {
          refused = true;
          throw refusal;
        }
        return setRsyncdGlobal(doc, modelOf(inputs));
      },
      { deleteWhenEmpty: false },
    );
    return {
      id,
      outs: outputsOf(
        inputs,
        contextText(changedRsyncdDocument(change.content), "global", true),
        managedParameters(inputs),
      ),
    };
  } catch (error) {
    throw await applyFailure(error, refused, id, inputs, readHost, unknownOutcomeOutputs);
  }
}

export const { create, update, read } = hostMethods({ kind: KIND, apply, readHost });

/** The global parameters as the file's own lines set them; gone with the file. */
async function readHost(id: string, props: Props): Promise<{ id: string; props: Props }> {
  const doc = await readHostRsyncdConfig(props);
  if (doc === undefined) return { id: "", props: {} };
  const settings = {
    connection: props.connection,
    sudo: props.sudo,
    adopt: props.adopt,
    secretContent: props.secretContent,
    configPath: props.configPath,
  };
  const managed = Array.isArray(props.managedParameters)
    ? (props.managedParameters as string[])
    : managedParameters(props);
  return { id, props: outputsOf({ ...settings, ...readRsyncdGlobal(doc) }, contextText(doc, "global", true), managed) };
}

/** Takes out the parameters this resource set; others (added by hand or by another tool) stay. */
export async function remove(_id: string, props: Props): Promise<void> {
  const state = upgradeState(props, KIND);
  const managed = new Set(Array.isArray(state.managedParameters) ? (state.managedParameters as string[]) : []);
  await editRsyncdConfig(
    runnerFor(state),
    String(state.configPath),
    (doc) => {
      const current = readRsyncdGlobal(doc);
      const kept: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(current)) {
        if (key !== "extra" && !managed.has(parameterByModelKey(key)?.name ?? key)) kept[key] = value;
      }
      const extra = Object.entries(current.extra ?? {}).filter(
        ([name]) => !managed.has(lookupRsyncParameter(name)?.name ?? name),
      );
      if (extra.length > 0) kept.extra = Object.fromEntries(extra);
      return setRsyncdGlobal(doc, kept as RsyncdGlobalModel);
    },
    { deleteWhenEmpty: true },
  );
}
