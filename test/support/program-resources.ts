/**
 * This package's resources driven through the real dynamic-provider host as a Pulumi program's
 * resources would be: the `__provider` text registration produces, one URN per resource, the
 * engine's step choices (provider-host.ts), and what the lifecycle tests and the demo read off a
 * lab host around them (xinetd reloads, drift field by field, temporary files left behind).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

import type { ResourceKind } from "../../src/provider";
import { providerShim } from "../../src/resources/provider-shim";
import type { AnyLabHost, Lab } from "../lab/lab";
import {
  DynamicResourceLifecycle,
  dynamicUrn,
  serializeProvider,
  withoutSecretMarks,
  type DiffResult,
  type PropertyBag,
  type ProviderHost,
  type UpStep,
} from "./provider-host";

/** Each kind's type name, as in its token `pulumi-nodejs:dynamic/pulumi-xinetd:<Type>`. */
export const TYPE_NAMES: Record<ResourceKind, string> = {
  xinetdService: "XinetdService",
  rsyncModule: "RsyncModule",
  rsyncdConfig: "RsyncdConfig",
  rsyncSecrets: "RsyncSecrets",
  rsyncListing: "RsyncListing",
  rsyncLauncherCheck: "RsyncLauncherCheck",
  systemdSocketService: "SystemdSocketService",
};

/** Outputs derived from the file rather than set by a property: drift shows in the property itself. */
const DERIVED_OUTPUTS = new Set(["__provider", "content", "checksum", "schemaVersion"]);

export type ProviderTexts = Record<ResourceKind, string>;

/** Each kind's `__provider` exactly as `new <Resource>(...)` registers it. */
export async function providerTexts(): Promise<ProviderTexts> {
  const kinds = Object.keys(TYPE_NAMES) as ResourceKind[];
  const texts = await Promise.all(kinds.map((kind) => serializeProvider(providerShim(kind))));
  return Object.fromEntries(kinds.map((kind, i) => [kind, texts[i]])) as ProviderTexts;
}

export function urnOf(kind: ResourceKind, name: string): string {
  return dynamicUrn({ module: "pulumi-xinetd", type: TYPE_NAMES[kind], name });
}

/** One resource of a program, with its state as the engine would keep it. */
export class ProgramResource {
  readonly urn: string;
  private readonly lifecycle: DynamicResourceLifecycle;

  constructor(
    readonly host: ProviderHost,
    readonly kind: ResourceKind,
    readonly name: string,
    private readonly texts: ProviderTexts,
  ) {
    this.urn = urnOf(kind, name);
    this.lifecycle = new DynamicResourceLifecycle(host, this.urn);
  }

  /** `pulumi up` with these program inputs: check, then create, update, replace or nothing. */
  up(inputs: PropertyBag): Promise<UpStep> {
    return this.lifecycle.up(this.texts[this.kind], inputs);
  }

  /** `pulumi refresh`: the stored outputs become what the host has. */
  refresh(): Promise<"gone" | "refreshed"> {
    return this.lifecycle.refresh();
  }

  /** What `pulumi refresh` shows after reading: the provider's diff of host outputs against program inputs. */
  drift(): Promise<DiffResult> {
    const { id, outputs, inputs } = this.state;
    return this.host.diff(id, this.urn, withoutSecretMarks(outputs), inputs, inputs);
  }

  destroy(): Promise<void> {
    return this.lifecycle.destroy();
  }

  get inState(): boolean {
    return this.lifecycle.state !== undefined;
  }

  get state(): NonNullable<DynamicResourceLifecycle["state"]> {
    if (!this.lifecycle.state) throw new Error(`${this.urn} is not in the state`);
    return this.lifecycle.state;
  }

  get outputs(): PropertyBag {
    return this.state.outputs;
  }
}

export interface FieldDrift {
  property: string;
  stored: unknown;
  host: unknown;
}

/** The properties whose values differ between the stored outputs and refreshed ones. */
export function fieldDrift(stored: PropertyBag, refreshed: PropertyBag): FieldDrift[] {
  const keys = [...new Set([...Object.keys(stored), ...Object.keys(refreshed)])]
    .filter((key) => !DERIVED_OUTPUTS.has(key))
    .sort();
  return keys
    .filter((key) => JSON.stringify(stored[key]) !== JSON.stringify(refreshed[key]))
    .map((property) => ({ property, stored: stored[property], host: refreshed[property] }));
}

/** The connection as a program would give it: root over SSH with the lab's key, host key pinned. */
export function rootConnection(lab: Lab<AnyLabHost>, host: AnyLabHost): Record<string, unknown> {
  return { host: host.address, privateKey: lab.rootPrivateKey, hostKey: host.hostKeyLine };
}

/**
 * What an operator does before the first rsync resource on a fresh host: a namespace host has
 * /etc/rsyncd (the lab mounts it); a Debian system has none until someone makes it.
 */
export async function prepareForRsync(host: AnyLabHost): Promise<void> {
  if (host.kind === "namespace") return;
  const made = await host.exec(["mkdir", "-p", "-m", "755", "/etc/rsyncd"]);
  if (made.code !== 0) throw new Error(`mkdir /etc/rsyncd on ${host.name}: ${made.stderr}`);
}

/**
 * Lines of `unit`'s messages in the host's journal that contain `text` (a systemd host), or of
 * the log file a namespace host writes instead (`file`, under its directory).
 */
async function countLogLines(host: AnyLabHost, unit: string, file: string, text: string): Promise<number> {
  const log =
    host.kind === "namespace"
      ? readFileSync(join(host.dir, file), "utf8")
      : (await host.exec(["journalctl", "-q", "--no-pager", "-o", "cat", "-u", unit])).stdout;
  return log.split("\n").filter((line) => line.includes(text)).length;
}

/** How many times xinetd re-read its configuration (one line per SIGHUP) since the host started. */
export function xinetdReloads(host: AnyLabHost): Promise<number> {
  return countLogLines(host, "xinetd", "var/log/xinetd.log", "Starting reconfiguration");
}

/**
 * How many times systemd reloaded xinetd.service (`systemctl reload xinetd`) since a systemd host
 * started; a namespace host has no systemd, so none.
 */
export async function systemctlReloads(host: AnyLabHost): Promise<number> {
  return host.kind === "namespace" ? 0 : countLogLines(host, "xinetd", "", "Reloading xinetd.service");
}

/** How many SSH logins the host's sshd accepted since it started. */
export function sshLogins(host: AnyLabHost): Promise<number> {
  return countLogLines(host, "ssh", "var/log/sshd.log", "Accepted publickey");
}

/** The remote layer's temporary files (`.<name>.tmp.XXXXXX`) in a directory of the host. */
export async function temporaryFilesIn(host: AnyLabHost, directory: string): Promise<string[]> {
  const listing = await host.exec(["ls", "-A", directory]);
  if (listing.code !== 0) throw new Error(`ls ${directory} on ${host.name}: ${listing.stderr}`);
  return listing.stdout.split("\n").filter((name) => name.includes(".tmp."));
}
