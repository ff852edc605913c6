/** The SSH transport: `CommandRunner`s over pooled ssh2 connections. */
import type { AcceptedHostKeys, CommandRunner, HostTarget } from "../transport";
import { ConnectionPool } from "./pool";
import { SshCommandRunner } from "./runner";
import { resolveConnection } from "./target";

export { ConnectionPool, HOST_KEY_UNCHECKED_WARNING, type HostStats, type PoolOptions } from "./pool";
export {
  entryNamesHost,
  judgeHostKey,
  knownHostsName,
  parseKnownHosts,
  type HostKeyVerdict,
  type KnownHostEntry,
} from "./known-hosts";
export { remoteCommandLine } from "./runner";
export {
  DEFAULT_DIAL_ERROR_LIMIT,
  DEFAULT_PER_DIAL_TIMEOUT,
  DEFAULT_PORT,
  DEFAULT_USER,
  defaultKnownHostsFiles,
  fingerprintOf,
  parseHostKeyLine,
} from "./target";

/** The process-wide pool `openHost` uses unless given another. */
export const defaultPool = new ConnectionPool();

/**
 * A `CommandRunner` for the target. Nothing is dialed until the first command; runners with the
 * same identity but sudo (see `CommandRunner.identity`) share one connection. Throws
 * `invalid-connection-args` at once.
 */
export function openHost(target: HostTarget, pool: ConnectionPool = defaultPool): CommandRunner {
  return new SshCommandRunner(
    pool,
    resolveConnection(target.connection, target.acceptedHostKeys),
    target.sudo ?? false,
  );
}

/**
 * The keys the target's host and proxy are trusted by on first use (`hostKeyChecking:
 * "accept-new"`), as known_hosts lines: accepted by a connection of this pool, or brought along in
 * `target.acceptedHostKeys` and still about the same host. A resource keeps them in its state and
 * passes them back, so a later change of key is refused.
 */
export function acceptedHostKeys(target: HostTarget, pool: ConnectionPool = defaultPool): AcceptedHostKeys {
  const resolved = resolveConnection(target.connection, target.acceptedHostKeys);
  const host = pool.acceptedHostKey(resolved);
  const proxy = resolved.proxy && pool.acceptedHostKey(resolved.proxy);
  return { ...(host !== undefined && { host }), ...(proxy !== undefined && { proxy }) };
}

/** Closes every connection of the default pool. */
export function closeAll(): Promise<void> {
  return defaultPool.closeAll();
}
