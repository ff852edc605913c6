/** The Pulumi resources. */
export type { ConnectionArgs } from "./connection";
export { RsyncModule, type RsyncModuleArgs, type RsyncModuleParameterArgs } from "./rsync-module";
export { RsyncSecrets, type RsyncSecretsArgs } from "./rsync-secrets";
export { RsyncServer, type RsyncServerArgs } from "./rsync-server";
export { RsyncdConfig, type RsyncdConfigArgs } from "./rsyncd-config";
export { SystemdSocketService, type SystemdExtra, type SystemdSocketServiceArgs } from "./systemd-socket-service";
export { XinetdService, type ListInput, type XinetdReload, type XinetdServiceArgs } from "./xinetd-service";
