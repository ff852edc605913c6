/** Turning the samples of one run into the result JSON and the Markdown table. */
import { PHASES, type ContenderName, type Phase } from "./workload";

export interface Range {
  medianMs: number;
  minMs: number;
  maxMs: number;
}

/** One contender in one phase: wall time, and the controller CPU it used (median over repetitions). */
export interface PhaseFigures extends Range {
  /** User + system CPU of everything the contender ran on the controller (bench/cpu-meter.ts). */
  cpuMs: number;
}

export interface BenchResult {
  date: string;
  command: string;
  machine: { cpus: number; cpuModel: string; memoryGb: number; kernel: string; node: string; ansible?: string };
  hosts: number;
  modules: number;
  /** Resources in the fleet: hosts × (modules + 3). */
  resources: number;
  reps: number;
  /** Round trip added between the controller and every host by the latency relay; 0: none, no relay. */
  rttMs: number;
  /** The relay's counters over the run (its CPU is charged to no contender); null without a relay. */
  relay: { connections: number; bytes: number; peakHeldBytes: number } | null;
  contenders: ContenderName[];
  /** `phases.<phase>.<contender>`; a contender without the phase has no entry. */
  phases: Record<Phase, Partial<Record<ContenderName, PhaseFigures>>>;
  /** Median of the library over the other contender's median, per phase (below 1: the library is faster). */
  ratios: Record<Phase, Partial<Record<Exclude<ContenderName, "library">, number>>>;
  /** The library's xinetd reloads per host, the highest over hosts and repetitions. */
  reloadsPerHost: { converge: number; update: number };
  reloadsPerHostByContender: Partial<Record<ContenderName, { converge: number; update: number }>>;
  /** Median remote round trips per resource. */
  roundTripsPerResource: Record<Phase, Partial<Record<ContenderName, number | null>>>;
  /** Median SSH logins (TCP connections with key exchange) per host. */
  sshLoginsPerHost: Record<Phase, Partial<Record<ContenderName, number>>>;
  /** Most SSH logins on any one host, over the repetitions. */
  sshLoginsPerHostMax: Record<Phase, Partial<Record<ContenderName, number>>>;
  /**
   * Median processes created on the machine during the phase, per host (bench/process-counter.ts):
   * the hosts' sshd sessions and script commands, plus the contender's own processes on the
   * controller. Absent in results from before 2026-12-02.
   */
  processesPerHost?: Record<Phase, Partial<Record<ContenderName, number>>>;
  /** Failed operations over all phases and repetitions. */
  failedOperations: Partial<Record<ContenderName, number>>;
  /** Whether every repetition's refresh phases found exactly what they should. */
  refreshFindingsAsExpected: Partial<Record<ContenderName, { noopRefresh: boolean; driftCheck: boolean }>>;
  /** Peak resident memory (VmHWM) of the dynamic-provider host process, MiB. */
  providerPeakRssMb: number | null;
  /** Median start of a provider host (not part of the library's phase times). */
  providerHostStartMs: number | null;
  /** What the checks from inside the hosts found wrong after converge, update and destroy. */
  verificationProblems: string[];
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function rangeOf(samples: readonly number[]): Range {
  return { medianMs: round(median(samples)), minMs: round(Math.min(...samples)), maxMs: round(Math.max(...samples)) };
}

export function round(value: number, digits = 1): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** Milliseconds as seconds for the tables: two decimals, one from 10 s up. */
export function seconds(ms: number): string {
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 1000).toFixed(2)} s`;
}

function cell(range: Range | undefined): string {
  if (!range) return "—";
  return `${seconds(range.medianMs)} (${seconds(range.minMs)}–${seconds(range.maxMs)})`;
}

function cpuCell(figures: PhaseFigures | undefined, resources: number): string {
  if (!figures) return "—";
  return `${seconds(figures.cpuMs)} (${(figures.cpuMs / resources).toFixed(1)} ms)`;
}

function ratioCell(library: number | undefined, other: number | undefined): string {
  return library === undefined || other === undefined || other === 0 ? "—" : (library / other).toFixed(2);
}

/** The run as Markdown: the command, the machine, the phase table and the other figures. */
export function renderMarkdown(result: BenchResult): string {
  const contenders = result.contenders;
  const others = contenders.filter((name) => name !== "library") as Exclude<ContenderName, "library">[];
  const lines: string[] = [];
  const { machine } = result;
  lines.push(`Command: \`${result.command}\``);
  lines.push("");
  lines.push(
    `Machine: ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryGb} GB RAM, Linux ${machine.kernel}, Node ${machine.node}` +
      `${machine.ansible ? `, ansible-core ${machine.ansible}` : ""}. Run of ${result.date}: ${result.hosts} hosts × ` +
      `${result.modules} modules (${result.resources} resources), ${result.reps} repetitions.`,
  );
  lines.push("");
  const latency =
    result.rttMs === 0
      ? "no added latency (contenders dial each sshd directly)"
      : `RTT ${result.rttMs} ms added by the latency relay`;
  const heading = `H = ${result.hosts}, ${latency}; ${machine.cpus} × ${machine.cpuModel}, ${result.date.slice(0, 10)}`;
  lines.push(`Median wall time (min–max), ${heading}:`);
  lines.push("");
  const header = [
    "phase",
    ...contenders,
    ...(contenders.includes("library") ? others.map((other) => `library / ${other}`) : []),
  ];
  lines.push(`| ${header.join(" | ")} |`);
  lines.push(`|${header.map(() => "---").join("|")}|`);
  for (const phase of PHASES) {
    const ratios = contenders.includes("library")
      ? others.map((other) => {
          const ratio = result.ratios[phase][other];
          return ratio === undefined ? "—" : ratio.toFixed(2);
        })
      : [];
    const cells = [phase, ...contenders.map((name) => cell(result.phases[phase][name])), ...ratios];
    lines.push(`| ${cells.join(" | ")} |`);
  }
  lines.push("");
  lines.push(`Controller CPU, user + system, median (per resource), ${heading}:`);
  lines.push("");
  const cpuHeader = [
    "phase",
    ...contenders,
    ...(contenders.includes("library") ? others.map((other) => `library / ${other}`) : []),
  ];
  lines.push(`| ${cpuHeader.join(" | ")} |`);
  lines.push(`|${cpuHeader.map(() => "---").join("|")}|`);
  for (const phase of PHASES) {
    const figures = result.phases[phase];
    const ratios = contenders.includes("library")
      ? others.map((other) => ratioCell(figures.library?.cpuMs, figures[other]?.cpuMs))
      : [];
    lines.push(
      `| ${[phase, ...contenders.map((name) => cpuCell(figures[name], result.resources)), ...ratios].join(" | ")} |`,
    );
  }
  lines.push("");
  lines.push(
    "Remote round trips per resource (SSH logins per host: median, most on one host; processes created " +
      "on the machine per host):",
  );
  lines.push("");
  lines.push(`| phase | ${contenders.join(" | ")} |`);
  lines.push(`|---|${contenders.map(() => "---").join("|")}|`);
  for (const phase of PHASES) {
    const cells = contenders.map((name) => {
      const trips = result.roundTripsPerResource[phase][name];
      const logins = result.sshLoginsPerHost[phase][name];
      const most = result.sshLoginsPerHostMax[phase][name];
      const processes = result.processesPerHost?.[phase][name];
      return (
        `${trips === undefined || trips === null ? "—" : trips.toFixed(2)} ` +
        `(${logins === undefined ? "—" : logins}, ${most === undefined ? "—" : most}; ` +
        `${processes === undefined ? "—" : processes.toFixed(0)})`
      );
    });
    lines.push(`| ${phase} | ${cells.join(" | ")} |`);
  }
  lines.push("");
  const reloads = Object.entries(result.reloadsPerHostByContender)
    .map(([name, counts]) => `${name} ${counts.converge}/${counts.update}`)
    .join(", ");
  lines.push(`- xinetd reloads per host, converge/update (most on any host): ${reloads || "—"}`);
  lines.push(
    `- failed operations: ${contenders.map((name) => `${name} ${result.failedOperations[name] ?? 0}`).join(", ")}`,
  );
  const findings = Object.entries(result.refreshFindingsAsExpected)
    .map(
      ([name, ok]) =>
        `${name} ${ok.noopRefresh ? "none" : "UNEXPECTED"} / ${ok.driftCheck ? "exactly the edits" : "NOT the edits"}`,
    )
    .join(", ");
  lines.push(`- drift found, no-op refresh / drift check: ${findings || "—"}`);
  if (result.providerPeakRssMb !== null) {
    lines.push(
      `- provider host peak RSS: ${result.providerPeakRssMb.toFixed(0)} MiB; its start (not in the times above): ${result.providerHostStartMs?.toFixed(0)} ms per phase`,
    );
  }
  if (result.relay) {
    lines.push(
      `- latency relay: ${result.relay.connections} connections, ${(result.relay.bytes / 2 ** 20).toFixed(1)} MiB ` +
        "relayed; a process of its own, its CPU charged to no contender",
    );
  }
  lines.push(
    `- checks from inside the hosts: ${result.verificationProblems.length === 0 ? "all passed" : result.verificationProblems.slice(0, 5).join("; ")}`,
  );
  return `${lines.join("\n")}\n`;
}
