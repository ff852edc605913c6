/** The remote layer: safe reads and changes of files on hosts, and xinetd reloads that verify and roll back. */
export * from "./transport";
export { RemoteError, type RemoteErrorCode } from "./errors";
export { readRemoteFile, readRemoteFileShared, type FileMetadata, type RemoteFile } from "./read-file";
export {
  changeRemoteDocumentBatched,
  changeRemoteFileBatched,
  type DocumentCodec,
  type DocumentEditResult,
} from "./change-batch";
export {
  changeRemoteFile,
  discardPreviousVersion,
  discardPreviousVersionShared,
  SECRET_CONTENT_WITHHELD,
  type ChangeFileOptions,
  type EditResult,
  type FileChange,
} from "./change-file";
export { LocalCommandRunner, type LocalCommandRunnerOptions } from "./local-runner";
export { type CandidateKind, type ValidationReport } from "./validation";
export {
  detectXinetdHost,
  type ReloadStrategy,
  type ServiceCheck,
  type ServiceState,
  type XinetdHostFacts,
  type XinetdLogSource,
} from "./reload";
export {
  changeXinetdService,
  RELOAD_VERIFICATION_COMMAND,
  ReloadConflictError,
  XinetdReloader,
  xinetdReloaderFor,
  type ReloadOutcome,
  type XinetdReloaderOptions,
  type XinetdServiceChange,
} from "./xinetd-service";
export { changeRsyncdConfig, describePortConflict, RSYNCD_CODEC, rsyncDiagnostics } from "./rsync";
export {
  changeSystemdUnits,
  dropInsOf,
  handOverToSystemd,
  readSystemdUnits,
  removeSystemdUnits,
  SystemdActivator,
  systemdActivatorFor,
  systemdUnitPaths,
  type SystemdUnitEdits,
  type SystemdUnitFiles,
  type SystemdUnitsElsewhere,
  type SystemdUnitPaths,
  type SystemdUnitsChange,
  type SystemdUnitsOptions,
  type SystemdUnitsTarget,
} from "./systemd-units";
export {
  handOverToXinetd,
  hostRunsSystemd,
  launcherPresent,
  type HandoverOutcome,
  type SystemdLauncher,
  type XinetdLauncher,
} from "./launcher-handover";
