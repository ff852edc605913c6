/**
 * The implementation behind each resource's serialized provider shim (`pulumi-xinetd/provider`).
 * The shim in the stack state requires this module at call time, so states written by an older
 * version run with this code: every method reads the state's `schemaVersion` first.
 */
import * as rsyncLauncherCheckProvider from "./rsync-launcher-check";
import * as rsyncListingProvider from "./rsync-listing";
import * as rsyncModuleProvider from "./rsync-module";
import * as rsyncSecretsProvider from "./rsync-secrets";
import * as rsyncdConfigProvider from "./rsyncd-config";
import type { HostKindMethods, ResourceKindProvider } from "./kind";
import * as systemdSocketServiceProvider from "./systemd-socket-service";
import * as xinetdServiceProvider from "./xinetd-service";

export { SCHEMA_VERSION } from "./schema";
export { UNKNOWN } from "./props";
export type { CheckFailure, CheckResult } from "./checks";
export type { DiffResult } from "./diff";
export type { Props } from "./props";
export type { ResourceKindProvider } from "./kind";
export { secretsFileContent } from "./rsync-secrets";

function kind(module: HostKindMethods): ResourceKindProvider {
  const { check, diff, create, read, update, remove } = module;
  return { check, diff, create, read, update, delete: remove };
}

export const xinetdService = kind(xinetdServiceProvider);
export const rsyncModule = kind(rsyncModuleProvider);
export const rsyncdConfig = kind(rsyncdConfigProvider);
export const rsyncSecrets = kind(rsyncSecretsProvider);
export const rsyncListing = kind(rsyncListingProvider);
export const rsyncLauncherCheck = kind(rsyncLauncherCheckProvider);
export const systemdSocketService = kind(systemdSocketServiceProvider);

/** The kinds by the name the shims ask for. */
export type ResourceKind =
  | "xinetdService"
  | "rsyncModule"
  | "rsyncdConfig"
  | "rsyncSecrets"
  | "rsyncListing"
  | "rsyncLauncherCheck"
  | "systemdSocketService";
