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
  handOverToXinetd,
  launcherPresent,
  RELOAD_VERIFICATION_COMMAND,
  RemoteError,
  readRemoteFile,
  type CommandRunner,
  type ReloadStrategy,
  type XinetdReloaderOptions,
} from "../remote";
import {
  DEFAULT_RELOAD,
  DEFAULT_XINETD_CONFIG_DIR,
  diffKeys,
  HANDOVER_KEY,
  inputKeys,
  isReload,
  problemPropertyPath,
  RELOAD_REQUIREMENT,
  replaceKeys,
  xinetdProblemProperty,
} from "../schema";
import { problemFailures, type CheckFailure } from "./checks";
import { withDiagnosis } from "./diagnosis";
import { alreadyExistsError } from "./errors";
import { handoverOf, handoverReload, systemdLauncherOf } from "./handover";
import { defineHostKind } from "./kind";
import { fileOutputs, outcomeUnknown } from "./outputs";
import { knownProperties, sameProperty, UNKNOWN, type Props } from "./props";

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

/** The kind's own failures: `reload`, and the service as the format layer validates it. */
function serviceFailures(inputs: Props, unknown: ReadonlySet<string>): CheckFailure[] {
  const failures = unknown.has("reload") ? [] : reloadFailures(inputs.reload);
  if (typeof inputs.serviceName !== "string" && !unknown.has("serviceName")) {
    failures.push({
      property: "serviceName",
      reason: "`serviceName` is required: the service's name and its file's name.",
    });
    return failures;
  }
  const known = knownProperties(inputs, unknown);
  const model = modelOf({ ...known, serviceName: unknown.has("serviceName") ? "unknown" : inputs.serviceName });
  const problems = validateXinetdService(model, unknown.has("serviceName") ? {} : { fileName: model.name });
  failures.push(...problemFailures(problems, (problem) => propertyOf(model, problem), unknown, CROSS_FIELD_RULES));
  return failures;
}

function reloadOptions(reload: unknown): XinetdReloaderOptions {
  return reload === undefined || reload === DEFAULT_RELOAD ? {} : { strategy: reload as ReloadStrategy };
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
 * attempt may have written it and lost the connection before the reload).
 */
async function apply(inputs: Props, { runner, creating }: { runner: CommandRunner; creating: boolean }) {
  const path = pathOf(inputs);
  const model = modelOf(inputs);
  const edit = (current: string | undefined) => {
    if (creating && current !== undefined && inputs.adopt !== true && !isOwnFile(current, model))
      throw alreadyExistsError(`the xinetd service file ${path}`, runner.label);
    return contentFor(current, model);
  };
  // RsyncServer's launcher switch: a systemd socket still serves the port, so this create takes it over.
  const handover = creating ? handoverOf(inputs) : undefined;
  const systemd = handover?.systemd ? systemdLauncherOf(handover.systemd) : undefined;
  if (handover && systemd && (await launcherPresent(runner, systemd))) {
    const reload = handoverReload(inputs.reload);
    const xinetd = reload === undefined ? { path } : { path, reload };
    const { change } = await handOverToXinetd(runner, xinetd, edit, systemd, handover.port);
    return fileOutputs(inputs, { path }, change.content ?? "");
  }
  try {
    const { change } = await changeXinetdService(runner, path, edit, {
      ...reloadOptions(inputs.reload),
      verifyUnchanged: true,
    });
    return fileOutputs(inputs, { path }, change.content ?? "");
  } catch (error) {
    throw await diagnosedReloadFailure(error, runner, inputs, model);
  }
}

/** A failed reload verification of a service that runs rsync's daemon, with the doctor's findings. */
async function diagnosedReloadFailure(
  error: unknown,
  runner: CommandRunner,
  inputs: Props,
  model: XinetdServiceModel,
): Promise<unknown> {
  const verification = error instanceof RemoteError && error.command === RELOAD_VERIFICATION_COMMAND;
  const args = model.serverArgs ?? [];
  if (!verification || !(posix.basename(model.server ?? "") === "rsync" || args.includes("--daemon"))) return error;
  const config = args.find((arg) => arg.startsWith("--config="))?.slice("--config=".length);
  return withDiagnosis(error, runner, String((inputs.connection as { host?: string }).host), {
    ...(model.port === undefined ? {} : { rsyncPort: model.port }),
    ...(config === undefined ? {} : { configPath: config }),
  });
}

/** What the host has: the service entry's attributes as xinetd reads them; gone when file or entry is. */
async function readHost(props: Props, runner: CommandRunner): Promise<Props | undefined> {
  const file = await readRemoteFile(runner, pathOf(props));
  if (!file.exists) return undefined;
  const doc = parseXinetdDocument(file.content);
  if (!findServiceBlock(doc, String(props.serviceName))) return undefined;
  const { name, ...attributes } = readXinetdService(doc, String(props.serviceName)).model;
  const settings = {
    connection: props.connection,
    sudo: props.sudo,
    adopt: props.adopt,
    secretContent: props.secretContent,
    reload: props.reload,
    configDir: props.configDir,
    [HANDOVER_KEY]: props[HANDOVER_KEY],
  };
  const found = { ...settings, serviceName: name, ...attributes };
  return fileOutputs(found, { path: pathOf(found) }, file.content);
}

/** Resolves once the reload without the service is verified; until then the copy is the rollback. */
async function removeService(state: Props, runner: CommandRunner): Promise<void> {
  await changeXinetdService(runner, pathOf(state), () => ({ delete: true }), reloadOptions(state.reload));
  await discardPreviousVersion(runner, pathOf(state));
}

export const { check, diff, create, read, update, remove } = defineHostKind({
  kind: "XinetdService",
  defaults: { configDir: DEFAULT_CONFIG_DIR, reload: DEFAULT_RELOAD },
  inputKeys: new Set([...INPUT_KEYS, HANDOVER_KEY]),
  paths: { configDir: "directory" },
  spell: withServerArgsSplit,
  failures: serviceFailures,
  diffKeys: DIFF_KEYS,
  replaceKeys: REPLACE_KEYS,
  sameTarget: (olds, news) => pathOf(olds) === pathOf(news),
  changedOtherwise: outcomeUnknown,
  location: pathOf,
  apply,
  unknownOutcome: (inputs) => fileOutputs(inputs, { path: pathOf(inputs) }),
  readHost,
  remove: removeService,
});
