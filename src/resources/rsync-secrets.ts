/** `RsyncSecrets`: an rsync secrets file (`user:password` lines), root-owned, mode 0600. */
import * as pulumi from "@pulumi/pulumi";

import { withSecretOutputs, type ConnectionArgs, type InputOutputs } from "./connection";
import { providerShim } from "./provider-shim";

export interface RsyncSecretsArgs {
  /** How to reach the host (same shape as @pulumi/command's `remote.ConnectionArgs`). Required; secret in the state. */
  connection: pulumi.Input<ConnectionArgs>;
  /**
   * Run every command through `sudo -n` (for a non-root `connection.user` with passwordless sudo). Default: `false`.
   */
  sudo?: pulumi.Input<boolean>;
  /** Take over a file that already exists instead of refusing to. Default: `false`. */
  adopt?: pulumi.Input<boolean>;
  /** The file's absolute path, e.g. `/etc/rsyncd.secrets`. Required; a change replaces. */
  path: pulumi.Input<string>;
  /** User name → password. Required; kept secret: the state holds user names and a checksum only. */
  users: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/** Every input but the passwords as an output (`connection` secret), and what the provider found. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- the outputs' types, declared only
export interface RsyncSecrets extends InputOutputs<Omit<RsyncSecretsArgs, "users">> {
  /** The users in the file, sorted: the state never holds their passwords. */
  readonly userNames: pulumi.Output<string[]>;
  /** sha256 of the resource's random salt and the file's content (secret, as the salt is). */
  readonly checksum: pulumi.Output<string>;
  /** Mode and owners as last found, e.g. `600 root:root`. */
  readonly permissions: pulumi.Output<string>;
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- see the interface
export class RsyncSecrets extends pulumi.dynamic.Resource {
  constructor(name: string, args: RsyncSecretsArgs, opts?: pulumi.CustomResourceOptions) {
    const props = {
      ...args,
      connection: pulumi.secret(args.connection),
      users: pulumi.secret(args.users),
      userNames: undefined,
      checksum: undefined,
      // The checksum's key: secret, since with it a guess of the passwords could be confirmed.
      salt: undefined,
      permissions: undefined,
    };
    super(
      providerShim("rsyncSecrets"),
      name,
      props,
      withSecretOutputs(opts, ["connection", "checksum", "salt"]),
      "pulumi-xinetd",
      "RsyncSecrets",
    );
  }
}
