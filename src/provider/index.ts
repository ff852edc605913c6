/**
 * The implementation behind each resource's serialized provider shim (`pulumi-xinetd/provider`).
 * The shim in the stack state requires this module at call time, so states written by an older
 * version run with this code: every method reads the state's `schemaVersion` first.
 */
import * as rsyncListingProvider from "./rsync-listing";
import * as rsyncModuleProvider from "./rsync-module";
import * as rsyncSecretsProvider from "./rsync-secrets";
import * as rsyncdConfigProvider from "./rsyncd-config";
import type { CheckResult, DiffResult, Props } from "./state";
import * as xinetdServiceProvider from "./xinetd-service";

export { SCHEMA_VERSION, UNKNOWN } from "./state";
export type { CheckFailure, CheckResult, DiffResult, Props } from "./state";
export { secretsFileContent } from "./rsync-secrets";

/** One resource kind's provider methods, as the dynamic-provider host calls them. */
export interface ResourceKindProvider {
  check(olds: Props, news: Props): CheckResult;
  diff(id: string, olds: Props, news: Props): DiffResult;
  create(inputs: Props): Promise<{ id: string; outs: Props }>;
  read(id: string, props: Props): Promise<{ id: string; props: Props }>;
  update(id: string, olds: Props, news: Props): Promise<{ outs: Props }>;
  delete(id: string, props: Props): Promise<void>;
}

function kind(
  module: Omit<ResourceKindProvider, "delete"> & { remove: ResourceKindProvider["delete"] },
): ResourceKindProvider {
  const { check, diff, create, read, update, remove } = module;
  return { check, diff, create, read, update, delete: remove };
}

export const xinetdService = kind(xinetdServiceProvider);
export const rsyncModule = kind(rsyncModuleProvider);
export const rsyncdConfig = kind(rsyncdConfigProvider);
export const rsyncSecrets = kind(rsyncSecretsProvider);
export const rsyncListing = kind(rsyncListingProvider);

/** The kinds by the name the shims ask for. */
export type ResourceKind = "xinetdService" | "rsyncModule" | "rsyncdConfig" | "rsyncSecrets" | "rsyncListing";
