/**
 * `RsyncLauncherCheck` (internal to `RsyncServer`): checks that the host can run the server's
 * launcher before any of the server's files is written.
 */
import * as pulumi from "@pulumi/pulumi";

import type { RsyncLauncher } from "../schema";
import { withSecretOutputs, type ConnectionArgs } from "./connection";
import { providerShim } from "./provider-shim";

export interface RsyncLauncherCheckArgs {
  /** How to reach the host. Required. */
  connection: pulumi.Input<ConnectionArgs>;
  /** Run the check through `sudo -n`. Default: `false`. */
  sudo?: pulumi.Input<boolean>;
  /** The launcher the host must be able to run. Required. */
  launcher: pulumi.Input<RsyncLauncher>;
}

export class RsyncLauncherCheck extends pulumi.dynamic.Resource {
  constructor(name: string, args: RsyncLauncherCheckArgs, opts?: pulumi.CustomResourceOptions) {
    const props = { ...args, connection: pulumi.secret(args.connection) };
    super(
      providerShim("rsyncLauncherCheck"),
      name,
      props,
      withSecretOutputs(opts, ["connection"]),
      "pulumi-xinetd",
      "RsyncLauncherCheck",
    );
  }
}
