/** The doctor's report for a person: what serves the port, then each finding (errors first), then the logs. */
import type { Diagnosis, ServerReport } from "./types";

function servedBy(server: ServerReport): string {
  const process = server.process ? ` (pid ${server.process.pid})` : "";
  const entry = server.xinetdService;
  const on = server.listening.length > 0 ? `, listening on ${server.listening.join(", ")}` : "";
  switch (server.launcher) {
    case "xinetd":
      return `xinetd${process}${entry ? `, service \`${entry.name}\` in ${entry.file}` : ""}${on}`;
    case "systemd-socket":
      return `systemd socket unit${server.unit ? ` ${server.unit.name}` : ""}${
        server.unit?.service ? ` (starts ${server.unit.service})` : ""
      }${on}`;
    case "standalone":
      return `a standalone rsync daemon${process}: ${server.process?.commandLine ?? ""}${on}`;
    case "other":
      return `${server.process?.name ?? "another program"}${process}, not rsync${on}`;
    case "none":
      return "nothing listens";
  }
}

export function renderReport(diagnosis: Diagnosis): string {
  const { server } = diagnosis;
  const out: string[] = [];
  out.push(`rsync on ${diagnosis.host}, port ${diagnosis.port}`);
  out.push(`  served by: ${servedBy(server)}`);
  if (server.xinetdService && server.launcher !== "xinetd") {
    const s = server.xinetdService;
    out.push(`  xinetd entry: \`${s.name}\` in ${s.file}${s.enabled ? "" : " (disabled)"}`);
  }
  const from = { option: "--config", launcher: "the launcher's --config", default: "rsync's default" }[
    server.configFrom
  ];
  out.push(`  config: ${server.configPath} (${from}); the daemon starts as ${server.daemonUser}`);
  if (diagnosis.modules.length > 0) {
    const modules = diagnosis.modules.map(
      (m) => `${m.name}${m.listed ? "" : " (not listed)"}${m.connect === "failed" ? " (connect failed)" : ""}`,
    );
    out.push(`  modules: ${modules.join(", ")}`);
  }
  if (diagnosis.client) {
    const c = diagnosis.client;
    out.push(
      `  from here: ${c.outcome === "listed" ? `listed ${c.modules.length} module(s)` : c.outcome}` +
        `${c.detail ? ` (${c.detail})` : ""}`,
    );
  }
  for (const item of diagnosis.findings) {
    out.push("", `${item.severity.toUpperCase()} ${item.code}: ${item.message}`);
    for (const line of item.evidence) out.push(`    | ${line}`);
    out.push(`  fix: ${item.fix}`);
  }
  for (const log of diagnosis.logs) {
    out.push("", `last lines of ${log.source}:`);
    for (const line of log.lines.slice(-15)) out.push(`    | ${line}`);
  }
  const count = (severity: string) => diagnosis.findings.filter((f) => f.severity === severity).length;
  out.push("", `${count("error")} error(s), ${count("warning")} warning(s), ${count("info")} note(s)`);
  return `${out.join("\n")}\n`;
}
