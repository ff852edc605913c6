/** Options shared by every resource of the package. */
import * as pulumi from "@pulumi/pulumi";
import type { types } from "@pulumi/command";

/**
 * How to reach a host: @pulumi/command's `remote.ConnectionArgs`, with its values and defaults, so
 * one object serves both packages: `port` 22, `user` `root`, `dialErrorLimit` 10 (-1: no limit;
 * that many retries after the first dial, so one attempt for 0), `perDialTimeout` 15 s (0: no limit),
 * `agentSocketPath` `SSH_AUTH_SOCK` when set. Ours, on top (@pulumi/command ignores them):
 * `hostKeyChecking` and `knownHostsFiles`. The server's key must be `hostKey` (an OpenSSH key line
 * such as `ssh-ed25519 AAAA…`) when given, else listed for the host in the known_hosts files, as
 * `ssh` with `StrictHostKeyChecking yes` checks it; where @pulumi/command accepts any key without
 * `hostKey`, `hostKeyChecking: "off"` does the same here. Kept secret in the state
 * (it holds keys and passwords).
 */
export type ConnectionArgs = types.input.remote.ConnectionArgs &
  HostKeyTrustArgs & {
    proxy?: pulumi.Input<types.input.remote.ProxyConnectionArgs & HostKeyTrustArgs>;
  };

/**
 * Ours, not @pulumi/command's: how the server's key is checked when no `hostKey` pins it (see the remote layer's
 * `ConnectionArgs`).
 */
export interface HostKeyTrustArgs {
  /**
   * Ours. `strict` (default): the host must be in a known_hosts file. `accept-new`: trust on first use, kept in the
   * state. `off`: any key, with a warning.
   */
  hostKeyChecking?: pulumi.Input<"strict" | "accept-new" | "off">;
  /**
   * Ours. The known_hosts files to check the key against. Default: `~/.ssh/known_hosts` and `/etc/ssh/ssh_known_hosts`.
   */
  knownHostsFiles?: pulumi.Input<pulumi.Input<string>[]>;
}

/**
 * Every input of a resource as a typed output, with the input's TSDoc (a homomorphic mapped type
 * keeps it): what the provider stored for it, `undefined` when an optional input was not given.
 * `Stored` gives the type of inputs the provider stores otherwise: defaulted (`configPath`) or
 * normalized (`serverArgs`, stored as the list).
 */
export type InputOutputs<Args, Stored = object> = {
  readonly [K in keyof Args]-?: pulumi.Output<K extends keyof Stored ? Stored[K] : pulumi.Unwrap<Args[K]>>;
};

/** The options with `names` added to `additionalSecretOutputs`. */
export function withSecretOutputs<T extends pulumi.CustomResourceOptions>(
  opts: T | undefined,
  names: readonly string[],
): T {
  return { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), ...names] } as T;
}

/**
 * Whether any argument other than the connection is (or holds) a secret, as a plain boolean
 * input `secretContent`: the provider then returns `content` and `checksum`, which quote or
 * fingerprint every value written, as secrets. The dynamic-provider host receives inputs without
 * their secret marks, so it cannot tell by itself; and `additionalSecretOutputs` must be decided
 * synchronously, before an `Output`'s secrecy is known.
 */
export function secretContentOf(args: object): pulumi.Output<boolean> {
  const { connection: _connection, ...written } = args as Record<string, unknown>;
  return pulumi.output(pulumi.isSecret(pulumi.output(written)));
}
