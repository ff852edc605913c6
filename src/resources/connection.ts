/** Options shared by every resource of the package. */
import * as pulumi from "@pulumi/pulumi";
import type { types } from "@pulumi/command";

/**
 * How to reach a host: @pulumi/command's `remote.ConnectionArgs`, so one object serves both
 * packages. Defaults: `port` 22, `user` `root`, `dialErrorLimit` 10, `perDialTimeout` 15 s,
 * `hostKey` unchecked (set it: an OpenSSH key line such as `ssh-ed25519 AAAA…`), no agent
 * unless `agentSocketPath` is given. Kept secret in the state (it holds keys and passwords).
 */
export type ConnectionArgs = types.input.remote.ConnectionArgs;

/** The options with `names` added to `additionalSecretOutputs`. */
export function withSecretOutputs<T extends pulumi.CustomResourceOptions>(opts: T | undefined, names: readonly string[]): T {
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
