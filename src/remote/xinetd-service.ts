/**
 * Changing xinetd service files with one reload per burst: every change to a host joins that
 * host's batch; when no change to the host is still in flight and none started in the last moment
 * (the settle delay), xinetd is reloaded once, the batch's services are verified, failing files
 * are rolled back, and every waiting operation gets its own outcome.
 */
import { posix } from "node:path";

import type { XinetdServiceModel } from "../formats";
import { DEFAULT_RELOAD, DEFAULT_RSYNCD_CONFIG_PATH } from "../schema";
import {
  changeRemoteFile,
  companionPaths,
  DEFAULT_LOCK_WAIT_SECONDS,
  type ChangeFileOptions,
  type EditResult,
  type FileChange,
} from "./change-file";
import { RemoteError } from "./errors";
import {
  detectXinetdHost,
  reloadAndObserve,
  reloadCommand,
  startCommand,
  type ReloadObservation,
  type ReloadStrategy,
  type ServiceCheck,
  type ServiceProbe,
  type XinetdHostFacts,
  type XinetdLogSource,
} from "./reload";
import { describePortConflict, rsyncDiagnostics } from "./rsync";
import { Burst } from "./burst";
import { remoteScript } from "./scripts";
import type { CommandRunner } from "./transport";
import { xinetdServicesOf } from "./validation";

export interface XinetdReloaderOptions {
  /** Default: detected on the host (systemctl, else service, else a HUP to xinetd's pid). */
  strategy?: ReloadStrategy;
  /**
   * How long after the latest change to the host started its batch may be reloaded (once no change
   * is in flight): later changes of the same burst join it. Default: 100 ms.
   */
  settleMs?: number;
}

export interface ReloadOutcome {
  /** What reloaded xinetd; `none` when the strategy is `none`. */
  strategy: string;
  /** How many changed files this one reload covered. */
  batchSize: number;
  /** The checks of this operation's services (empty with strategy `none`). */
  services: ServiceCheck[];
}

export interface XinetdServiceChange {
  change: FileChange;
  /** Undefined when the file did not change (no reload needed) and `verifyUnchanged` was not asked. */
  reload?: ReloadOutcome;
}

interface PendingChange {
  path: string;
  change: FileChange;
  resolve: (outcome: ReloadOutcome) => void;
  reject: (error: unknown) => void;
}

/**
 * `verifyUnchanged`: reload and verify even when the file is already as wanted, for a change
 * whose earlier attempt may have written the file but not reloaded xinetd (a cut connection).
 */
interface VerifyOption {
  verifyUnchanged?: boolean;
}

const DEFAULT_SETTLE_MS = 100;
/** The `command` of the RemoteError a failed reload verification raises. */
export const RELOAD_VERIFICATION_COMMAND = "reload xinetd";
const EXPLAINING_LOG_LINES = 15;

export class XinetdReloader {
  private readonly burst: Burst<PendingChange>;
  private facts: Promise<XinetdHostFacts> | undefined;

  constructor(
    private readonly runner: CommandRunner,
    private readonly options: XinetdReloaderOptions = {},
  ) {
    this.burst = new Burst((batch) => this.flush(batch), options.settleMs ?? DEFAULT_SETTLE_MS);
  }

  /**
   * Changes the service file at `path` (validated by xinetd on the host) and, when it changed,
   * waits for the batch's reload and its verification. Rejects with a RemoteError carrying
   * xinetd's log lines when the service did not come up; the file is then back as it was.
   */
  async changeService(
    path: string,
    edit: (current: string | undefined) => EditResult,
    options: Omit<ChangeFileOptions, "validate"> & VerifyOption = {},
  ): Promise<XinetdServiceChange> {
    const { verifyUnchanged, ...fileOptions } = options;
    let outcome: Promise<ReloadOutcome> | undefined;
    // The reload needs to know how xinetd runs: learned while the change runs, not after it.
    const detectingEdit = (current: string | undefined): EditResult => {
      const wanted = edit(current);
      if (wanted !== undefined) this.detectAhead();
      return wanted;
    };
    const change = await this.burst.during(async () => {
      const changing = changeRemoteFile(this.runner, path, detectingEdit, {
        ...fileOptions,
        validate: "xinetd-service",
      });
      // Asked for after the change, so the change gets the first channel once the host is dialed.
      if (verifyUnchanged === true) this.detectAhead();
      const change = await changing;
      if (change.changed || (verifyUnchanged === true && change.content !== undefined)) {
        outcome = new Promise((resolve, reject) => this.burst.add({ path, change, resolve, reject }));
      }
      return change;
    });
    return outcome ? { change, reload: await outcome } : { change };
  }

  private async flush(batch: PendingChange[]): Promise<void> {
    try {
      const strategy = this.options.strategy ?? (await this.hostFacts()).strategy;
      if (strategy === "none") {
        for (const entry of batch) entry.resolve({ strategy: "none", batchSize: batch.length, services: [] });
        return;
      }
      const { logSource } = await this.hostFacts();
      const probesByPath = new Map(batch.map((entry) => [entry.path, probesOf(entry.change.content)]));
      const observation = await reloadAndObserve(
        this.runner,
        reloadCommand(strategy),
        logSource,
        [...probesByPath.values()].flat(),
      );
      const failing = batch.filter(
        (entry) => !observation.xinetdRunning || failedChecks(observation, probesByPath.get(entry.path)!).length > 0,
      );
      const strategyName = typeof strategy === "object" ? strategy.command : strategy;
      for (const entry of batch) {
        if (failing.includes(entry)) continue;
        entry.resolve({
          strategy: strategyName,
          batchSize: batch.length,
          services: checksOf(observation, probesByPath.get(entry.path)!),
        });
      }
      if (failing.length === 0) return;

      // A file this run did not change has nothing to roll back to: its previous copy is older.
      const changed = failing.filter((entry) => entry.change.changed);
      const rollback = changed.length > 0 ? await this.rollBack(changed, strategy, logSource) : "";
      for (const entry of failing) {
        const note = entry.change.changed
          ? `rolled back (${rollback})`
          : "the file was already as it is; nothing rolled back";
        entry.reject(await this.failure(entry, observation, probesByPath.get(entry.path)!, note, logSource));
      }
    } catch (error) {
      for (const entry of batch) entry.reject(error);
    }
  }

  /**
   * Starts the detection of how xinetd runs, when a reload will need it, without waiting for it; a
   * failure is left for the reload's own call to `hostFacts` to meet (and report).
   */
  private detectAhead(): void {
    if (this.options.strategy === "none") return;
    this.hostFacts().catch(() => undefined);
  }

  private hostFacts(): Promise<XinetdHostFacts> {
    this.facts ??= detectXinetdHost(this.runner).catch((error: unknown) => {
      this.facts = undefined;
      throw error;
    });
    return this.facts;
  }

  /** Puts the previous files back (only where nobody changed them since), reloads, restarts a dead xinetd. */
  private async rollBack(
    failing: PendingChange[],
    strategy: Exclude<ReloadStrategy, "none">,
    logSource: XinetdHostFacts["logSource"],
  ): Promise<string> {
    const notes: string[] = [];
    for (const entry of failing) {
      const restored = await restorePrevious(this.runner, entry.path, entry.change);
      notes.push(restored ? `${entry.path} restored` : `${entry.path} changed again since; left as it is`);
    }
    let after = await reloadAndObserve(this.runner, reloadCommand(strategy), logSource, []);
    const start = startCommand(strategy);
    if (!after.xinetdRunning && start) after = await reloadAndObserve(this.runner, start, logSource, []);
    notes.push(
      after.xinetdRunning ? "xinetd reloaded with the restored files" : "xinetd is NOT running after the rollback",
    );
    return notes.join("; ");
  }

  private async failure(
    entry: PendingChange,
    observation: ReloadObservation,
    probes: ServiceProbe[],
    undone: string,
    logSource: XinetdLogSource,
  ): Promise<RemoteError> {
    const reasons = observation.xinetdRunning
      ? failedChecks(observation, probes).map(describeCheck)
      : ["xinetd stopped running after the reload"];
    const services = xinetdServicesOf(entry.change.content ?? "");
    const names = services.map((service) => service.name);
    const logLines = explainingLines(observation.log, entry.path, names);
    const rsync = services.find(runsRsync);
    const rsyncLog = rsync
      ? await rsyncDiagnostics(this.runner, rsyncConfigOf(rsync)).catch(() => undefined)
      : undefined;
    const summary = `reloading xinetd with ${entry.path} failed verification: ${reasons.join("; ")}; ${undone}`;
    // Multi-line details travel as stderr, which RemoteError's message shows line by line.
    const details = [
      logLines ? `${logName(logSource)}:\n${logLines}` : "xinetd logged nothing about it",
      ...(observation.reloadOutput ? [`reload command said:\n${observation.reloadOutput}`] : []),
      ...(rsyncLog ? [rsyncLog] : []),
    ].join("\n");
    return new RemoteError({
      code: "command-failed",
      host: this.runner.label,
      command: RELOAD_VERIFICATION_COMMAND,
      summary,
      stdout: observation.log,
      stderr: details,
    });
  }
}

/**
 * Two services on one host asking for different reload strategies. One reload covers every service
 * changed on a host, so they cannot both have their way; raised before anything reaches the host.
 */
export class ReloadConflictError extends Error {
  override readonly name = "ReloadConflictError";
}

interface HostReloader {
  reloader: XinetdReloader;
  /** The strategy every service on the host must ask for: the first one's (`undefined`: detected). */
  strategy: ReloadStrategy | undefined;
  /** The service file of the operation that created it, named in a conflict. */
  service: string;
}

// Keyed by identity, not by runner object (every resource opens its own runner) nor by label: the
// reloader writes, detects and reloads with its first caller's runner, which must be as good as theirs.
const reloaders = new Map<string, HostReloader>();

/** A strategy as a user writes it in `reload`. */
function describeStrategy(strategy: ReloadStrategy | undefined): string {
  return JSON.stringify(strategy ?? DEFAULT_RELOAD);
}

/**
 * The reloader shared by every operation in this process through runners of `runner`'s identity,
 * so their reloads coalesce (and its detection of how xinetd runs is done once). `settleMs` applies
 * when it is first created. A `strategy` other than the one it was created with is refused with a
 * ReloadConflictError naming `service` and the service that created it.
 */
export function xinetdReloaderFor(
  runner: CommandRunner,
  options: XinetdReloaderOptions = {},
  service = "an operation",
): XinetdReloader {
  const existing = reloaders.get(runner.identity);
  if (!existing) {
    const reloader = new XinetdReloader(runner, options);
    reloaders.set(runner.identity, { reloader, strategy: options.strategy, service });
    return reloader;
  }
  const [wanted, current] = [describeStrategy(options.strategy), describeStrategy(existing.strategy)];
  if (wanted !== current) {
    throw new ReloadConflictError(
      `${runner.label}: \`reload\` is ${wanted} for ${service}, but ${current} for ${existing.service} on the same ` +
        `host; ` +
        "one reload covers every xinetd service changed on a host, so every XinetdService on it must set the same " +
        "`reload`.",
    );
  }
  return existing.reloader;
}

/** Changes one xinetd service file through the host's shared reloader. */
export async function changeXinetdService(
  runner: CommandRunner,
  path: string,
  edit: (current: string | undefined) => EditResult,
  options: Omit<ChangeFileOptions, "validate"> & XinetdReloaderOptions & VerifyOption = {},
): Promise<XinetdServiceChange> {
  const { strategy, settleMs, ...fileOptions } = options;
  const reloaderOptions = {
    ...(strategy === undefined ? {} : { strategy }),
    ...(settleMs === undefined ? {} : { settleMs }),
  };
  return xinetdReloaderFor(runner, reloaderOptions, path).changeService(path, edit, fileOptions);
}

function probesOf(content: string | undefined): ServiceProbe[] {
  return xinetdServicesOf(content ?? "")
    .filter((service) => service.disable !== true && !(service.type ?? []).some((type) => type.toUpperCase() === "RPC"))
    .map((service) => ({
      name: service.name,
      protocol:
        service.protocol ??
        (service.socketType === "dgram"
          ? "udp"
          : service.socketType === "stream"
            ? "tcp"
            : (service.socketType ?? "tcp")),
      ...(service.port === undefined ? {} : { port: service.port }),
    }));
}

function checksOf(observation: ReloadObservation, probes: ServiceProbe[]): ServiceCheck[] {
  // Several entries may share a name (`service echo` with different ids): the port tells them apart.
  return probes.flatMap((probe) =>
    observation.services.filter(
      (check) =>
        check.name === probe.name &&
        check.protocol === probe.protocol &&
        (probe.port === undefined || check.port === probe.port),
    ),
  );
}

function failedChecks(observation: ReloadObservation, probes: ServiceProbe[]): ServiceCheck[] {
  return checksOf(observation, probes).filter(
    (check) => check.state === "missing" || check.state === "held" || check.state === "unknown-port",
  );
}

function describeCheck(check: ServiceCheck): string {
  const port = check.port ?? "?";
  switch (check.state) {
    case "held":
      return describePortConflict(check.name, check.port ?? 0, check.holder, check.pid);
    case "unknown-port":
      return `service ${check.name} has no port in /etc/services for ${check.protocol}`;
    default:
      return `service ${check.name} is not listening on ${check.protocol} port ${port}`;
  }
}

/** The lines that explain a failure: errors and warnings, and any line naming the file or a service. */
function explainingLines(log: string, path: string, services: string[]): string {
  const lines = log
    .split("\n")
    .filter(
      (line) =>
        /\b(ERROR|WARNING|CRITICAL)\b/.test(line) ||
        line.includes(path) ||
        services.some((name) => line.includes(name)),
    );
  // xinetd retries a failed bind many times in a second: one line per distinct message is enough.
  // A log file's line starts `TIME xinetd[PID]: `, the journal's `TIME HOST xinetd[PID]: `.
  const messageOf = (line: string) => line.replace(/^(?:\S+ ){1,2}xinetd\[\d+\]: /, "");
  const distinct = lines.filter((line, index) => index === 0 || messageOf(line) !== messageOf(lines[index - 1]!));
  return distinct.slice(-EXPLAINING_LOG_LINES).join("\n");
}

/** Where the explaining lines come from, as the error names it. */
function logName(logSource: XinetdLogSource): string {
  return logSource.kind === "journal"
    ? "xinetd's journal (journalctl -u xinetd)"
    : logSource.kind === "file" || logSource.kind === "syslog"
      ? `xinetd's log (${logSource.path})`
      : "xinetd's log";
}

function runsRsync(service: XinetdServiceModel): boolean {
  return posix.basename(service.server ?? "") === "rsync" || (service.serverArgs ?? []).includes("--daemon");
}

function rsyncConfigOf(service: XinetdServiceModel): string {
  const option = (service.serverArgs ?? []).find((arg) => arg.startsWith("--config="));
  return option ? option.slice("--config=".length) : DEFAULT_RSYNCD_CONFIG_PATH;
}

/**
 * Undoes one change under the file's lock, but only while the file still holds what that change
 * wrote (compared on the host with `cmp`), so a later change is never reverted. One round trip.
 */
async function restorePrevious(runner: CommandRunner, path: string, change: FileChange): Promise<boolean> {
  const { lock, previous } = companionPaths(path);
  const script = remoteScript("restore-previous", {
    target: path,
    dir: posix.dirname(path),
    lock,
    lock_wait: String(DEFAULT_LOCK_WAIT_SECONDS),
    previous,
    expect: change.content === undefined ? "absent" : "content",
    restore: change.previous === undefined ? "remove" : "previous",
  });
  const result = await runner.run(script, {
    stdin: change.content ?? "",
    timeoutMs: (DEFAULT_LOCK_WAIT_SECONDS + 60) * 1000,
  });
  if (result.exitCode !== 0) {
    throw new RemoteError({
      code: "command-failed",
      host: runner.label,
      command: script,
      summary: `could not roll back ${path}`,
      stderr: result.stderr,
      exitCode: result.exitCode,
    });
  }
  return result.stdout.includes("RESTORED");
}
