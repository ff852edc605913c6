/** The provider of `XinetdService`: one xinetd service entry in its own file under `configDir`. */
import { posix } from "node:path";

import {
  applyXinetdService,
  ATTRIBUTE_KEYS,
  parseXinetdDocument,
  readXinetdService,
  renderXinetdDocument,
  renderXinetdService,
  splitXinetdValues,
  validateXinetdService,
  findServiceBlock,
  type Problem,
  type ProblemRule,
  type XinetdServiceModel,
} from "../formats";
import {
  changeXinetdService,
  discardPreviousVersion,
  readRemoteFile,
  ReloadConflictError,
  type ReloadStrategy,
  type XinetdReloaderOptions,
} from "../remote";
import {
  DEFAULT_RELOAD,
  DEFAULT_XINETD_CONFIG_DIR,
  diffKeys,
  inputKeys,
  isReload,
  problemPropertyPath,
  RELOAD_REQUIREMENT,
  replaceKeys,
  xinetdProblemProperty,
} from "../schema";
import {
  alreadyExistsError,
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
  UNKNOWN,
  withoutUndefined,
  type CheckFailure,
  type CheckResult,
  type DiffResult,
  type Props,
} from "./state";

const KIND = "XinetdService" as const;
export const DEFAULT_CONFIG_DIR = DEFAULT_XINETD_CONFIG_DIR;

const INPUT_KEYS = inputKeys(KIND, ATTRIBUTE_KEYS);
/** What the file says and how it is applied; `adopt` only matters to create. */
const DIFF_KEYS = diffKeys(KIND, ATTRIBUTE_KEYS);
const REPLACE_KEYS = replaceKeys(KIND);
/** Rules that weigh several attributes against each other: undecidable while one is unknown. */
const CROSS_FIELD_RULES: readonly ProblemRule[] = [
  "mandatory",
  "dgram-needs-wait",
  "traffic-needs-redirect",
  "no-such-internal-service",
];

function pathOf(props: Props): string {
  return posix.join(String(props.configDir ?? DEFAULT_CONFIG_DIR), String(props.serviceName));
}

/** The format layer's model of the service the inputs describe (the model is camelCase already). */
export function modelOf(inputs: Props): XinetdServiceModel {
  const model: Record<string, unknown> = { name: inputs.serviceName };
  for (const key of ATTRIBUTE_KEYS) if (inputs[key] !== undefined) model[key] = inputs[key];
  if (inputs.extra !== undefined) model.extra = inputs.extra;
  return model as unknown as XinetdServiceModel;
}

/** The property a problem is about: an attribute's camelCase key, `extra.<name>`, or `serviceName`. */
function propertyOf(model: XinetdServiceModel, problem: Problem): string {
  const join = (parent: string, key: string) => (parent === "" ? key : `${parent}.${key}`);
  return problemPropertyPath(xinetdProblemProperty(model.extra, problem), "", "serviceName", join);
}

function reloadFailures(reload: unknown): CheckFailure[] {
  return isReload(reload) ? [] : [{ property: "reload", reason: `\`reload\` ${RELOAD_REQUIREMENT}.` }];
}

/**
 * `serverArgs` given as one string (xinetd's own line) becomes the list xinetd reads from it. The
 * checked inputs, and so the state, hold the list: a string input diffs equal to what a refresh reads.
 */
function withServerArgsSplit(inputs: Props): Props {
  const serverArgs = inputs.serverArgs;
  if (typeof serverArgs !== "string" || serverArgs === UNKNOWN) return inputs;
  return { ...inputs, serverArgs: splitXinetdValues(serverArgs) };
}

export function check(_olds: Props, news: Props): CheckResult {
  const inputs = withServerArgsSplit(inputsOf({ configDir: DEFAULT_CONFIG_DIR, reload: DEFAULT_RELOAD, ...news }));
  const unknown = unknownPropertiesOf(inputs);
  const failures: CheckFailure[] = [
    ...connectionFailures(inputs.connection),
    ...settingFailures(inputs, ["secretContent"]),
  ];
  for (const key of Object.keys(inputs)) {
    if (!INPUT_KEYS.has(key)) failures.push({ property: key, reason: `\`${key}\` is not a property of ${KIND}.` });
  }
  if (!unknown.has("configDir")) failures.push(...pathFailures("configDir", inputs.configDir, "directory"));
  if (!unknown.has("reload")) failures.push(...reloadFailures(inputs.reload));
  if (typeof inputs.serviceName !== "string" && !unknown.has("serviceName")) {
    failures.push({
      property: "serviceName",
      reason: "`serviceName` is required: the service's name and its file's name.",
    });
  } else {
    const known = Object.fromEntries(Object.entries(inputs).filter(([key]) => !unknown.has(key)));
    const model = modelOf({ ...known, serviceName: unknown.has("serviceName") ? "unknown" : inputs.serviceName });
    const problems = validateXinetdService(model, unknown.has("serviceName") ? {} : { fileName: model.name });
    failures.push(...problemFailures(problems, (problem) => propertyOf(model, problem), unknown, CROSS_FIELD_RULES));
  }
  failures.push(...controlCharacterFailures(inputs, failures));
  return { inputs, failures };
}

export function diff(_id: string, olds: Props, news: Props): DiffResult {
  const old = upgradeState(olds, KIND);
  const { changed, replaces } = diffProperties(old, news, DIFF_KEYS, REPLACE_KEYS);
  // Same host, same file: the new resource's create would find the old one's file.
  const sameFile = sameHost(old.connection, news.connection) && pathOf(old) === pathOf(news);
  return {
    changes: changed.length > 0 || outcomeUnknown(old),
    replaces,
    deleteBeforeReplace: replaces.length > 0 && sameFile,
  };
}

function reloadOptions(reload: unknown): XinetdReloaderOptions {
  return reload === undefined || reload === DEFAULT_RELOAD ? {} : { strategy: reload as ReloadStrategy };
}

function outputsOf(inputs: Props, content: string): Props {
  return withoutUndefined({
    ...inputsOf(inputs),
    path: pathOf(inputs),
    ...contentOutputs(inputs, content),
    schemaVersion: SCHEMA_VERSION,
  });
}

/** The outputs when the host cannot say what it has: the inputs, no `content` (see `outcomeUnknown`). */
function unknownOutcomeOutputs(inputs: Props): Props {
  return withoutUndefined({ ...inputsOf(inputs), path: pathOf(inputs), schemaVersion: SCHEMA_VERSION });
}

/**
 * Whether an existing file is what this resource's create writes, as xinetd reads it: one service
 * entry, equal to the rendered model's. Then it is this resource's own (a create whose outcome
 * was lost), not something to take over.
 */
function isOwnFile(current: string, model: XinetdServiceModel): boolean {
  const doc = parseXinetdDocument(current);
  const written = parseXinetdDocument(renderXinetdService(model));
  if (doc.blocks.length !== 1 || doc.includes.length > 0 || !findServiceBlock(doc, model.name)) return false;
  return sameProperty(readXinetdService(doc, model.name).model, readXinetdService(written, model.name).model);
}

/** The file's text once it expresses `model`, keeping everything else in it (comments, other entries). */
function contentFor(current: string | undefined, model: XinetdServiceModel): string {
  return current === undefined
    ? renderXinetdService(model)
    : renderXinetdDocument(applyXinetdService(parseXinetdDocument(current), model));
}

/**
 * Writes the file, reloads and verifies (also when the file is already as wanted: an earlier
 * attempt may have written it and lost the connection before the reload); after a failure,
 * reports what the host has then.
 */
async function apply(inputs: Props, creating: boolean): Promise<{ id: string; outs: Props }> {
  const runner = runnerFor(inputs);
  const path = pathOf(inputs);
  const id = resourceId(inputs.connection, path);
  const model = modelOf(inputs);
  let refused = false;
  try {
    const { change } = await changeXinetdService(
      runner,
      path,
      (current) => {
        if (creating && current !== undefined && inputs.adopt !== true && !isOwnFile(current, model)) {
          refused = true;
          throw alreadyExistsError(`the xinetd service file ${path}`, runner.label);
        }
        return contentFor(current, model);
      },
      { ...reloadOptions(inputs.reload), verifyUnchanged: true },
    );
    return { id, outs: outputsOf(inputs, change.content ?? "") };
  } catch (error) {
    // A reload conflict is raised before the file is touched: nothing to report back.
    throw await applyFailure(
      error,
      refused || error instanceof ReloadConflictError,
      id,
      inputs,
      readHost,
      unknownOutcomeOutputs,
    );
  }
}

/** `read`: What the host has: the service entry's attributes as xinetd reads them; gone when file or entry is. */
export const { create, update, read } = hostMethods({ kind: KIND, apply, readHost });

async function readHost(id: string, props: Props): Promise<{ id: string; props: Props }> {
  const path = pathOf(props);
  const file = await readRemoteFile(runnerFor(props), path);
  if (!file.exists) return { id: "", props: {} };
  const doc = parseXinetdDocument(file.content);
  if (!findServiceBlock(doc, String(props.serviceName))) return { id: "", props: {} };
  const { name, ...attributes } = readXinetdService(doc, String(props.serviceName)).model;
  const settings = {
    connection: props.connection,
    sudo: props.sudo,
    adopt: props.adopt,
    secretContent: props.secretContent,
    reload: props.reload,
    configDir: props.configDir,
  };
  return { id, props: outputsOf({ ...settings, serviceName: name, ...attributes }, file.content) };
}

export async function remove(_id: string, props: Props): Promise<void> {
  const state = upgradeState(props, KIND);
  const runner = runnerFor(state);
  // Resolves once the reload without the service is verified; until then the copy is the rollback.
  await changeXinetdService(runner, pathOf(state), () => ({ delete: true }), reloadOptions(state.reload));
  await discardPreviousVersion(runner, pathOf(state));
}
