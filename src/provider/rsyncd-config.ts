/** The provider of `RsyncdConfig`: the global part of an rsyncd.conf, every module section left alone. */

import {
  lookupRsyncParameter,
  parameterByModelKey,
  parseRsyncdDocument,
  readRsyncdGlobal,
  setRsyncdGlobal,
  validateRsyncdGlobal,
  type RsyncdDocument,
  type RsyncdGlobalModel,
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
  contextText,
  editRsyncdConfig,
  GLOBAL_PARAMETER_KEYS,
  parameterFields,
  readHostRsyncdConfig,
  rsyncdCreateRefusal,
  rsyncdFileKind,
  rsyncdSettings,
  rsyncPropertyOf,
} from "./rsyncd-file";

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

function globalFailures(given: Props, unknown: ReadonlySet<string>): CheckFailure[] {
  const model = modelOf(knownProperties(given, unknown));
  return problemFailures(
    validateRsyncdGlobal(model),
    (problem) => rsyncPropertyOf(model.extra, problem, "configPath"),
    unknown,
    CROSS_FIELD_RULES,
  );
}

/** The global part rsync reads now is empty, or equals what these inputs write. */
function ownOrAbsent(doc: RsyncdDocument, inputs: Props): boolean {
  const existing = readRsyncdGlobal(doc);
  return (
    Object.keys(existing).length === 0 ||
    sameProperty(existing, readRsyncdGlobal(setRsyncdGlobal(parseRsyncdDocument(""), modelOf(inputs))))
  );
}

async function apply(inputs: Props, { runner, creating }: { runner: CommandRunner; creating: boolean }) {
  const path = String(inputs.configPath);
  const change = await editRsyncdConfig(
    runner,
    path,
    (doc) => {
      const what = { name: "the global part", inFile: `the global part of ${path}` };
      const refusal = creating
        ? rsyncdCreateRefusal(doc, inputs, runner.label, path, what, () => ownOrAbsent(doc, inputs))
        : undefined;
      if (refusal) throw refusal;
      return setRsyncdGlobal(doc, modelOf(inputs));
    },
    { deleteWhenEmpty: false },
  );
  const globalText = contextText(changedRsyncdDocument(change.content), "global", true);
  return fileOutputs(inputs, { managedParameters: managedParameters(inputs) }, globalText);
}

/** The global parameters as the file's own lines set them; gone with the file. */
async function readHost(props: Props, runner: CommandRunner): Promise<Props | undefined> {
  const doc = await readHostRsyncdConfig(runner, props);
  if (doc === undefined) return undefined;
  const managed = Array.isArray(props.managedParameters)
    ? (props.managedParameters as string[])
    : managedParameters(props);
  return fileOutputs(
    { ...rsyncdSettings(props), ...readRsyncdGlobal(doc) },
    { managedParameters: managed },
    contextText(doc, "global", true),
  );
}

/** Takes out the parameters this resource set; others (added by hand or by another tool) stay. */
async function removeParameters(state: Props, runner: CommandRunner): Promise<void> {
  const managed = new Set(Array.isArray(state.managedParameters) ? (state.managedParameters as string[]) : []);
  await editRsyncdConfig(
    runner,
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

export const { check, diff, create, read, update, remove } = defineHostKind({
  ...rsyncdFileKind(GLOBAL_PARAMETER_KEYS),
  kind: "RsyncdConfig",
  inputKeys: INPUT_KEYS,
  failures: globalFailures,
  diffKeys: DIFF_KEYS,
  replaceKeys: REPLACE_KEYS,
  sameTarget: (olds, news) => olds.configPath === news.configPath,
  location: (inputs) => `${String(inputs.configPath)}[global]`,
  apply,
  unknownOutcome: (inputs) => fileOutputs(inputs, { managedParameters: managedParameters(inputs) }),
  readHost,
  remove: removeParameters,
});
