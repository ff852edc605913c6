export type {
  SystemdExtraSettings,
  SystemdResourceLimit,
  SystemdSocketServiceKey,
  SystemdSocketServiceModel,
  SystemdSocketType,
} from "./model";
export { MAX_UNIT_LINE_BYTES, parseUnitDocument, renderUnitDocument } from "./document";
export type { UnitDocument, UnitLine, UnitLineKind, UnitStatement } from "./document";
export { dropInOrder, effectiveValue, listValue, readUnitDocument, readUnitWithDropIns } from "./read";
export type { DropIn, UnitFileReading, UnitReading } from "./read";
export type { UnitSettings } from "./edit";
export { parseExecStart, parseEnvironment, extractWords, resolveSpecifiers } from "./values";
export type { ExecCommand, ValueError } from "./values";
export {
  normalizeSystemdSocketService,
  readSystemdSocketService,
  systemdSocketServiceSettings,
  systemdUnitNames,
} from "./socket-service";
export type { SystemdSocketServiceReading, SystemdUnitNames, UnreadableSetting } from "./socket-service";
export { applySystemdSocketService, applyUnitSettings, renderSystemdSocketService, renderUnitSettings } from "./guard";
export type { SystemdSocketServiceUnits } from "./guard";
export { NO_SYSTEMD_EQUIVALENT, validateSystemdSocketService, validateSystemdSocketServiceOrThrow } from "./validate";
export { systemdSocketServiceFromXinetd } from "./from-xinetd";
export type { SystemdMigration } from "./from-xinetd";
