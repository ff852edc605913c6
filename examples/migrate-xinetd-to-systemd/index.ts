/**
 * Migrates one existing /etc/xinetd.d service to systemd socket activation: reads the service
 * file's text (stack config `xinetdService`, or a local copy named by `xinetdFile`), parses it with
 * the package's format layer as xinetd reads it, maps it to a socket service with
 * `systemdSocketServiceFromXinetd`, says what was left out or approximated, and creates the units
 * with `SystemdSocketService`. What systemd cannot express stops the program before anything is
 * registered, naming each xinetd attribute.
 */
import { readFileSync } from "node:fs";

import * as pulumi from "@pulumi/pulumi";
import { SystemdSocketService, type SystemdSocketServiceArgs } from "pulumi-xinetd";
import {
  parseServicesTable,
  parseXinetdDocument,
  readXinetdService,
  systemdSocketServiceFromXinetd,
  type Problem,
  type ServicesTable,
  type SystemdSocketServiceModel,
} from "pulumi-xinetd/formats";

export interface Migration {
  /** The socket service's settings, as `SystemdSocketService` takes them (no `connection`). */
  args: Omit<SystemdSocketServiceArgs, "connection" | "sudo">;
  /** What systemd expresses only roughly, or not at all but harmlessly (logging): one line each. */
  approximations: string[];
}

const line = (problem: Problem) => `${problem.field}: ${problem.message}`;

/**
 * The socket service for the service entry `serviceName` (default: the first) of an xinetd file's
 * text; `services` gives the port of a service that names none, as xinetd looks it up. Throws,
 * naming every attribute, when the file does not read or systemd cannot express it.
 */
export function migrateXinetdService(text: string, services: ServicesTable, serviceName?: string): Migration {
  const reading = readXinetdService(parseXinetdDocument(text), serviceName);
  const unreadable = reading.problems.filter((problem) => problem.severity === "error");
  if (unreadable.length > 0)
    throw new Error(`the xinetd service does not read as xinetd reads it:\n  ${unreadable.map(line).join("\n  ")}`);
  const { model, problems } = systemdSocketServiceFromXinetd(reading.model, { services });
  const refused = problems.filter((problem) => problem.severity === "error");
  if (refused.length > 0)
    throw new Error(`systemd cannot express \`service ${model.name}\` as it is:\n  ${refused.map(line).join("\n  ")}`);
  const { name, ...settings }: SystemdSocketServiceModel = model;
  return {
    args: { serviceName: name, ...settings },
    approximations: problems.filter((problem) => problem.severity === "warning").map(line),
  };
}

const config = new pulumi.Config();
const connection = {
  host: config.require("host"),
  port: config.getNumber("port") ?? 22,
  user: config.get("user") ?? "root",
  privateKey: config.requireSecret("privateKey"),
  // Without it the host must be listed in ~/.ssh/known_hosts (or /etc/ssh/ssh_known_hosts).
  hostKey: config.get("hostKey"),
};
const xinetdFile = config.get("xinetdFile");
const text = xinetdFile === undefined ? config.require("xinetdService") : readFileSync(xinetdFile, "utf8");
// xinetd finds a listed service's port in the host's /etc/services; the standard table is the same everywhere.
const services = parseServicesTable(readFileSync(config.get("servicesFile") ?? "/etc/services", "utf8"));
const migration = migrateXinetdService(text, services, config.get("serviceName"));
for (const approximation of migration.approximations) pulumi.log.warn(`approximated: ${approximation}`);

// `listenPort` lets the units listen beside the running xinetd service, to try them before the switch.
const listenPort = config.getNumber("listenPort");
const service = new SystemdSocketService(String(migration.args.serviceName), {
  ...migration.args,
  ...(listenPort === undefined ? {} : { port: listenPort }),
  connection,
});

/** The units' paths on the host. */
export const socketUnit = service.socketPath;
export const serviceUnit = service.servicePath;
/** What systemd expresses only roughly or leaves to the journal, as printed. */
export const approximations = migration.approximations;
