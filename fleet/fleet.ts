/**
 * Builds the resources of a parsed fleet: per host a `pulumi-xinetd:fleet:Host` component holding
 * the package install, and per group the host lists an `RsyncServer` and its extra
 * `XinetdService`s. Resource names join host, group and service with `:`, which no host or group
 * name may hold, so they are unique across the stack.
 */
import { readFileSync } from "node:fs";
import { homedir } from "node:os";

import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";

import { RsyncServer, XinetdService, type ConnectionArgs } from "../src";
import type { Fleet, FleetConnection, FleetGroup, FleetHost } from "./config";

/** Reads a secret config value by key (`config.requireSecret` in the program, a stub in tests). */
export type SecretReader = (key: string) => pulumi.Output<string>;

/**
 * Installs xinetd and rsync when either is missing, and stops Debian's standalone rsync daemon,
 * which would take port 873 from xinetd once an /etc/rsyncd.conf exists. Runs again only when the
 * text changes.
 */
export const INSTALL_PACKAGES_SCRIPT = [
  "set -e",
  "if ! command -v xinetd >/dev/null || ! command -v rsync >/dev/null; then",
  "  export DEBIAN_FRONTEND=noninteractive",
  "  apt-get update -q",
  "  apt-get install -y -q xinetd rsync",
  "fi",
  "if command -v systemctl >/dev/null; then systemctl disable --now rsync.service >/dev/null 2>&1 || true; fi",
].join("\n");

/** The command line that runs `script` as root: through `sudo -n` for a non-root login. */
export function asRoot(script: string, sudo: boolean): string {
  return sudo ? `sudo -n sh -c '${script.replace(/'/g, `'\\''`)}'` : script;
}

function expandHome(path: string): string {
  return path === "~" || path.startsWith("~/") ? `${homedir()}${path.slice(1)}` : path;
}

/** @pulumi/command's connection for a fleet connection, every secret read as a secret. */
export function connectionArgs(connection: FleetConnection, readSecret: SecretReader): ConnectionArgs {
  const args: ConnectionArgs = { host: connection.host, port: connection.port, user: connection.user };
  if (connection.hostKey !== undefined) args.hostKey = connection.hostKey;
  if (connection.hostKeyChecking !== undefined) args.hostKeyChecking = connection.hostKeyChecking;
  if (connection.knownHostsFiles !== undefined) args.knownHostsFiles = connection.knownHostsFiles;
  if (connection.agentSocketPath !== undefined) args.agentSocketPath = connection.agentSocketPath;
  if (connection.dialErrorLimit !== undefined) args.dialErrorLimit = connection.dialErrorLimit;
  if (connection.perDialTimeout !== undefined) args.perDialTimeout = connection.perDialTimeout;
  if (connection.privateKeySecret !== undefined) args.privateKey = readSecret(connection.privateKeySecret);
  if (connection.privateKeyPath !== undefined) args.privateKey = pulumi.secret(readFileSync(expandHome(connection.privateKeyPath), "utf8"));
  if (connection.passwordSecret !== undefined) args.password = readSecret(connection.passwordSecret);
  if (connection.privateKeyPasswordSecret !== undefined) args.privateKeyPassword = readSecret(connection.privateKeyPasswordSecret);
  if (connection.proxy !== undefined) args.proxy = connectionArgs(connection.proxy, readSecret);
  return args;
}

/** The connection for @pulumi/command, which knows neither `hostKeyChecking` nor `knownHostsFiles`. */
function commandConnectionOf(args: ConnectionArgs): ConnectionArgs {
  const { hostKeyChecking: _checking, knownHostsFiles: _files, proxy, ...rest } = args;
  return proxy === undefined ? rest : { ...rest, proxy: commandConnectionOf(proxy as ConnectionArgs) };
}

/** What one group put on one host. */
export interface HostGroupResources {
  server?: RsyncServer;
  services: Record<string, XinetdService>;
}

/** One host of the fleet and everything on it. */
export class FleetHostResource extends pulumi.ComponentResource {
  readonly install?: command.remote.Command;
  /** Group name → its resources on this host. */
  readonly groups: Record<string, HostGroupResources>;

  constructor(host: FleetHost, groups: Record<string, FleetGroup>, readSecret: SecretReader, opts?: pulumi.ComponentResourceOptions) {
    super("pulumi-xinetd:fleet:Host", host.name, {}, opts);
    const connection = connectionArgs(host.connection, readSecret);
    this.install = host.installPackages
      ? new command.remote.Command(`${host.name}:install`, { connection: commandConnectionOf(connection), create: asRoot(INSTALL_PACKAGES_SCRIPT, host.sudo) }, { parent: this })
      : undefined;
    const childOptions = { parent: this, dependsOn: this.install ? [this.install] : [] };

    this.groups = {};
    for (const groupName of host.groups) {
      const group = groups[groupName];
      if (group === undefined) continue;
      const prefix = `${host.name}:${groupName}`;
      const resources: HostGroupResources = { services: {} };
      if (group.rsync) {
        const { configPath, global, modules, xinetd } = group.rsync;
        const secrets = group.rsync.secrets && {
          path: group.rsync.secrets.path,
          adopt: group.rsync.secrets.adopt,
          users: pulumi.secret(pulumi.all(Object.fromEntries(Object.entries(group.rsync.secrets.users).map(([user, key]) => [user, readSecret(key)])))),
        };
        resources.server = new RsyncServer(prefix, { connection, sudo: host.sudo, configPath, global, modules, secrets, xinetd }, childOptions);
      }
      for (const [serviceName, service] of Object.entries(group.xinetd.services)) {
        resources.services[serviceName] = new XinetdService(`${prefix}:${serviceName}`, { ...service, serviceName, connection, sudo: host.sudo }, childOptions);
      }
      this.groups[groupName] = resources;
    }
    this.registerOutputs({});
  }
}

/** Creates every host's resources; returns them by host name. */
export function deployFleet(fleet: Fleet, readSecret: SecretReader): Record<string, FleetHostResource> {
  return Object.fromEntries(fleet.hosts.map((host) => [host.name, new FleetHostResource(host, fleet.groups, readSecret)]));
}
