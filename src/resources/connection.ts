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
