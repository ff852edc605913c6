/**
 * The provider of `SystemdSocketService`: one inetd-style service as a systemd socket unit and its
 * service unit under `unitDir`, edited losslessly, verified on the host before the swap, applied
 * with one daemon-reload per host per burst, checked listening, rolled back when it does not come
 * up. Refresh reads the units with their drop-ins, as systemd merges them.
 */
import { posix } from "node:path";

import {
  applySystemdSocketService,
  applyUnitSettings,
  normalizeSystemdSocketService,
  parseUnitDocument,
  readUnitDocument,
  readUnitWithDropIns,
  readSystemdSocketService,
  renderUnitDocument,
  splitXinetdValues,
  validateSystemdSocketService,
  ATTRIBUTE_KEYS,
  type SystemdSocketServiceModel,
  type UnitDocument,
  type ProblemRule,
} from "../formats";
import {
  changeSystemdUnits,
  dropInsOf,
  handOverToSystemd,
  launcherPresent,
  readSystemdUnits,
  removeSystemdUnits,
  systemdUnitPaths,
  type CommandRunner,
  type SystemdUnitEdits,
  type SystemdUnitFiles,
  type SystemdUnitsElsewhere,
  type SystemdUnitsTarget,
} from "../remote";
import {
  DEFAULT_SYSTEMD_UNIT_DIR,
  diffKeys,
  HANDOVER_KEY,
  inputKeys,
  replaceKeys,
  SYSTEMD_PARAMETER_KEYS,
} from "../schema";
import { problemFailures, type CheckFailure } from "./checks";
import { alreadyExistsError } from "./errors";
import { handoverOf, handoverReload } from "./handover";
import { defineHostKind } from "./kind";
import { fileOutputs } from "./outputs";
import { knownProperties, sameProperty, UNKNOWN, type Props } from "./props";

const KIND = "SystemdSocketService" as const;
const INPUT_KEYS = inputKeys(KIND, SYSTEMD_PARAMETER_KEYS);
const DIFF_KEYS = diffKeys(KIND, SYSTEMD_PARAMETER_KEYS);
const REPLACE_KEYS = replaceKeys(KIND);
/** XinetdService attributes a socket unit cannot express: refused by name, not as unknown properties. */
const XINETD_ONLY: readonly string[] = ATTRIBUTE_KEYS.filter((key) => !SYSTEMD_PARAMETER_KEYS.includes(key));
const CROSS_FIELD_RULES: readonly ProblemRule[] = ["mandatory", "dgram-needs-wait"];
/** Sections whose every setting the model covers (typed or `extra`); a drop-in loses them on update. */
const MODEL_SECTIONS = new Set(["Socket", "Service"]);

function targetOf(props: Props): SystemdUnitsTarget {
  return { unitDir: String(props.unitDir ?? DEFAULT_SYSTEMD_UNIT_DIR), name: String(props.serviceName) };
}

function location(props: Props): string {
  return systemdUnitPaths(targetOf(props)).socket;
}

/** The format layer's model of the inputs. */
export function modelOf(inputs: Props): SystemdSocketServiceModel {
  const model: Record<string, unknown> = { name: inputs.serviceName };
  for (const key of SYSTEMD_PARAMETER_KEYS) if (inputs[key] !== undefined) model[key] = inputs[key];
  if (inputs.extra !== undefined) model.extra = inputs.extra;
  return model as unknown as SystemdSocketServiceModel;
}

/** `serverArgs` as one line becomes the list it splits into, as for XinetdService. */
function withServerArgsSplit(inputs: Props): Props {
  const serverArgs = inputs.serverArgs;
  if (typeof serverArgs !== "string" || serverArgs === UNKNOWN) return inputs;
  return { ...inputs, serverArgs: splitXinetdValues(serverArgs) };
}

function serviceFailures(inputs: Props, unknown: ReadonlySet<string>): CheckFailure[] {
  const failures: CheckFailure[] = XINETD_ONLY.filter((key) => inputs[key] !== undefined).map((key) => ({
    property: key,
    reason: `\`${key}\` has no systemd socket-unit equivalent; ${KIND} cannot express it.`,
  }));
  if (typeof inputs.serviceName !== "string" && !unknown.has("serviceName")) {
    failures.push({ property: "serviceName", reason: "`serviceName` is required: the units' name stem." });
    return failures;
  }
  const known = knownProperties(inputs, unknown);
  const model = modelOf({ ...known, serviceName: unknown.has("serviceName") ? "unknown" : inputs.serviceName });
  const problems = validateSystemdSocketService(model);
  const propertyOf = (problem: { field: string }) =>
    problem.field === "name" ? "serviceName" : problem.field.replace(/\[\d+\]$/, "").replace(/^extra\..*/, "extra");
  failures.push(...problemFailures(problems, propertyOf, unknown, CROSS_FIELD_RULES));
  return failures;
}

/** The checked inputs as refresh reads them back (defaults filled in, limits as numbers, `umask` 4 digits). */
function normalized(inputs: Props, unknown: ReadonlySet<string>): Props {
  const keys = [...SYSTEMD_PARAMETER_KEYS, "extra"];
  if (keys.some((key) => unknown.has(key)) || typeof inputs.serviceName !== "string") return inputs;
  const { name, ...model } = normalizeSystemdSocketService(modelOf(inputs));
  const settings = Object.fromEntries(Object.entries(inputs).filter(([key]) => !keys.includes(key)));
  return { ...settings, serviceName: name, ...model };
}

function serviceUnitPath(target: SystemdUnitsTarget, wait: boolean): string {
  const paths = systemdUnitPaths(target);
  return wait ? paths.plain : paths.template;
}

/** A drop-in without the model's settings (`[Socket]`, `[Service]`, `Description=`); others stay byte for byte. */
function withoutModelSettings(doc: UnitDocument): { doc: UnitDocument; empty: boolean } {
  const reading = readUnitDocument(doc).reading;
  const kept: Record<string, Record<string, string[]>> = {};
  for (const [section, keys] of reading) {
    if (MODEL_SECTIONS.has(section)) continue;
    for (const [key, values] of keys) {
      if (section === "Unit" && key === "Description") continue;
      (kept[section] ??= {})[key] = values;
    }
  }
  // A drop-in is a unit file like any other: the codec's guarded edit keeps the lines of kept keys.
  return {
    doc: applyUnitSettings(doc, kept),
    empty: Object.values(kept).every((keys) => Object.keys(keys).length === 0),
  };
}

/**
 * The files that express `model`: both units edited in place (or written new), the unit of the
 * other `wait` removed, and every drop-in cleared of the model's settings (removed when nothing
 * else is left in it), so the merged reading is the model.
 */
function editsFor(files: SystemdUnitFiles, target: SystemdUnitsTarget, model: SystemdSocketServiceModel) {
  const paths = systemdUnitPaths(target);
  const wait = model.wait === true;
  const servicePath = serviceUnitPath(target, wait);
  const units = applySystemdSocketService(
    {
      socket: parseUnitDocument(files.get(paths.socket) ?? ""),
      service: parseUnitDocument(files.get(servicePath) ?? ""),
    },
    model,
  );
  const edits: SystemdUnitEdits = new Map([
    [paths.socket, units.socket],
    [servicePath, units.service],
    [serviceUnitPath(target, !wait), null],
  ]);
  const unitNames = [`${target.name}.socket`, posix.basename(servicePath)];
  for (const unit of unitNames) {
    for (const dropIn of dropInsOf(files, unit)) {
      const { doc, empty } = withoutModelSettings(parseUnitDocument(dropIn.content));
      edits.set(dropIn.path, empty ? null : renderUnitDocument(doc));
    }
  }
  return edits;
}

/** What the units (with their drop-ins) on the host mean, and which files hold them. */
function readingOf(files: SystemdUnitFiles, target: SystemdUnitsTarget) {
  const paths = systemdUnitPaths(target);
  const socketText = files.get(paths.socket);
  if (socketText === undefined) return undefined;
  const accept = files.has(paths.template) || !files.has(paths.plain);
  const servicePath = accept ? paths.template : paths.plain;
  const merged = (path: string) =>
    readUnitWithDropIns(
      parseUnitDocument(files.get(path) ?? ""),
      dropInsOf(files, posix.basename(path)).map((d) => ({ name: d.name, doc: parseUnitDocument(d.content) })),
    ).reading;
  const reading = readSystemdSocketService(target.name, merged(paths.socket), merged(servicePath));
  const dropIns = [...files.keys()].filter((path) => posix.dirname(path).endsWith(".d")).sort();
  return { reading, servicePath, dropIns };
}

/** Whether the units on the host are what this resource's create writes (without drop-ins): then they are its own. */
function isOwnUnits(files: SystemdUnitFiles, target: SystemdUnitsTarget, model: SystemdSocketServiceModel): boolean {
  const paths = systemdUnitPaths(target);
  const socket = files.get(paths.socket);
  const service = files.get(serviceUnitPath(target, model.wait === true));
  if (socket === undefined || service === undefined) return false;
  const read = readSystemdSocketService(
    target.name,
    readUnitDocument(parseUnitDocument(socket)).reading,
    readUnitDocument(parseUnitDocument(service)).reading,
  );
  return read.unreadable.length === 0 && sameProperty(read.model, normalizeSystemdSocketService(model));
}

function outputsOf(inputs: Props, target: SystemdUnitsTarget, wait: boolean, dropIns: string[]): Props {
  return fileOutputs(inputs, {
    socketPath: systemdUnitPaths(target).socket,
    servicePath: serviceUnitPath(target, wait),
    dropIns,
  });
}

function protocolOf(model: SystemdSocketServiceModel): "tcp" | "udp" | "-" {
  const type = model.socketType ?? "stream";
  return type === "stream" ? "tcp" : type === "dgram" ? "udp" : "-";
}

async function apply(inputs: Props, { runner, creating }: { runner: CommandRunner; creating: boolean }) {
  const target = targetOf(inputs);
  const model = modelOf(inputs);
  const paths = systemdUnitPaths(target);
  const edit = (files: SystemdUnitFiles, elsewhere: SystemdUnitsElsewhere) => {
    const taken = files.has(paths.socket) || files.has(paths.template) || files.has(paths.plain);
    if (creating && taken && inputs.adopt !== true && !isOwnUnits(files, target, model))
      throw alreadyExistsError(`the systemd units ${paths.socket} (and its service)`, runner.label);
    // A packaged unit of the same name would be overridden, and stopped by a later delete.
    const [unit, source] = [...elsewhere][0] ?? [];
    if (creating && inputs.adopt !== true && unit !== undefined)
      throw alreadyExistsError(
        `the unit ${unit} (loaded from ${source}; a unit of the same name in ${target.unitDir} would ` +
          "override it, and deleting this resource would stop it)",
        runner.label,
      );
    return editsFor(files, target, model);
  };
  const options = {
    port: model.port,
    protocol: protocolOf(model),
    wait: model.wait === true,
    server: model.server,
    ...(model.user === undefined ? {} : { user: model.user }),
    ...(model.group === undefined ? {} : { group: model.group }),
    verifyUnchanged: true,
  };
  // RsyncServer's launcher switch: xinetd still serves the port, so this create takes it over.
  const xinetd = creating ? handoverOf(inputs)?.xinetd : undefined;
  const change =
    xinetd && (await launcherPresent(runner, { xinetdFile: xinetd.path }))
      ? await handOverToSystemd(runner, target, edit, options, {
          path: xinetd.path,
          ...withReload(handoverReload(xinetd.reload)),
        })
      : await changeSystemdUnits(runner, target, edit, options);
  const dropIns = [...change.files.keys()].filter((path) => posix.dirname(path).endsWith(".d")).sort();
  return outputsOf(inputs, target, model.wait === true, dropIns);
}

function withReload<T>(reload: T | undefined): { reload?: T } {
  return reload === undefined ? {} : { reload };
}

async function readHost(props: Props, runner: CommandRunner): Promise<Props | undefined> {
  const target = targetOf(props);
  const found = readingOf(await readSystemdUnits(runner, target), target);
  if (!found) return undefined;
  const { name, ...model } = found.reading.model;
  const settings = {
    connection: props.connection,
    sudo: props.sudo,
    adopt: props.adopt,
    secretContent: props.secretContent,
    unitDir: props.unitDir,
    [HANDOVER_KEY]: props[HANDOVER_KEY],
  };
  return outputsOf({ ...settings, serviceName: name, ...model }, target, model.wait === true, found.dropIns);
}

async function removeUnits(state: Props, runner: CommandRunner): Promise<void> {
  await removeSystemdUnits(runner, targetOf(state), state.wait === true);
}

export const { check, diff, create, read, update, remove } = defineHostKind({
  kind: KIND,
  defaults: { unitDir: DEFAULT_SYSTEMD_UNIT_DIR },
  inputKeys: new Set([...INPUT_KEYS, ...XINETD_ONLY, HANDOVER_KEY]),
  paths: { unitDir: "directory" },
  spell: withServerArgsSplit,
  failures: serviceFailures,
  normalized,
  diffKeys: DIFF_KEYS,
  replaceKeys: REPLACE_KEYS,
  sameTarget: (olds, news) => location(olds) === location(news),
  changedOtherwise: (olds) => olds.socketPath === undefined,
  location,
  apply,
  unknownOutcome: (inputs) => fileOutputs(inputs, {}),
  readHost,
  remove: removeUnits,
});
