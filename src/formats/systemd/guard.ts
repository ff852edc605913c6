/**
 * The round-trip guard for unit files: an edited or rendered unit is read back the way systemd
 * reads it (document.ts, read.ts) and compared with what was meant. At the settings level, every
 * section and key must hold exactly the intended values (so a value that continues a line, breaks
 * one, opens a section or starts a comment is a difference). At the model level, the values are
 * also read with systemd's value rules (values.ts: unquoting, C escapes, `%` specifiers, `$` in
 * `ExecStart=`) and compared field by field with the model, so an escape the writer got wrong is
 * a difference too. Any difference refuses the change with rule `round-trip-mismatch`.
 */
import { isDeepStrictEqual } from "node:util";
import { errorsOf, FormatError, problem, type Problem } from "../problems";
import { parseUnitDocument, renderUnitDocument, type UnitDocument } from "./document";
import { editUnitSettings, renderUnitSettingsText, sameValues, type UnitSettings } from "./edit";
import { readUnitDocument, type UnitReading } from "./read";
import type { SystemdSocketServiceModel } from "./model";
import {
  normalizeSystemdSocketService,
  readSystemdSocketService,
  systemdSocketServiceSettings,
  type SystemdUnitNames,
} from "./socket-service";

const ROUND_TRIP_RULE = "round-trip-mismatch";

/** Problems of `after` as a unit file meant to hold exactly `settings` (`before`: the file it was edited from). */
export function guardUnitEdit(
  before: UnitDocument | undefined,
  after: UnitDocument,
  settings: UnitSettings,
  unitName = "the unit",
): Problem[] {
  const problems: Problem[] = [];
  const refuse = (field: string, message: string) =>
    problems.push(problem(field, ROUND_TRIP_RULE, `${message}; refusing the change.`));
  if (after.fatal) {
    refuse("unit", `systemd would refuse to load ${unitName}`);
    return problems;
  }
  const reading = readUnitDocument(after).reading;
  const sections = new Set([...Object.keys(settings), ...reading.keys()]);
  for (const section of sections) {
    const want = settings[section] ?? {};
    const got = reading.get(section) ?? new Map<string, string[]>();
    for (const key of new Set([...Object.keys(want), ...got.keys()])) {
      if (!sameValues(want[key], got.get(key)))
        refuse(
          `[${section}] ${key}`,
          `\`${key}=\` in \`[${section}]\` of ${unitName} would be read differently by systemd`,
        );
    }
  }
  const beforeErrors = before === undefined ? 0 : errorsOf(before.problems).length;
  if (errorsOf(after.problems).length > beforeErrors)
    refuse("unit", `The edit would add a line systemd misreads to ${unitName}`);
  return problems;
}

/** A unit file holding exactly `settings`, read back as systemd reads it before it is returned. */
export function renderUnitSettings(settings: UnitSettings, subject = "unit file"): string {
  const text = renderUnitSettingsText(settings);
  const problems = guardUnitEdit(undefined, parseUnitDocument(text), settings);
  if (problems.length > 0) throw new FormatError(subject, problems);
  return text;
}

/** `doc` changed to hold exactly `settings`, touching only the lines that change; guarded. */
export function applyUnitSettings(doc: UnitDocument, settings: UnitSettings, subject = "unit file"): UnitDocument {
  const after = editUnitSettings(doc, settings);
  const problems = guardUnitEdit(doc, after, settings);
  if (problems.length > 0) throw new FormatError(subject, problems);
  return after;
}

/** The model's fields whose readings differ (`extra.socket.Key` for an extra setting). */
function differingFields(want: SystemdSocketServiceModel, got: SystemdSocketServiceModel): string[] {
  const left = want as unknown as Record<string, unknown>;
  const right = got as unknown as Record<string, unknown>;
  const fields = [...new Set([...Object.keys(left), ...Object.keys(right)])].filter(
    (key) => key !== "extra" && !isDeepStrictEqual(left[key], right[key]),
  );
  for (const part of ["socket", "service"] as const) {
    const a = want.extra?.[part] ?? {};
    const b = got.extra?.[part] ?? {};
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)]))
      if (!isDeepStrictEqual(a[key], b[key])) fields.push(`extra.${part}.${key}`);
  }
  return fields;
}

export interface SystemdSocketServiceUnits {
  names: SystemdUnitNames;
  /** The text of `NAME.socket`. */
  socket: string;
  /** The text of `NAME@.service` (`wait: false`) or `NAME.service`. */
  service: string;
}

/** Model-level check of the two written units: they must mean the model, field by field. */
function guardModel(model: SystemdSocketServiceModel, socket: UnitReading, service: UnitReading): Problem[] {
  const reading = readSystemdSocketService(model.name, socket, service);
  const problems = reading.unreadable.map((u) =>
    problem(u.field, ROUND_TRIP_RULE, `\`${u.setting}=\` would not read back as \`${u.field}\`: ${u.message}`),
  );
  for (const field of differingFields(normalizeSystemdSocketService(model), reading.model)) {
    problems.push(
      problem(field, ROUND_TRIP_RULE, `\`${field}\` would be read differently by systemd; refusing the change.`),
    );
  }
  return problems;
}

function unitsOrThrow(
  model: SystemdSocketServiceModel,
  socketDoc: UnitDocument,
  serviceDoc: UnitDocument,
  problems: Problem[],
): SystemdSocketServiceUnits {
  problems.push(...guardModel(model, readUnitDocument(socketDoc).reading, readUnitDocument(serviceDoc).reading));
  if (problems.length > 0) throw new FormatError(`systemd socket service ${model.name}`, problems);
  const names = systemdSocketServiceSettings(model).names;
  return { names, socket: renderUnitDocument(socketDoc), service: renderUnitDocument(serviceDoc) };
}

/**
 * New unit files for the model, each read back as systemd reads it, settings and meaning, before
 * they are returned. Call `validateSystemdSocketService` first: the guard names the field but
 * not the rule a value broke.
 */
export function renderSystemdSocketService(model: SystemdSocketServiceModel): SystemdSocketServiceUnits {
  const { names, socket, service } = systemdSocketServiceSettings(model);
  const socketDoc = parseUnitDocument(renderUnitSettingsText(socket));
  const serviceDoc = parseUnitDocument(renderUnitSettingsText(service));
  const problems = [
    ...guardUnitEdit(undefined, socketDoc, socket, names.socket),
    ...guardUnitEdit(undefined, serviceDoc, service, names.service),
  ];
  return unitsOrThrow(model, socketDoc, serviceDoc, problems);
}

/**
 * The existing unit files changed to express the model, touching only the lines whose meaning
 * changes (comments and unchanged lines stay byte for byte), each read back and checked.
 */
export function applySystemdSocketService(
  existing: { socket: UnitDocument; service: UnitDocument },
  model: SystemdSocketServiceModel,
): SystemdSocketServiceUnits {
  const { names, socket, service } = systemdSocketServiceSettings(model);
  const socketDoc = editUnitSettings(existing.socket, socket);
  const serviceDoc = editUnitSettings(existing.service, service);
  const problems = [
    ...guardUnitEdit(existing.socket, socketDoc, socket, names.socket),
    ...guardUnitEdit(existing.service, serviceDoc, service, names.service),
  ];
  return unitsOrThrow(model, socketDoc, serviceDoc, problems);
}
