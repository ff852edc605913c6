/**
 * The `Fleet` component: a fleet described as data (stack config or a plain object), checked as a
 * whole, then per host a `pulumi-xinetd:fleet:Host` component holding the package install, and per
 * group the host lists an `RsyncServer` and its extra `XinetdService`s. Resource names join host,
 * group and service with `:`, which no host or group name may hold, so they are unique across the
 * stack.
 */
import { readFileSync } from "node:fs";
import { homedir } from "node:os";

import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";

import { RsyncServer, XinetdService, type ConnectionArgs } from "../resources";
import type { RsyncLauncher } from "../schema";
import {
  formatFleetProblems,
  parseFleetConfig,
  type FleetConnection,
  type FleetDescription,
  type FleetGroup,
  type FleetHost,
} from "./config";

/** The stack config namespace the fleet is read from by default: `pulumi-xinetd:hosts`, `pulumi-xinetd:groups`. */
export const FLEET_CONFIG_NAMESPACE = "pulumi-xinetd";

/** Reads a secret config value by key (`config.requireSecret` in the component, a stub in tests). */
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
  if (connection.privateKeyPath !== undefined)
    args.privateKey = pulumi.secret(readFileSync(expandHome(connection.privateKeyPath), "utf8"));
  if (connection.passwordSecret !== undefined) args.password = readSecret(connection.passwordSecret);
  if (connection.privateKeyPasswordSecret !== undefined)
    args.privateKeyPassword = readSecret(connection.privateKeyPasswordSecret);
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
  server?: RsyncServer<RsyncLauncher>;
  services: Record<string, XinetdService>;
}

/** One host of the fleet and everything on it. */
export class FleetHostResource extends pulumi.ComponentResource {
  readonly install?: command.remote.Command;
  /** Group name → its resources on this host. */
  readonly groups: Record<string, HostGroupResources>;

  constructor(
    host: FleetHost,
    groups: Record<string, FleetGroup>,
    readSecret: SecretReader,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super("pulumi-xinetd:fleet:Host", host.name, {}, opts);
    const connection = connectionArgs(host.connection, readSecret);
    this.install = host.installPackages
      ? new command.remote.Command(
          `${host.name}:install`,
          { connection: commandConnectionOf(connection), create: asRoot(INSTALL_PACKAGES_SCRIPT, host.sudo) },
          { parent: this },
        )
      : undefined;
    const childOptions = { parent: this, dependsOn: this.install ? [this.install] : [] };

    this.groups = {};
    for (const groupName of host.groups) {
      const group = groups[groupName];
      if (group === undefined) continue;
      const prefix = `${host.name}:${groupName}`;
      const resources: HostGroupResources = { services: {} };
      if (group.rsync) {
        const { configPath, global, modules, launcher, xinetd, socket } = group.rsync;
        const secrets = group.rsync.secrets && {
          path: group.rsync.secrets.path,
          adopt: group.rsync.secrets.adopt,
          users: pulumi.secret(
            pulumi.all(
              Object.fromEntries(
                Object.entries(group.rsync.secrets.users).map(([user, key]) => [user, readSecret(key)]),
              ),
            ),
          ),
        };
        resources.server = new RsyncServer(
          prefix,
          { connection, sudo: host.sudo, configPath, global, modules, secrets, launcher, xinetd, socket },
          childOptions,
        );
      }
      for (const [serviceName, service] of Object.entries(group.xinetd.services)) {
        resources.services[serviceName] = new XinetdService(
          `${prefix}:${serviceName}`,
          { ...service, serviceName, connection, sudo: host.sudo },
          childOptions,
        );
      }
      this.groups[groupName] = resources;
    }
    this.registerOutputs({});
  }
}

/** The inputs of a `Fleet`. */
export interface FleetArgs {
  /**
   * The hosts, as `pulumi-xinetd:hosts` takes them (see `src/fleet/README.md`). Default: when
   * neither `hosts` nor `groups` is given, both are read from stack config `pulumi-xinetd:hosts`
   * and `pulumi-xinetd:groups`.
   */
  hosts?: unknown;
  /** Group name → settings, as `pulumi-xinetd:groups` takes them. Default: see `hosts`. */
  groups?: unknown;
  /**
   * The config the `*Secret` fields name keys of (`pulumi config set --secret <key>`). Default:
   * `new pulumi.Config()`, the calling project's.
   */
  secretsConfig?: pulumi.Config;
}

/**
 * Checks the fleet as a whole and returns it, or throws a `RunError` naming every problem by field
 * path and rule. Warnings go to the Pulumi log.
 */
function checkedFleet(args: FleetArgs, secretsConfig: pulumi.Config): FleetDescription {
  const fromConfig = args.hosts === undefined && args.groups === undefined;
  const stackConfig = fromConfig ? new pulumi.Config(FLEET_CONFIG_NAMESPACE) : undefined;
  const raw = stackConfig
    ? { hosts: stackConfig.getObject<unknown>("hosts"), groups: stackConfig.getObject<unknown>("groups") }
    : { hosts: args.hosts, groups: args.groups };
  const parsed = parseFleetConfig(raw, {
    // `get` of a secret key only tells whether it is set; its value is read with requireSecret.
    configKeyExists: (key) => secretsConfig.get(key) !== undefined,
    environment: process.env,
  });
  for (const warning of parsed.warnings) pulumi.log.warn(`${warning.path}: ${warning.message} [${warning.rule}]`);
  if (!parsed.ok) {
    throw new pulumi.RunError(
      `The fleet config has ${parsed.problems.length} problem(s):\n${formatFleetProblems(parsed.problems)}`,
    );
  }
  return parsed.fleet;
}

/**
 * A fleet of hosts described as data: each host's connection and groups, each group's rsync
 * daemon (modules, secrets) and xinetd services. The whole description is checked before any
 * resource is registered; a bad one stops the program with every problem listed by field path.
 *
 * ```ts
 * import { Fleet } from "pulumi-xinetd";
 * const fleet = new Fleet("fleet"); // stack config pulumi-xinetd:hosts and pulumi-xinetd:groups
 * ```
 */
export class Fleet extends pulumi.ComponentResource {
  /** Host name → the host's component and everything on it. */
  readonly hosts: Record<string, FleetHostResource>;

  constructor(name: string, args: FleetArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    const secretsConfig = args.secretsConfig ?? new pulumi.Config();
    // Checked before `super`, which registers the component: a bad fleet registers nothing.
    const fleet = checkedFleet(args, secretsConfig);
    super("pulumi-xinetd:index:Fleet", name, {}, opts);
    const readSecret: SecretReader = (key) => secretsConfig.requireSecret(key);
    // Hosts were children of the stack before the Fleet component existed; the alias keeps their URNs.
    const hostOptions = { parent: this, aliases: [{ parent: pulumi.rootStackResource }] };
    this.hosts = Object.fromEntries(
      fleet.hosts.map((host) => [host.name, new FleetHostResource(host, fleet.groups, readSecret, hostOptions)]),
    );
    this.registerOutputs({});
  }
}
