/** Turning the samples of one run into the result JSON and the Markdown table. */
import { PHASES, type ContenderName, type Phase } from "./workload";

export interface Range {
  medianMs: number;
  minMs: number;
  maxMs: number;
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
  contenders: ContenderName[];
  /** `phases.<phase>.<contender>`; a contender without the phase has no entry. */
  phases: Record<Phase, Partial<Record<ContenderName, Range>>>;
  /** Median of the library over the other contender's median, per phase (below 1: the library is faster). */
  ratios: Record<Phase, Partial<Record<Exclude<ContenderName, "library">, number>>>;
  /** The library's xinetd reloads per host, the highest over hosts and repetitions. */
  reloadsPerHost: { converge: number; update: number };
  reloadsPerHostByContender: Partial<Record<ContenderName, { converge: number; update: number }>>;
  /** Median remote round trips per resource. */
  roundTripsPerResource: Record<Phase, Partial<Record<ContenderName, number | null>>>;
  /** Median SSH logins (TCP connections with key exchange) per host. */
  sshLoginsPerHost: Record<Phase, Partial<Record<ContenderName, number>>>;
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

function seconds(ms: number): string {
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 1000).toFixed(2)} s`;
}

function cell(range: Range | undefined): string {
  if (!range) return "—";
  return `${seconds(range.medianMs)} (${seconds(range.minMs)}–${seconds(range.maxMs)})`;
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
  lines.push("Median wall time (min–max):");
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
  lines.push("Remote round trips per resource (SSH logins per host):");
  lines.push("");
  lines.push(`| phase | ${contenders.join(" | ")} |`);
  lines.push(`|---|${contenders.map(() => "---").join("|")}|`);
  for (const phase of PHASES) {
    const cells = contenders.map((name) => {
      const trips = result.roundTripsPerResource[phase][name];
      const logins = result.sshLoginsPerHost[phase][name];
      return `${trips === undefined || trips === null ? "—" : trips.toFixed(2)} (${logins === undefined ? "—" : logins})`;
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
  lines.push(
    `- checks from inside the hosts: ${result.verificationProblems.length === 0 ? "all passed" : result.verificationProblems.slice(0, 5).join("; ")}`,
  );
  return `${lines.join("\n")}\n`;
}
