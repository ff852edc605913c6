/** Findings about what serves the port: listeners, xinetd, systemd socket units, IPv6. Pure. */
import { finding } from "./findings";
import type { HostEvidence } from "./host-probe";
import { socketUnitsOn } from "./launcher";
import type { Finding, ServerReport } from "./types";
import type { XinetdEntry } from "./xinetd-entries";

const LOG_EVIDENCE_LINES = 8;

/** The lines of the xinetd log (file or journal) that mention the entry's file or service name. */
export function xinetdLogLines(evidence: HostEvidence, entries: readonly XinetdEntry[]): string[] {
  const lines = evidence.logs.filter((log) => log.source.startsWith("xinetd:")).flatMap((log) => log.lines);
  const mentions = (line: string) =>
    entries.some(
      (entry) =>
        line.includes(`[file=${entry.file}]`) ||
        new RegExp(`[Ss]ervice(?: =)? ${escapeRegExp(entry.name)}\\b`).test(line) ||
        line.includes(`service ${entry.name} `),
    );
  const relevant = lines.filter((line) => !/: DEBUG: /.test(line) && mentions(line));
  // xinetd retries a failed bind about ten times a second: one line per distinct message.
  const message = (line: string) => line.replace(/^\S+ xinetd\[\d+\]: /, "").replace(/^\S+ \S+ xinetd\[\d+\]: /, "");
  const distinct = relevant.filter((line, i) => i === 0 || message(line) !== message(relevant[i - 1]!));
  return distinct.filter((line) => !/bind retry attempt/.test(line)).slice(-LOG_EVIDENCE_LINES);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** A unit's state as `systemctl show` gave it, when the host has systemd and the unit is known. */
function unitState(evidence: HostEvidence, name: string): string[] {
  const properties = evidence.units.get(name);
  if (properties === undefined || properties.LoadState === "not-found") return [];
  const state = ["ActiveState", "SubState", "UnitFileState"].map((key) => `${key}=${properties[key] ?? "?"}`);
  return [`${name}: ${state.join(" ")}`];
}

function where(entry: XinetdEntry): string {
  return `\`service ${entry.name}\` (${entry.file}:${entry.line})`;
}

export function serverFindings(
  evidence: HostEvidence,
  rsyncEntries: readonly XinetdEntry[],
  allEntries: readonly XinetdEntry[],
  server: ServerReport,
  port: number,
): Finding[] {
  const findings: Finding[] = [];
  const listening = (evidence.listeners?.length ?? 0) > 0;
  const byXinetd = server.launcher === "xinetd";
  const enabled = rsyncEntries.filter((entry) => !entry.disabled);
  const logLines = xinetdLogLines(evidence, rsyncEntries);
  const units = socketUnitsOn(evidence, port);

  if (evidence.listeners !== undefined && !listening) {
    const configured = [
      ...rsyncEntries.map((entry) => `xinetd ${where(entry)}${entry.disabled ? ", disabled" : ""}`),
      ...units.map(([name, properties]) => `systemd ${name}: ${properties.ActiveState ?? "unknown"}`),
    ];
    findings.push(
      finding(
        "nothing-listening",
        "error",
        `Nothing listens on TCP port ${port}: \`rsync rsync://HOST:${port}/\` gets "connection refused".`,
        [`ss -ltn 'sport = :${port}' shows no socket`, ...configured.map((line) => `configured: ${line}`)],
        configured.length > 0
          ? "The findings below say why the configured server does not listen."
          : "Nothing is configured to serve rsync: add an xinetd service (`service rsync`, " +
              "`server = /usr/bin/rsync`, " +
              "`server_args = --daemon`), a socket unit, or start `rsync --daemon`.",
      ),
    );
  }

  const holder = server.process;
  if (server.launcher === "standalone" && holder) {
    const contested = enabled.length > 0 || units.length > 0;
    findings.push(
      finding(
        "standalone-daemon",
        contested ? "error" : "info",
        contested
          ? `A standalone \`rsync --daemon\` (pid ${holder.pid}) holds port ${port}, so ` +
              `${enabled.length > 0 ? `xinetd's ${where(enabled[0]!)}` : `the socket unit ${units[0]![0]}`} ` +
              "cannot bind it."
          : `Port ${port} is served by a standalone \`rsync --daemon\` (pid ${holder.pid}), not by xinetd.`,
        [`pid ${holder.pid}: ${holder.commandLine}`, ...(contested ? logLines : [])],
        contested
          ? "Stop and disable the standalone daemon (`systemctl disable --now rsync`, or `service rsync stop` and " +
              "`update-rc.d rsync disable`), then reload xinetd."
          : "Nothing to do if that is intended. It reads rsyncd.conf's global part (`port`, `address`) only at " +
              "start, " +
              "and SIGHUP stops it rather than reloading it.",
      ),
    );
  }
  if (server.launcher === "other" && holder) {
    findings.push(
      finding(
        "port-held-by-other",
        "error",
        `Port ${port} is held by \`${holder.name}\` (pid ${holder.pid}), not by rsync, xinetd or systemd.`,
        [`pid ${holder.pid}: ${holder.commandLine}`, ...logLines],
        `Stop \`${holder.name}\` or move it to another port, then reload xinetd.`,
      ),
    );
  }

  if (enabled.length > 0 && evidence.xinetd.state !== "running" && !byXinetd) {
    findings.push(
      finding(
        "xinetd-not-running",
        "error",
        `xinetd is ${evidence.xinetd.state === "absent" ? "not installed" : "not running"}, so ${where(enabled[0]!)} ` +
          "is served by nobody.",
        [
          evidence.xinetd.state === "absent" ? "no xinetd binary" : "no xinetd process (pid file and process list)",
          ...unitState(evidence, "xinetd.service"),
          ...evidence.logs.filter((log) => log.source.startsWith("xinetd:")).flatMap((log) => log.lines.slice(-3)),
        ],
        evidence.xinetd.state === "absent"
          ? "Install xinetd (`apt-get install xinetd`) or serve rsync another way."
          : evidence.systemd
            ? "Start it and make it start at boot: `systemctl enable --now xinetd`."
            : "Start it: `service xinetd start` (and `update-rc.d xinetd enable` for boot).",
      ),
    );
  }

  // With a socket unit on the port, a disabled xinetd entry is the switch to socket activation.
  if (rsyncEntries.length > 0 && enabled.length === 0 && !listening && units.length === 0) {
    const chkconfig = (evidence.chkconfig ?? []).filter((line) => rsyncEntries.some((e) => line.includes(e.name)));
    findings.push(
      finding(
        "xinetd-service-disabled",
        "error",
        `xinetd's ${where(rsyncEntries[0]!)} is disabled, so xinetd does not listen on port ${port}.`,
        [...rsyncEntries.map((entry) => entry.disabledBy ?? where(entry)), ...chkconfig.map((l) => `chkconfig: ${l}`)],
        `Set \`disable = no\` in ${rsyncEntries[0]!.file} (or \`chkconfig rsync on\`), then reload xinetd ` +
          `(\`${evidence.systemd ? "systemctl reload xinetd" : "service xinetd reload"}\`).`,
      ),
    );
  }

  const deactivation = cpsDeactivation(evidence, rsyncEntries);
  // What else already explains why xinetd does not hold the port.
  const explained = server.launcher === "standalone" || server.launcher === "other" || deactivation?.stillDown === true;
  if (evidence.xinetd.state === "running") {
    for (const entry of enabled) {
      const reasons: string[] = [];
      if (entry.skippedFile) {
        reasons.push(`${entry.file}: xinetd's \`includedir\` skips file names holding a \`.\` or ending in \`~\``);
      }
      reasons.push(...entry.errors);
      const duplicates = allEntries.filter(
        (other) =>
          other !== entry && other.id === entry.id && !other.disabled && !other.skippedFile && !entry.skippedFile,
      );
      if (duplicates.length > 0) {
        reasons.push(
          `id \`${entry.id}\` is also used by ${duplicates.map(where).join(", ")}: xinetd keeps one service per id`,
        );
      }
      const unexplained = !byXinetd && !explained && entry === enabled[0];
      if (reasons.length === 0 && !unexplained) continue;
      findings.push(
        finding(
          "xinetd-service-not-loaded",
          !byXinetd || duplicates.length > 0 ? "error" : "warning",
          `xinetd ${entry.skippedFile ? "skips" : "did not load"} ${where(entry)}` +
            (reasons.length > 0 ? "" : " although it is enabled and xinetd runs") +
            (byXinetd ? "." : `, so it does not serve port ${port}.`),
          [...reasons, ...logLines],
          entry.skippedFile
            ? `Rename ${entry.file} to a name without \`.\` or \`~\` (e.g. \`/etc/xinetd.d/${entry.name}\`), ` +
                "then reload xinetd."
            : duplicates.length > 0
              ? "Give each entry its own `id` (or remove the copy), then reload xinetd."
              : "Fix what xinetd's log names above, then reload xinetd.",
        ),
      );
    }
  }

  if (deactivation) {
    const down = deactivation.stillDown && !byXinetd;
    findings.push(
      finding(
        "xinetd-cps-deactivated",
        down ? "error" : "warning",
        down
          ? `xinetd deactivated \`${deactivation.name}\` for too many connections per second (its \`cps\` limit); ` +
              "it does not listen until the pause ends."
          : `xinetd deactivated \`${deactivation.name}\` for too many connections per second (its \`cps\` limit) ` +
              "and activated it again later.",
        deactivation.lines,
        "Raise `cps` in the service entry (`cps = 200 5`: connections per second, seconds paused), or find the " +
          "client that floods it; then reload xinetd.",
      ),
    );
  }

  for (const [name, properties] of units) {
    if (properties.ActiveState === "active" || listening) continue;
    findings.push(
      finding(
        "socket-unit-inactive",
        "error",
        `The systemd socket unit \`${name}\` is meant to listen on port ${port} but ` +
          (properties.ActiveState === "failed" ? "failed to." : `is ${properties.ActiveState ?? "not active"}.`),
        [
          ...unitState(evidence, name),
          `Listen=${properties.Listen ?? ""}`,
          ...evidence.logs
            .filter((log) => log.source === "rsync:journal")
            .flatMap((log) => log.lines.filter((line) => line.includes(name)).slice(-LOG_EVIDENCE_LINES)),
        ],
        properties.ActiveState === "failed"
          ? `Fix what its journal names above (\`journalctl -u ${name}\`), then \`systemctl reset-failed ${name} && ` +
              `systemctl enable --now ${name}\`.`
          : `Start it and make it start at boot: \`systemctl enable --now ${name}\`.`,
      ),
    );
  }

  const ipv6Entries = enabled.filter((entry) =>
    (entry.model.flags ?? []).some((flag) => flag.toUpperCase() === "IPV6"),
  );
  if (ipv6Entries.length > 0 && evidence.ipv6 !== "available") {
    const afLines = logLines.filter((line) => /errno = 97|Address family not supported/.test(line));
    findings.push(
      finding(
        "ipv6-unavailable",
        evidence.ipv6 === "none" ? "error" : "warning",
        evidence.ipv6 === "none"
          ? `${where(ipv6Entries[0]!)} sets \`flags = IPv6\` but this host has no IPv6: xinetd cannot open its socket.`
          : `${where(ipv6Entries[0]!)} sets \`flags = IPv6\` but IPv6 is disabled on every interface ` +
              "(`net.ipv6.conf.all.disable_ipv6 = 1`): only IPv4 clients, through mapped addresses, can reach it.",
        [evidence.ipv6 === "none" ? "/proc/net/if_inet6 is absent" : "net.ipv6.conf.all.disable_ipv6 = 1", ...afLines],
        "Drop `IPv6` from `flags` (xinetd then listens on IPv4), or enable IPv6 on the host; then reload xinetd.",
      ),
    );
  }
  return findings;
}

/** The last "Deactivating service … due to excessive incoming connections" of an rsync entry, if any. */
function cpsDeactivation(
  evidence: HostEvidence,
  entries: readonly XinetdEntry[],
): { name: string; lines: string[]; stillDown: boolean } | undefined {
  const lines = evidence.logs.filter((log) => log.source.startsWith("xinetd:")).flatMap((log) => log.lines);
  for (const entry of entries) {
    const name = escapeRegExp(entry.name);
    const deactivated = new RegExp(`Deactivating service ${name} due to excessive incoming connections`);
    const activated = new RegExp(`Activating service ${name}\\b`);
    let last = -1;
    lines.forEach((line, index) => {
      if (deactivated.test(line)) last = index;
    });
    if (last < 0) continue;
    const after = lines.slice(last + 1).filter((line) => activated.test(line) && !deactivated.test(line));
    return { name: entry.name, lines: [lines[last]!, ...after.slice(0, 1)], stillDown: after.length === 0 };
  }
  return undefined;
}
