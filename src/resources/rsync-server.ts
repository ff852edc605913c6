/**
 * `RsyncServer`: an rsync daemon on one host, from its rsyncd.conf (global part and modules) and
 * secrets file to what starts it (an xinetd service, or a systemd socket with `launcher:
 * "systemd"`), checked from the host once everything applied. Changing `launcher` moves the port
 * from one launcher to the other in the new one's create (see provider/handover.ts).
 */
import * as pulumi from "@pulumi/pulumi";

import { lookupRsyncParameter } from "../formats";
import {
  DEFAULT_RSYNC_LAUNCHER,
  DEFAULT_RSYNCD_CONFIG_PATH,
  DEFAULT_SYSTEMD_UNIT_DIR,
  DEFAULT_XINETD_CONFIG_DIR,
  HANDOVER_KEY,
  isRsyncLauncher,
  misplacedLauncherOverrides,
  misplacedOverridesMessage,
  RSYNC_LAUNCHER_REQUIREMENT,
  RSYNC_SERVICE_DEFAULTS,
  RSYNC_SERVICE_NAME,
  RSYNC_SERVICE_PORT,
  RSYNC_SOCKET_DEFAULTS,
  rsyncServerArgs,
  SYSTEMD_PARAMETER_KEYS,
  type LauncherHandover,
  type RsyncLauncher,
} from "../schema";
import type { ConnectionArgs } from "./connection";
import { RsyncLauncherCheck } from "./rsync-launcher-check";
import { RsyncListing } from "./rsync-listing";
import { RsyncModule, type RsyncModuleParameterArgs } from "./rsync-module";
import { RsyncSecrets } from "./rsync-secrets";
import { RsyncdConfig, type RsyncdConfigArgs } from "./rsyncd-config";
import { SystemdSocketService, type SystemdSocketServiceArgs } from "./systemd-socket-service";
import { XinetdService, type XinetdServiceArgs } from "./xinetd-service";

export interface RsyncServerArgs<L extends RsyncLauncher = RsyncLauncher> {
  /** How to reach the host (same shape as @pulumi/command's `remote.ConnectionArgs`). Required; secret in the state. */
  connection: pulumi.Input<ConnectionArgs>;
  /** Run every command through `sudo -n`. Default: `false`. */
  sudo?: pulumi.Input<boolean>;
  /** The rsyncd.conf the daemon reads (passed as `--config=`). Default: `/etc/rsyncd.conf`. */
  configPath?: pulumi.Input<string>;
  /** The global part of rsyncd.conf. Default: none (no RsyncdConfig child; the global part is left alone). */
  global?: Omit<RsyncdConfigArgs, "connection" | "sudo" | "configPath">;
  /** Module name → its parameters (`path` at least). Default: none. */
  modules?: Record<string, RsyncModuleParameterArgs & { adopt?: pulumi.Input<boolean> }>;
  /**
   * The secrets file for `authUsers`. It becomes the `secretsFile` of every module with `authUsers`
   * that sets no `secretsFile` of its own (neither as the field nor in `extra`). Default: none.
   */
  secrets?: {
    path: pulumi.Input<string>;
    users: pulumi.Input<Record<string, pulumi.Input<string>>>;
    adopt?: pulumi.Input<boolean>;
  };
  /**
   * Overrides for the xinetd service. Default: `service rsync`, `disable = no`, `socket_type =
   * stream`, `wait = no`, `user = root`, `server = /usr/bin/rsync`, `server_args = --daemon
   * --config=<configPath>`, `log_on_failure += USERID`.
   */
  xinetd?: Partial<Omit<XinetdServiceArgs, "connection" | "sudo">>;
  /**
   * What starts the daemon: `"xinetd"` (an XinetdService) or `"systemd"` (a SystemdSocketService, socket
   * activation: `rsync.socket` + `rsync@.service`). A change moves the port from one to the other in the new
   * launcher's create, which puts the old one back when the new one does not answer an rsync client. With
   * `"systemd"`, `xinetd` may only say where the file to take over is (`serviceName`, `configDir`, `reload`); with
   * `"xinetd"`, `socket` only where the units are (`serviceName`, `unitDir`). With `"systemd"`, a host that does not
   * run systemd is refused before any file is written. Default: `"xinetd"`.
   */
  launcher?: L;
  /**
   * Overrides for the socket service (`launcher: "systemd"`). Default: xinetd's defaults as the format layer maps
   * them: `rsync.socket` on port 873 with `Accept=yes`, `rsync@.service` running `/usr/bin/rsync --daemon
   * --config=<configPath>` as root with `StandardInput=socket` (`log_on_failure` has no equivalent: the journal).
   */
  socket?: Partial<Omit<SystemdSocketServiceArgs, "connection" | "sudo">>;
}

/** The launcher child of an RsyncServer of launcher `L`. */
export type RsyncLauncherResource<L extends RsyncLauncher> = L extends "systemd" ? SystemdSocketService : XinetdService;

export class RsyncServer<L extends RsyncLauncher = "xinetd"> extends pulumi.ComponentResource {
  readonly config?: RsyncdConfig;
  readonly secrets?: RsyncSecrets;
  /** Module name → its resource, one per entry of the `modules` argument. */
  readonly modules: Record<string, RsyncModule>;
  /** The launcher: the XinetdService, or the SystemdSocketService with `launcher: "systemd"`. */
  readonly service: RsyncLauncherResource<L>;
  /** The modules `rsync rsync://localhost:<port>/` lists on the host once everything applied. */
  readonly listedModules: pulumi.Output<string[]>;

  constructor(name: string, args: RsyncServerArgs<L>, opts?: pulumi.ComponentResourceOptions) {
    super("pulumi-xinetd:index:RsyncServer", name, {}, opts);
    const host = { connection: args.connection, sudo: args.sudo ?? false };
    const configPath = args.configPath ?? DEFAULT_RSYNCD_CONFIG_PATH;
    const child = { parent: this };
    const launcher: RsyncLauncher = args.launcher ?? DEFAULT_RSYNC_LAUNCHER;
    refuseMisplacedOverrides(name, launcher, args);

    // A host without systemd is refused before anything is written: every file child waits on the check.
    const check =
      launcher === "systemd" ? [new RsyncLauncherCheck(`${name}-systemd-check`, { ...host, launcher }, child)] : [];
    const fileChild = { ...child, dependsOn: check };
    this.config = args.global
      ? new RsyncdConfig(`${name}-config`, { ...args.global, ...host, configPath }, fileChild)
      : undefined;
    this.secrets = args.secrets
      ? new RsyncSecrets(`${name}-secrets`, { ...args.secrets, ...host }, fileChild)
      : undefined;
    const files = [this.config, this.secrets].filter((r): r is RsyncdConfig | RsyncSecrets => r !== undefined);
    const secretsPath = args.secrets?.path;
    this.modules = Object.fromEntries(
      Object.entries(args.modules ?? {}).map(([moduleName, module]) => [
        moduleName,
        // After the global part: a new file starts with it, not with the first module.
        new RsyncModule(
          `${name}-${moduleName}`,
          {
            ...module,
            ...(secretsPath === undefined ? {} : { secretsFile: secretsFileOf(module, secretsPath) }),
            ...host,
            configPath,
            moduleName,
          },
          { ...child, dependsOn: [...check, ...files] },
        ),
      ]),
    );
    const modules = Object.values(this.modules);

    const port = pulumi
      .all([args.xinetd?.port, args.socket?.port])
      .apply(([xinetdPort, socketPort]) =>
        launcher === "xinetd" ? (xinetdPort ?? RSYNC_SERVICE_PORT) : (socketPort ?? RSYNC_SOCKET_DEFAULTS.port),
      );
    const serverArgs = pulumi.output(configPath).apply(rsyncServerArgs);
    const serviceOpts = { ...child, dependsOn: [...files, ...modules] };
    let launcherRevision: pulumi.Output<string>;
    if (launcher === "xinetd") {
      const serviceArgs: XinetdServiceArgs & { [HANDOVER_KEY]: pulumi.Input<LauncherHandover> } = {
        serviceName: RSYNC_SERVICE_NAME,
        ...RSYNC_SERVICE_DEFAULTS,
        logOnFailure: { add: [...RSYNC_SERVICE_DEFAULTS.logOnFailure.add] },
        serverArgs,
        ...args.xinetd,
        ...host,
        [HANDOVER_KEY]: pulumi
          .all([port, args.socket?.serviceName, args.socket?.unitDir])
          .apply(([servicePort, serviceName, unitDir]) => ({
            port: servicePort,
            systemd: {
              unitDir: unitDir ?? DEFAULT_SYSTEMD_UNIT_DIR,
              serviceName: serviceName ?? RSYNC_SOCKET_DEFAULTS.serviceName,
              wait: RSYNC_SOCKET_DEFAULTS.wait === true,
            },
          })),
      };
      const service = new XinetdService(`${name}-xinetd`, serviceArgs, serviceOpts);
      this.service = service as RsyncLauncherResource<L>;
      launcherRevision = service.checksum;
    } else {
      const { serviceName, ...socketDefaults } = RSYNC_SOCKET_DEFAULTS;
      const serviceArgs: SystemdSocketServiceArgs & { [HANDOVER_KEY]: pulumi.Input<LauncherHandover> } = {
        serviceName,
        ...socketDefaults,
        serverArgs,
        ...args.socket,
        ...host,
        [HANDOVER_KEY]: pulumi
          .all([port, args.xinetd?.serviceName, args.xinetd?.configDir, args.xinetd?.reload])
          .apply(([servicePort, xinetdName, configDir, reload]) => ({
            port: servicePort,
            xinetd: {
              path: `${configDir ?? DEFAULT_XINETD_CONFIG_DIR}/${xinetdName ?? RSYNC_SERVICE_NAME}`,
              ...(reload === undefined ? {} : { reload }),
            },
          })),
      };
      const service = new SystemdSocketService(`${name}-systemd`, serviceArgs, serviceOpts);
      this.service = service as RsyncLauncherResource<L>;
      // A socket service has no rendered content: its outputs, as refresh reads them, are its revision.
      const outputs = service as unknown as Record<string, pulumi.Output<unknown>>;
      launcherRevision = pulumi.jsonStringify(
        pulumi.all([...SYSTEMD_PARAMETER_KEYS, "extra", "dropIns"].map((key) => outputs[key])),
      );
    }

    const listable = Object.entries(args.modules ?? {}).map(([moduleName, module]) =>
      pulumi.output(module.list).apply((list) => (list === false ? [] : [moduleName])),
    );
    const listing = new RsyncListing(
      `${name}-listing`,
      {
        ...host,
        port,
        configPath,
        expectedModules: pulumi.all(listable).apply((lists) => lists.flat()),
        revision: [...[...files, ...modules].map((resource) => resource.checksum), launcherRevision],
      },
      { ...child, dependsOn: [this.service] },
    );
    this.listedModules = listing.modules;
    this.registerOutputs({ listedModules: this.listedModules });
  }
}

/**
 * Overrides for the launcher not in use are refused, naming them, except where they locate the
 * other launcher's files for the handover: they would otherwise be silently ignored.
 */
function refuseMisplacedOverrides(name: string, launcher: RsyncLauncher, args: RsyncServerArgs<RsyncLauncher>): void {
  if (!isRsyncLauncher(launcher))
    throw new Error(
      `RsyncServer ${name}: \`launcher\` ${RSYNC_LAUNCHER_REQUIREMENT}, not ${JSON.stringify(launcher)}.`,
    );
  const misplaced = misplacedLauncherOverrides(launcher, args);
  if (misplaced.keys.length > 0) throw new Error(`RsyncServer ${name}: ${misplacedOverridesMessage(misplaced)}`);
}

/**
 * A module's `secretsFile`: its own when it sets one (as the field or in `extra`), else the
 * server's secrets file when it has `authUsers`, else none (an output of undefined is not sent).
 */
function secretsFileOf(
  module: RsyncModuleParameterArgs,
  secretsPath: pulumi.Input<string>,
): pulumi.Input<string> | undefined {
  if (module.secretsFile !== undefined || module.authUsers === undefined) return module.secretsFile;
  return pulumi.all([module.authUsers, module.extra, secretsPath]).apply(([authUsers, extra, path]) => {
    const inExtra = Object.keys(extra ?? {}).some((written) => lookupRsyncParameter(written)?.key === "secretsFile");
    return authUsers !== undefined && authUsers.length > 0 && !inExtra ? path : undefined;
  }) as pulumi.Output<string>;
}
