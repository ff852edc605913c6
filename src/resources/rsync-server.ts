/**
 * `RsyncServer`: an rsync daemon run by xinetd on one host, from its rsyncd.conf (global part and
 * modules) and secrets file to the xinetd service, checked from the host once everything applied.
 */
import * as pulumi from "@pulumi/pulumi";

import { lookupRsyncParameter } from "../formats";
import {
  DEFAULT_RSYNCD_CONFIG_PATH,
  RSYNC_SERVICE_DEFAULTS,
  RSYNC_SERVICE_NAME,
  RSYNC_SERVICE_PORT,
  rsyncServerArgs,
} from "../schema";
import type { ConnectionArgs } from "./connection";
import { RsyncListing } from "./rsync-listing";
import { RsyncModule, type RsyncModuleParameterArgs } from "./rsync-module";
import { RsyncSecrets } from "./rsync-secrets";
import { RsyncdConfig, type RsyncdConfigArgs } from "./rsyncd-config";
import { XinetdService, type XinetdServiceArgs } from "./xinetd-service";

export interface RsyncServerArgs {
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
}

export class RsyncServer extends pulumi.ComponentResource {
  readonly config?: RsyncdConfig;
  readonly secrets?: RsyncSecrets;
  /** Module name → its resource, one per entry of the `modules` argument. */
  readonly modules: Record<string, RsyncModule>;
  readonly service: XinetdService;
  /** The modules `rsync rsync://localhost:<port>/` lists on the host once everything applied. */
  readonly listedModules: pulumi.Output<string[]>;

  constructor(name: string, args: RsyncServerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pulumi-xinetd:index:RsyncServer", name, {}, opts);
    const host = { connection: args.connection, sudo: args.sudo ?? false };
    const configPath = args.configPath ?? DEFAULT_RSYNCD_CONFIG_PATH;
    const child = { parent: this };

    this.config = args.global
      ? new RsyncdConfig(`${name}-config`, { ...args.global, ...host, configPath }, child)
      : undefined;
    this.secrets = args.secrets ? new RsyncSecrets(`${name}-secrets`, { ...args.secrets, ...host }, child) : undefined;
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
          { ...child, dependsOn: files },
        ),
      ]),
    );
    const modules = Object.values(this.modules);

    this.service = new XinetdService(
      `${name}-xinetd`,
      {
        serviceName: RSYNC_SERVICE_NAME,
        ...RSYNC_SERVICE_DEFAULTS,
        logOnFailure: { add: [...RSYNC_SERVICE_DEFAULTS.logOnFailure.add] },
        serverArgs: pulumi.output(configPath).apply(rsyncServerArgs),
        ...args.xinetd,
        ...host,
      },
      { ...child, dependsOn: [...files, ...modules] },
    );

    const listable = Object.entries(args.modules ?? {}).map(([moduleName, module]) =>
      pulumi.output(module.list).apply((list) => (list === false ? [] : [moduleName])),
    );
    const listing = new RsyncListing(
      `${name}-listing`,
      {
        ...host,
        port: pulumi.output(args.xinetd?.port).apply((port) => port ?? RSYNC_SERVICE_PORT),
        configPath,
        expectedModules: pulumi.all(listable).apply((lists) => lists.flat()),
        revision: [...files, ...modules, this.service].map((resource) => resource.checksum),
      },
      { ...child, dependsOn: [this.service] },
    );
    this.listedModules = listing.modules;
    this.registerOutputs({ listedModules: this.listedModules });
  }
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
