/**
 * Reloading xinetd on a host and checking the result: one round trip runs the reload, waits for
 * xinetd to finish reconfiguring, and reports whether it still runs, which services listen, and
 * what xinetd logged meanwhile.
 */
import { RemoteError, commandFailedError } from "./errors";
import { remoteScript } from "./scripts";
import type { CommandRunner } from "./transport";

export type ReloadStrategy = "systemctl" | "service" | "signal" | "none" | { command: string };

/** Where xinetd's messages go on a host. */
export type XinetdLogSource =
  { kind: "file"; path: string } | { kind: "syslog"; path: string } | { kind: "journal" } | { kind: "none" };

export interface XinetdHostFacts {
  strategy: Exclude<ReloadStrategy, "none" | { command: string }>;
  logSource: XinetdLogSource;
}

/**
 * Debian 12's init script writes this (also under systemd); Debian 13's unit writes none, so the
 * scripts also ask systemd (scripts/xinetd-pid.sh). `signal` only ever signals a process named xinetd.
 */
const PID_FILE = "/run/xinetd.pid";

/** How to reload xinetd on this host and where it logs (one round trip). */
export async function detectXinetdHost(runner: CommandRunner): Promise<XinetdHostFacts> {
  const script = remoteScript("detect-xinetd", { pid_file: PID_FILE });
  const result = await runner.run(script);
  if (result.exitCode !== 0) throw commandFailedError(runner.label, script, result);
  const strategy = /^STRATEGY (\S+)$/m.exec(result.stdout)?.[1];
  const log = /^LOG (\S+)(?: (.+))?$/m.exec(result.stdout);
  if ((strategy !== "systemctl" && strategy !== "service" && strategy !== "signal") || !log) {
    throw new RemoteError({
      code: "command-failed",
      host: runner.label,
      command: script,
      summary: "could not tell how xinetd runs",
      stdout: result.stdout,
    });
  }
  const kind = log[1];
  const logSource: XinetdLogSource =
    kind === "file" || kind === "syslog"
      ? { kind, path: log[2] ?? "" }
      : kind === "journal"
        ? { kind: "journal" }
        : { kind: "none" };
  return { strategy, logSource };
}

/** The reload as shell text for reload-observe.sh, which defines the `xinetd_pid` it may call. */
export function reloadCommand(strategy: Exclude<ReloadStrategy, "none">): string {
  if (typeof strategy === "object") return strategy.command;
  switch (strategy) {
    case "systemctl":
      return "systemctl reload xinetd";
    case "service":
      return "service xinetd reload";
    case "signal":
      // Never a blind HUP: a standalone rsync daemon dies of it. xinetd_pid checks the process's name.
      return 'pid=$(xinetd_pid) && kill -HUP "$pid"';
  }
}

/** How to bring xinetd back after a failed reload killed it, when the strategy knows one. */
export function startCommand(strategy: Exclude<ReloadStrategy, "none">): string | undefined {
  if (strategy === "systemctl") return "systemctl start xinetd";
  if (strategy === "service") return "service xinetd start";
  return undefined;
}

/** A service to find listening after the reload. */
export interface ServiceProbe {
  name: string;
  protocol: string;
  /** Undefined: looked up in the host's /etc/services. */
  port?: number;
}

export type ServiceState =
  | { state: "listening" }
  | { state: "missing" }
  | { state: "unchecked" }
  | { state: "unknown-port" }
  /** Something other than xinetd holds the port (a standalone daemon, typically). */
  | { state: "held"; holder: string; pid?: number };

export type ServiceCheck = { name: string; protocol: string; port?: number } & ServiceState;

export interface ReloadObservation {
  /** Exit status of the reload command. */
  reloadStatus: number;
  reloadOutput: string;
  xinetdRunning: boolean;
  services: ServiceCheck[];
  /** What xinetd logged from just before the reload until the checks ended. */
  log: string;
}

/**
 * Runs `command` (a reload or a start; `undefined` only observes), waits until xinetd logs that
 * it has reconfigured (or exits), then until every probed service listens (bounded), and reports.
 */
export async function reloadAndObserve(
  runner: CommandRunner,
  command: string | undefined,
  logSource: XinetdLogSource,
  probes: readonly ServiceProbe[],
): Promise<ReloadObservation> {
  const script = remoteScript("reload-observe", {
    reload_command: command ?? "",
    log_kind: logSource.kind,
    log_path: logSource.kind === "file" || logSource.kind === "syslog" ? logSource.path : "",
    pid_file: PID_FILE,
  });
  const input = probes.map((probe) => `${probe.name} ${probe.protocol} ${probe.port ?? "-"}\n`).join("");
  const result = await runner.run(script, { stdin: input });
  if (result.exitCode !== 0) throw commandFailedError(runner.label, script, result);
  return parseObservation(result.stdout);
}

function parseObservation(stdout: string): ReloadObservation {
  const logStart = stdout.indexOf("\nLOG\n");
  const outputStart = stdout.lastIndexOf("\nRELOAD_OUTPUT\n");
  const head = stdout.slice(0, logStart).split("\n");
  const services: ServiceCheck[] = [];
  for (const line of head) {
    const [tag, name, protocol, port, state, holder, pid] = line.split(" ");
    if (tag !== "SERVICE" || !name || !protocol || !state) continue;
    const base = { name, protocol, ...(port === "-" || port === undefined ? {} : { port: Number(port) }) };
    if (state === "held")
      services.push({ ...base, state, holder: holder ?? "?", ...(pid ? { pid: Number(pid) } : {}) });
    else if (state === "listening" || state === "missing" || state === "unchecked" || state === "unknown-port")
      services.push({ ...base, state });
  }
  return {
    reloadStatus: Number(/^RELOAD (\d+)$/m.exec(stdout)?.[1] ?? "1"),
    xinetdRunning: /^XINETD running$/m.test(stdout),
    services,
    log: stdout.slice(logStart + "\nLOG\n".length, outputStart + 1).trimEnd(),
    reloadOutput: stdout.slice(outputStart + "\nRELOAD_OUTPUT\n".length).trimEnd(),
  };
}
