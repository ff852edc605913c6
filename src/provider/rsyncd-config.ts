/** The provider of `RsyncdConfig`: the global part of an rsyncd.conf, every module section left alone. */
import { posix } from "node:path";

import {
  lookupRsyncParameter, parameterByModelKey, readRsyncdGlobal, setRsyncdGlobal, validateRsyncdGlobal,
  type RsyncdGlobalModel,
} from "../formats";
import {
  changedRsyncdDocument, contextText, DEFAULT_CONFIG_PATH, editRsyncdConfig, GLOBAL_PARAMETER_KEYS, parameterFields, readHostRsyncdConfig, rsyncPropertyOf,
} from "./rsyncd-file";
import {
  alreadyExistsError, connectionFailures, diffProperties, inputsOf, applyFailure, hostMethods, problemFailures, resourceId, runnerFor, sameHost,
  SCHEMA_VERSION, settingFailures, sha256, unknownPropertiesOf, upgradeState, withoutUndefined,
  type CheckFailure, type CheckResult, type DiffResult, type Props,
} from "./state";

const KIND = "RsyncdConfig";
const SETTING_KEYS = ["connection", "sudo", "adopt", "configPath", "extra"];
const INPUT_KEYS = new Set([...SETTING_KEYS, ...GLOBAL_PARAMETER_KEYS]);
const DIFF_KEYS = ["connection", "sudo", "configPath", ...GLOBAL_PARAMETER_KEYS, "extra"];
const REPLACE_KEYS = ["configPath"];
const CROSS_FIELD_RULES = ["auth-users-without-secrets", "extra-conflict"];

export function modelOf(inputs: Props): RsyncdGlobalModel {
  const model = parameterFields(inputs, GLOBAL_PARAMETER_KEYS) as RsyncdGlobalModel;
  if (inputs.extra !== undefined) model.extra = inputs.extra as Record<string, string>;
  return model;
}

/** rsync's names of the parameters the inputs set: what delete takes out of the global part. */
function managedParameters(inputs: Props): string[] {
  const typed = GLOBAL_PARAMETER_KEYS.filter((key) => inputs[key] !== undefined).map((key) => parameterByModelKey(key)!.name);
  const extra = Object.keys((inputs.extra ?? {}) as object).map((name) => lookupRsyncParameter(name)?.name ?? name);
  return [...typed, ...extra];
}

export function check(_olds: Props, news: Props): CheckResult {
  const given = inputsOf({ configPath: DEFAULT_CONFIG_PATH, ...news });
  const unknown = unknownPropertiesOf(given);
  const failures: CheckFailure[] = [...connectionFailures(given.connection), ...settingFailures(given)];
  for (const key of Object.keys(given)) {
    if (!INPUT_KEYS.has(key)) failures.push({ property: key, reason: `\`${key}\` is not a property of ${KIND}.` });
  }
  if (!unknown.has("configPath") && !(typeof given.configPath === "string" && posix.isAbsolute(given.configPath))) {
    failures.push({ property: "configPath", reason: "`configPath` must be an absolute file path." });
  }
  const known = Object.fromEntries(Object.entries(given).filter(([key]) => !unknown.has(key)));
  const model = modelOf(known);
  failures.push(...problemFailures(validateRsyncdGlobal(model), (problem) => rsyncPropertyOf(model.extra, problem, "configPath"), unknown, CROSS_FIELD_RULES));
  return { inputs: withoutUndefined({ ...given, ...parameterFields(known, GLOBAL_PARAMETER_KEYS) }), failures };
}

export function diff(_id: string, olds: Props, news: Props): DiffResult {
  const old = upgradeState(olds, KIND);
  const { changed, replaces } = diffProperties(old, news, DIFF_KEYS, REPLACE_KEYS);
  const sameFile = sameHost(old.connection, news.connection) && old.configPath === news.configPath;
  return { changes: changed.length > 0, replaces, deleteBeforeReplace: replaces.length > 0 && sameFile };
}

function outputsOf(inputs: Props, globalText: string, managed: string[]): Props {
  return withoutUndefined({
    ...inputsOf(inputs), managedParameters: managed, content: globalText, checksum: sha256(globalText), schemaVersion: SCHEMA_VERSION,
  });
}

async function apply(inputs: Props, creating: boolean): Promise<{ id: string; outs: Props }> {
  const runner = runnerFor(inputs);
  const path = String(inputs.configPath);
  const id = resourceId(inputs.connection, `${path}[global]`);
  let refused = false;
  try {
    const change = await editRsyncdConfig(runner, path, (doc) => {
      if (creating && inputs.adopt !== true && Object.keys(readRsyncdGlobal(doc)).length > 0) {
        refused = true;
        throw alreadyExistsError(`the global part of ${path}`, runner.label);
      }
      return setRsyncdGlobal(doc, modelOf(inputs));
    }, { deleteWhenEmpty: false });
    return { id, outs: outputsOf(inputs, contextText(changedRsyncdDocument(change.content), "global", true), managedParameters(inputs)) };
  } catch (error) {
    throw await applyFailure(error, refused, id, inputs, readHost);
  }
}

export const { create, update, read } = hostMethods({ kind: KIND, apply, readHost });

/** The global parameters as the file's own lines set them; gone with the file. */
async function readHost(id: string, props: Props): Promise<{ id: string; props: Props }> {
  const doc = await readHostRsyncdConfig(props);
  if (doc === undefined) return { id: "", props: {} };
  const settings = { connection: props.connection, sudo: props.sudo, adopt: props.adopt, configPath: props.configPath };
  const managed = Array.isArray(props.managedParameters) ? (props.managedParameters as string[]) : managedParameters(props);
  return { id, props: outputsOf({ ...settings, ...readRsyncdGlobal(doc) }, contextText(doc, "global", true), managed) };
}

/** Takes out the parameters this resource set; others (added by hand or by another tool) stay. */
export async function remove(_id: string, props: Props): Promise<void> {
  const state = upgradeState(props, KIND);
  const managed = new Set(Array.isArray(state.managedParameters) ? (state.managedParameters as string[]) : []);
  await editRsyncdConfig(runnerFor(state), String(state.configPath), (doc) => {
    const current = readRsyncdGlobal(doc);
    const kept: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(current)) {
      if (key !== "extra" && !managed.has(parameterByModelKey(key)?.name ?? key)) kept[key] = value;
    }
    const extra = Object.entries(current.extra ?? {}).filter(([name]) => !managed.has(lookupRsyncParameter(name)?.name ?? name));
    if (extra.length > 0) kept.extra = Object.fromEntries(extra);
    return setRsyncdGlobal(doc, kept as RsyncdGlobalModel);
  }, { deleteWhenEmpty: true });
}
