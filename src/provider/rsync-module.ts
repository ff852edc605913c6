/** The provider of `RsyncModule`: one module section of an rsyncd.conf, the rest of the file left alone. */
import { posix } from "node:path";

import {
  readRsyncModule, removeRsyncModule, rsyncNameKey, setRsyncModule, validateRsyncModule, type RsyncModuleModel,
} from "../formats";
import {
  changedRsyncdDocument, DEFAULT_CONFIG_PATH, editRsyncdConfig, MODULE_PARAMETER_KEYS, moduleSectionText, parameterFields, readHostRsyncdConfig, rsyncPropertyOf,
} from "./rsyncd-file";
import {
  alreadyExistsError, connectionFailures, diffProperties, inputsOf, applyFailure, hostMethods, problemFailures, resourceId, runnerFor, sameHost,
  SCHEMA_VERSION, settingFailures, sha256, unknownPropertiesOf, upgradeState, withoutUndefined,
  type CheckFailure, type CheckResult, type DiffResult, type Props,
} from "./state";

const KIND = "RsyncModule";
const SETTING_KEYS = ["connection", "sudo", "adopt", "configPath", "moduleName", "extra"];
const INPUT_KEYS = new Set([...SETTING_KEYS, ...MODULE_PARAMETER_KEYS]);
const DIFF_KEYS = ["connection", "sudo", "configPath", "moduleName", ...MODULE_PARAMETER_KEYS, "extra"];
const REPLACE_KEYS = ["configPath", "moduleName"];
const CROSS_FIELD_RULES = ["auth-users-without-secrets", "extra-conflict"];

export function modelOf(inputs: Props): RsyncModuleModel {
  const model = { name: inputs.moduleName, ...parameterFields(inputs, MODULE_PARAMETER_KEYS) } as RsyncModuleModel;
  if (inputs.extra !== undefined) model.extra = inputs.extra as Record<string, string>;
  return model;
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
  const model = modelOf({ ...known, moduleName: unknown.has("moduleName") ? "unknown" : given.moduleName });
  failures.push(...problemFailures(validateRsyncModule(model), (problem) => rsyncPropertyOf(model.extra, problem, "moduleName"), unknown, CROSS_FIELD_RULES));
  // Normalized values (a path without its trailing `/`) are what the host will be read back as.
  const inputs = withoutUndefined({ ...given, ...parameterFields(known, MODULE_PARAMETER_KEYS) });
  return { inputs, failures };
}

export function diff(_id: string, olds: Props, news: Props): DiffResult {
  const old = upgradeState(olds, KIND);
  const { changed, replaces } = diffProperties(old, news, DIFF_KEYS, REPLACE_KEYS);
  // rsync merges sections whose names differ only in case and blanks: same file, same module.
  const sameSection = sameHost(old.connection, news.connection) && old.configPath === news.configPath &&
    typeof news.moduleName === "string" && rsyncNameKey(String(old.moduleName)) === rsyncNameKey(news.moduleName);
  return { changes: changed.length > 0, replaces, deleteBeforeReplace: replaces.length > 0 && sameSection };
}

function outputsOf(inputs: Props, section: string): Props {
  return withoutUndefined({ ...inputsOf(inputs), content: section, checksum: sha256(section), schemaVersion: SCHEMA_VERSION });
}

async function apply(inputs: Props, creating: boolean): Promise<{ id: string; outs: Props }> {
  const runner = runnerFor(inputs);
  const path = String(inputs.configPath);
  const id = resourceId(inputs.connection, `${path}[${String(inputs.moduleName)}]`);
  const model = modelOf(inputs);
  let refused = false;
  try {
    const change = await editRsyncdConfig(runner, path, (doc) => {
      if (creating && inputs.adopt !== true && readRsyncModule(doc, model.name) !== undefined) {
        refused = true;
        throw alreadyExistsError(`module [${model.name}] in ${path}`, runner.label);
      }
      return setRsyncModule(doc, model);
    }, { deleteWhenEmpty: false });
    return { id, outs: outputsOf(inputs, moduleSectionText(changedRsyncdDocument(change.content), model.name) ?? "") };
  } catch (error) {
    throw await applyFailure(error, refused, id, inputs, readHost);
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
  const settings = { connection: props.connection, sudo: props.sudo, adopt: props.adopt, configPath: props.configPath };
  return { id, props: outputsOf({ ...settings, moduleName: name, ...parameters }, moduleSectionText(doc, name) ?? "") };
}

export async function remove(_id: string, props: Props): Promise<void> {
  const state = upgradeState(props, KIND);
  await editRsyncdConfig(runnerFor(state), String(state.configPath), (doc) => removeRsyncModule(doc, String(state.moduleName)), { deleteWhenEmpty: true });
}
