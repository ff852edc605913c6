/** `RsyncListing` (internal to `RsyncServer`): checks from the host which modules the rsync daemon lists. */
import * as pulumi from "@pulumi/pulumi";

import { withSecretOutputs, type ConnectionArgs } from "./connection";
import { providerShim } from "./provider-shim";

export interface RsyncListingArgs {
  /** How to reach the host. Required. */
  connection: pulumi.Input<ConnectionArgs>;
  /** Run the check through `sudo -n`. Default: `false`. */
  sudo?: pulumi.Input<boolean>;
  /** The port the daemon answers on (xinetd's port for `rsync`). Required. */
  port: pulumi.Input<number>;
  /** The rsyncd.conf, to quote the daemon's log when it does not answer. Required. */
  configPath: pulumi.Input<string>;
  /** Modules that must be listed. Required. */
  expectedModules: pulumi.Input<pulumi.Input<string>[]>;
  /** Anything that changes when the server's files change (their checksums), so the check runs again. Default: none. */
  revision?: pulumi.Input<pulumi.Input<string>[]>;
}

export class RsyncListing extends pulumi.dynamic.Resource {
  /** The module names `rsync rsync://localhost:<port>/` lists, in its order. */
  declare readonly modules: pulumi.Output<string[]>;

  constructor(name: string, args: RsyncListingArgs, opts?: pulumi.CustomResourceOptions) {
    const props = { ...args, connection: pulumi.secret(args.connection), modules: undefined };
    super(
      providerShim("rsyncListing"),
      name,
      props,
      withSecretOutputs(opts, ["connection"]),
      "pulumi-xinetd",
      "RsyncListing",
    );
  }
}
