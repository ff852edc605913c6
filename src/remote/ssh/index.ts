/** The SSH transport: `CommandRunner`s over pooled ssh2 connections. */
import type { CommandRunner, HostTarget } from "../transport";
import { ConnectionPool } from "./pool";
import { SshCommandRunner } from "./runner";
import { resolveConnection } from "./target";

export { ConnectionPool, type HostStats, type PoolOptions } from "./pool";
export { remoteCommandLine } from "./runner";
export {
  connectionKey,
  DEFAULT_DIAL_ERROR_LIMIT,
  DEFAULT_PER_DIAL_TIMEOUT,
  DEFAULT_PORT,
  DEFAULT_USER,
  fingerprintOf,
  parseHostKeyLine,
} from "./target";

/** The process-wide pool `openHost` uses unless given another. */
export const defaultPool = new ConnectionPool();

/**
 * A `CommandRunner` for the target. Nothing is dialed until the first command; runners for the
 * same host, port, user and proxy share one connection. Throws `invalid-connection-args` at once.
 */
export function openHost(target: HostTarget, pool: ConnectionPool = defaultPool): CommandRunner {
  return new SshCommandRunner(pool, resolveConnection(target.connection), target.sudo ?? false);
}

/** Closes every connection of the default pool. */
export function closeAll(): Promise<void> {
  return defaultPool.closeAll();
}
