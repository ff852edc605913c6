/**
 * `pulumi-xinetd/doctor`: why an rsync daemon does (not) answer, from the host's own evidence. Loads
 * the SSH transport, never Pulumi.
 */
export { diagnoseRsyncHost, diagnoseWithRunner, type DiagnoseOptions } from "./diagnose";
export { probeRsyncGreeting } from "./greeting";
export { renderReport } from "./report";
export type {
  ClientProbe,
  Diagnosis,
  Finding,
  FindingCode,
  FindingSeverity,
  Launcher,
  LogExcerpt,
  ModuleReport,
  ServerReport,
} from "./types";
