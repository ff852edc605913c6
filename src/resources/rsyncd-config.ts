/** `RsyncdConfig`: the global part of an rsyncd.conf; every module section is left as it is. */
import * as pulumi from "@pulumi/pulumi";

import { secretContentOf, withSecretOutputs, type ConnectionArgs, type InputOutputs } from "./connection";
import { providerShim } from "./provider-shim";
import type { RsyncModuleParameterArgs } from "./rsync-module";

/**
 * The global parameters. Module parameters set here (`uid`, `useChroot`, `maxConnections`, ...)
 * are defaults for every module. The global part holds exactly these: lines added by hand are
 * reported by refresh and removed by the next update.
 */
export interface RsyncdConfigArgs extends RsyncModuleParameterArgs {
  /** How to reach the host (same shape as @pulumi/command's `remote.ConnectionArgs`). Required; secret in the state. */
  connection: pulumi.Input<ConnectionArgs>;
  /**
   * Run every command through `sudo -n` (for a non-root `connection.user` with passwordless sudo). Default: `false`.
   */
  sudo?: pulumi.Input<boolean>;
  /** Take over a global part that already has parameters instead of refusing to. Default: `false`. */
  adopt?: pulumi.Input<boolean>;
  /** The rsyncd.conf. A change replaces. Default: `/etc/rsyncd.conf`. */
  configPath?: pulumi.Input<string>;
  /** Address the standalone daemon binds to (ignored under xinetd) (`address`). Default: unset. */
  address?: pulumi.Input<string>;
  /** Directory the daemon chroots to before serving (`daemon chroot`). Default: unset. */
  daemonChroot?: pulumi.Input<string>;
  /** Group the daemon runs as (`daemon gid`). Default: unset. */
  daemonGid?: pulumi.Input<string>;
  /** User the daemon runs as (`daemon uid`). Default: unset. */
  daemonUid?: pulumi.Input<string>;
  /** Listen backlog of the standalone daemon (`listen backlog`). Default: unset (rsync uses `5`). */
  listenBacklog?: pulumi.Input<number>;
  /** File whose text clients see before the module list (`motd file`). Default: unset. */
  motdFile?: pulumi.Input<string>;
  /** File the standalone daemon writes its pid to (`pid file`). Default: unset. */
  pidFile?: pulumi.Input<string>;
  /**
   * Port the standalone daemon listens on (under xinetd, xinetd's port counts) (`port`). Default: unset (rsync uses
   * `873`).
   */
  port?: pulumi.Input<number>;
  /** Expect a PROXY protocol header on each connection (`proxy protocol`). Default: unset (rsync uses `false`). */
  proxyProtocol?: pulumi.Input<boolean>;
  /** Hosts allowed to send a PROXY protocol header (`proxy protocol hosts`). Default: unset. */
  proxyProtocolHosts?: pulumi.Input<string>;
  /** setsockopt options for the daemon's sockets (`socket options`). Default: unset. */
  socketOptions?: pulumi.Input<string>;
}

/** Every input as an output (`connection` secret), and what the provider wrote. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- the outputs' types, declared only
export interface RsyncdConfig extends InputOutputs<RsyncdConfigArgs, { configPath: string }> {
  /**
   * The global part's parameter lines as written (or as found by the last refresh); secret whenever an input other than
   * `connection` is.
   */
  readonly content: pulumi.Output<string>;
  /** sha256 of `content`, hex; secret with it. */
  readonly checksum: pulumi.Output<string>;
  /** rsync's names of the parameters this resource set: what delete takes out. */
  readonly managedParameters: pulumi.Output<string[]>;
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- see the interface
export class RsyncdConfig extends pulumi.dynamic.Resource {
  constructor(name: string, args: RsyncdConfigArgs, opts?: pulumi.CustomResourceOptions) {
    const props = {
      ...args,
      connection: pulumi.secret(args.connection),
      secretContent: secretContentOf(args),
      content: undefined,
      checksum: undefined,
      managedParameters: undefined,
    };
    super(
      providerShim("rsyncdConfig"),
      name,
      props,
      withSecretOutputs(opts, ["connection"]),
      "pulumi-xinetd",
      "RsyncdConfig",
    );
  }
}
