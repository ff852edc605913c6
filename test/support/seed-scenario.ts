/**
 * The seed scenario (appendix of the format issue) as resource inputs for one host: the rsyncd.conf
 * global part operators have today, a public module, a module behind `auth users` with its secrets
 * file, and the xinetd service that starts the daemon. Shared by the lifecycle tests and the demo.
 */
import type { ResourceKind } from "../../src/provider";

export const SEED_CONFIG_PATH = "/etc/rsyncd/rsyncd.conf";
export const SEED_SECRETS_PATH = "/etc/rsyncd/rsyncd.secrets";
/** The rsync daemon's port: `service rsync` in /etc/services, where xinetd listens. */
export const RSYNC_PORT = 873;
export const BACKUP_USER = "backup";

export interface SeedStep {
  kind: ResourceKind;
  /** The resource's name in the program (the last part of its URN). */
  name: string;
  inputs: Record<string, unknown>;
}

/** The resources in the order RsyncServer applies them: files first, the service that serves them last. */
export function seedSteps(connection: Record<string, unknown>, backupPassword: string): SeedStep[] {
  return [
    {
      kind: "rsyncdConfig",
      name: "seed-config",
      inputs: {
        connection,
        configPath: SEED_CONFIG_PATH,
        pidFile: "/var/run/rsyncd.pid",
        lockFile: "/var/run/rsync.lock",
        logFile: "/var/log/rsync.log",
        port: RSYNC_PORT,
      },
    },
    {
      kind: "rsyncSecrets",
      name: "seed-secrets",
      inputs: { connection, path: SEED_SECRETS_PATH, users: { [BACKUP_USER]: backupPassword } },
    },
    {
      kind: "rsyncModule",
      name: "seed-pub",
      inputs: {
        connection,
        configPath: SEED_CONFIG_PATH,
        moduleName: "pub",
        path: "/srv/pub",
        comment: "public files",
        readOnly: true,
      },
    },
    {
      kind: "rsyncModule",
      name: "seed-backup",
      inputs: {
        connection,
        configPath: SEED_CONFIG_PATH,
        moduleName: "backup",
        path: "/srv/backup",
        comment: "nightly backups",
        readOnly: false,
        authUsers: [BACKUP_USER],
        secretsFile: SEED_SECRETS_PATH,
      },
    },
    {
      kind: "xinetdService",
      name: "seed-xinetd",
      inputs: {
        connection,
        serviceName: "rsync",
        disable: false,
        flags: ["IPv6"],
        socketType: "stream",
        wait: false,
        user: "root",
        server: "/usr/bin/rsync",
        serverArgs: ["--daemon", `--config=${SEED_CONFIG_PATH}`],
        logOnFailure: { add: ["USERID"] },
      },
    },
  ];
}
