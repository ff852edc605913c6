/**
 * `diagnoseRsyncHost`: why rsync does (not) answer on a host, from the host's own evidence. Read-only,
 * over one SSH connection, in four round trips: the probe (listeners, xinetd, systemd, logs), the
 * rsyncd.conf, the modules' files, then the module list, a real connection to each module and the
 * daemon's log. Optionally the rsync greeting from this machine too.
 */
import { RSYNC_SERVICE_PORT } from "../schema";
import { openHost, type ConnectionPool } from "../remote/ssh";
import type { CommandRunner, ConnectionArgs } from "../remote/transport";
import { ordered } from "./findings";
import { probeRsyncGreeting } from "./greeting";
import { serverFindings, xinetdLogLines } from "./host-findings";
import { inspectHost, CONNECT_TIMEOUT_SECONDS } from "./host-inspect";
import { probeHost } from "./host-probe";
import { serverReport } from "./launcher";
import {
  configFindings,
  configOf,
  connectAddress,
  connectRequests,
  fileRequests,
  logFilesOf,
  moduleFindings,
  moduleReports,
  planModules,
} from "./rsync-findings";
import type { ClientProbe, Diagnosis, Finding, LogExcerpt } from "./types";
import { finding } from "./findings";
import { readXinetdEntries, servesRsync } from "./xinetd-entries";

export interface DiagnoseOptions {
  /** Run every command through `sudo -n`. Default: false. */
  sudo?: boolean;
  /** The rsync daemon's TCP port. Default: 873. */
  rsyncPort?: number;
  /** The rsyncd.conf to examine. Default: the one the serving launcher names, else `/etc/rsyncd.conf`. */
  configPath?: string;
  /** Also speak the rsync greeting from this machine to the host's rsync port. Default: false. */
  probeFromHere?: boolean;
  /** Limit of each round trip, in ms. Default: 60 s. */
  timeoutMs?: number;
  /** The pool to connect through. Default: the process-wide one the resources use. */
  pool?: ConnectionPool;
}

const DEFAULT_TIMEOUT_MS = 60_000;
const XINETD_LOG_LINES = 30;

/**
 * Diagnoses the rsync daemon of the host `connection` reaches, with the same host-key trust as
 * the resources. Never changes the host. Throws a RemoteError only when the host cannot be
 * examined at all (no connection, no trust, a probe that fails).
 */
export async function diagnoseRsyncHost(connection: ConnectionArgs, options: DiagnoseOptions = {}): Promise<Diagnosis> {
  const runner = openHost({ connection, sudo: options.sudo ?? false }, options.pool);
  return diagnoseWithRunner(runner, connection.host, options);
}

/** `diagnoseRsyncHost` over a runner the caller already has (a resource's, on a failed check). */
export async function diagnoseWithRunner(
  runner: CommandRunner,
  host: string,
  options: Omit<DiagnoseOptions, "sudo" | "pool"> = {},
): Promise<Diagnosis> {
  const port = options.rsyncPort ?? RSYNC_SERVICE_PORT;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const client = options.probeFromHere ? probeRsyncGreeting(host, port) : undefined;

  const evidence = await probeHost(runner, port, timeoutMs);
  const entries = readXinetdEntries(evidence);
  const candidates = entries.filter((entry) => servesRsync(entry, port));
  // Files xinetd skips (`.rsync.previous`, `rsync.dpkg-old`, `rsync~`) matter only when no file it reads has the entry.
  const read = candidates.filter((entry) => !entry.skippedFile);
  const rsyncEntries = read.length > 0 ? read : candidates;
  const server = serverReport(evidence, rsyncEntries, port, options.configPath);
  const findings: Finding[] = serverFindings(evidence, rsyncEntries, entries, server, port);

  const configAnswer = await inspectHost(runner, port, [["FILE", server.configPath]], timeoutMs);
  const config = configOf(configAnswer, server.configPath);
  findings.push(...configFindings(server, configAnswer, config));

  const plans = config ? planModules(config, server.daemonUser) : [];
  const logFiles = config ? logFilesOf(config) : [];
  const files = await inspectHost(runner, port, fileRequests(plans, logFiles, server.daemonUser), timeoutMs);
  const address = server.listening.length > 0 ? connectAddress(server.listening) : undefined;
  const connectTimeout = timeoutMs + plans.length * CONNECT_TIMEOUT_SECONDS * 2_000;
  const connects = await inspectHost(runner, port, connectRequests(plans, files, address, logFiles), connectTimeout);
  findings.push(...moduleFindings(plans, server, files, connects));

  const listedOnHost = connects.lines.some((line) => line === "LIST\t0");
  const probe = client && (await client);
  if (probe)
    findings.push(
      ...clientFindings(
        probe,
        listedOnHost,
        rsyncEntries.map((e) => e.model.onlyFrom),
      ),
    );

  const logs: LogExcerpt[] = [
    ...evidence.logs
      .filter((log) => log.source.startsWith("xinetd:"))
      .map((log) => ({
        source: log.source,
        lines: relevantXinetdLines(log.lines, xinetdLogLines(evidence, rsyncEntries)),
      })),
    ...evidence.logs.filter((log) => !log.source.startsWith("xinetd:")),
    ...connects.blocks
      .filter((block) => block.kind === "log")
      .map((block) => ({ source: block.name, lines: block.content.split("\n").filter(Boolean) })),
  ].filter((log) => log.lines.length > 0);

  return {
    host,
    port,
    server,
    modules: moduleReports(plans, connects),
    findings: ordered(findings),
    logs,
    ...(probe ? { client: probe } : {}),
  };
}

/** The xinetd log's last lines that matter: errors, warnings, reconfigurations and lines about rsync's entry. */
function relevantXinetdLines(lines: readonly string[], aboutRsync: readonly string[]): string[] {
  const keep = new Set(aboutRsync);
  return lines
    .filter((line) => keep.has(line) || /ERROR|WARNING|Started working|Reconfigured|Exiting/.test(line))
    .filter((line, i, all) => !/bind retry attempt/.test(line) && (i === 0 || line !== all[i - 1]))
    .slice(-XINETD_LOG_LINES);
}

function clientFindings(probe: ClientProbe, listedOnHost: boolean, onlyFrom: readonly unknown[]): Finding[] {
  if (probe.outcome === "listed") return [];
  const where = `${probe.address}:${probe.port}`;
  const restrictions = onlyFrom
    .filter((value) => value !== undefined)
    .map((value) => `only_from: ${JSON.stringify(value)}`);
  if (listedOnHost) {
    return [
      finding(
        "refused-here-answers-on-host",
        "error",
        `rsync answers on the host itself, but not from here: ${where} gave "${probe.outcome}"` +
          (probe.detail ? ` (${probe.detail})` : "") +
          ". Something between this machine and the daemon refuses it.",
        [
          `from here: ${probe.outcome}${probe.detail ? `: ${probe.detail}` : ""}`,
          "on the host: the module list",
          ...restrictions,
        ],
        "Check, in this order: a firewall on the host or the path, xinetd's `only_from`/`no_access`, xinetd's `bind` " +
          "(or rsyncd.conf's `address` for a standalone daemon), and `hosts allow` in rsyncd.conf.",
      ),
    ];
  }
  return [
    finding(
      "not-answering-here",
      "warning",
      `No module list from here either: ${where} gave "${probe.outcome}"${probe.detail ? ` (${probe.detail})` : ""}.`,
      [`from here: ${probe.outcome}${probe.detail ? `: ${probe.detail}` : ""}`],
      "The other findings say why the daemon does not answer on the host.",
    ),
  ];
}
