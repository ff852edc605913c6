/**
 * The issue-12 grid as Markdown, from the result JSON of each cell (H hosts × RTT): the library's
 * wall time and cost per resource per cell, its CPU and processes per host, and every target
 * judged met or missed from the figures. Pure: takes parsed results, returns text.
 */
import { PHASES, type Phase } from "./workload";
import { seconds, type BenchResult } from "./report";

/** The cell the issue's main targets are stated for. */
export const TARGET_CELL = { hosts: 20, rttMs: 50 } as const;

/**
 * Flat cost per resource: no larger H may cost more per resource than a smaller H times this. A
 * cost that falls with H (fixed latency spread over more resources) counts as flat.
 */
export const FLAT_TOLERANCE = 1.25;

export interface Verdict {
  target: string;
  met: boolean;
  figure: string;
}

function perResource(result: BenchResult, phase: Phase): number | undefined {
  const wall = result.phases[phase].library?.medianMs;
  return wall === undefined ? undefined : wall / result.resources;
}

function cpuPerResource(result: BenchResult, phase: Phase, contender: "library" | "ansible"): number | undefined {
  const cpu = result.phases[phase][contender]?.cpuMs;
  return cpu === undefined ? undefined : cpu / result.resources;
}

/** How many times faster the library is than `other` in `phase` (medians), undefined without both. */
function speedup(result: BenchResult, phase: Phase, other: "ansible" | "floor"): number | undefined {
  const library = result.phases[phase].library?.medianMs;
  const theirs = result.phases[phase][other]?.medianMs;
  return library === undefined || theirs === undefined ? undefined : theirs / library;
}

function times(speed: number | undefined): string {
  return speed === undefined ? "—" : `${speed.toFixed(1)}×`;
}

/** The largest growth of a cost from a smaller H to a larger one (below 1: it only fell). */
function growth(values: readonly number[]): number {
  let worst = 0;
  for (let small = 0; small < values.length; small++)
    for (let large = small + 1; large < values.length; large++)
      worst = Math.max(worst, values[large]! / values[small]!);
  return worst;
}

function byCell(results: readonly BenchResult[]): BenchResult[] {
  // One result per cell: the latest run of it wins.
  const cells = new Map<string, BenchResult>();
  for (const result of [...results].sort((a, b) => a.date.localeCompare(b.date)))
    cells.set(`${result.hosts}/${result.rttMs}`, result);
  return [...cells.values()].sort((a, b) => a.hosts - b.hosts || a.rttMs - b.rttMs);
}

/** Every target of issue 12, judged from the grid's figures. */
export function judgeTargets(results: readonly BenchResult[]): Verdict[] {
  const cells = byCell(results);
  const verdicts: Verdict[] = [];
  const target = cells.find((cell) => cell.hosts === TARGET_CELL.hosts && cell.rttMs === TARGET_CELL.rttMs);
  const where = `H=${TARGET_CELL.hosts}, RTT ${TARGET_CELL.rttMs} ms`;
  if (target) {
    for (const phase of ["converge", "update"] as const) {
      const vsAnsible = speedup(target, phase, "ansible");
      if (vsAnsible !== undefined)
        verdicts.push({
          target: `${phase} at least 10× faster than Ansible (${where})`,
          met: vsAnsible >= 10,
          figure: times(vsAnsible),
        });
      const vsFloor = speedup(target, phase, "floor");
      if (vsFloor !== undefined)
        verdicts.push({
          target: `${phase} within 2× of the floor (${where})`,
          met: 1 / vsFloor <= 2,
          figure: `${(1 / vsFloor).toFixed(2)}× the floor`,
        });
    }
    for (const phase of ["noopRefresh", "driftCheck"] as const) {
      const vsAnsible = speedup(target, phase, "ansible");
      if (vsAnsible !== undefined)
        verdicts.push({
          target: `${phase} at least 20× faster than Ansible (${where})`,
          met: vsAnsible >= 20,
          figure: times(vsAnsible),
        });
    }
    const cpuRatios = PHASES.flatMap((phase) => {
      const library = cpuPerResource(target, phase, "library");
      const ansible = cpuPerResource(target, phase, "ansible");
      return library && ansible ? [{ phase, ratio: ansible / library }] : [];
    });
    if (cpuRatios.length > 0) {
      const worst = cpuRatios.reduce((a, b) => (b.ratio < a.ratio ? b : a));
      verdicts.push({
        target: `controller CPU per resource at least 10× below Ansible's in every phase (${where})`,
        met: worst.ratio >= 10,
        figure: `lowest ${worst.ratio.toFixed(1)}× (${worst.phase})`,
      });
    }
  }
  if (cells.length > 0) {
    const logins = Math.max(
      ...cells.flatMap((cell) => PHASES.map((phase) => cell.sshLoginsPerHostMax[phase].library ?? 0)),
    );
    verdicts.push({
      target: "one SSH login per host per run (every cell, every phase, the most on any host)",
      met: logins === 1,
      figure: `at most ${logins}`,
    });
    const reloads = Math.max(
      ...cells.map((cell) => Math.max(cell.reloadsPerHost.converge, cell.reloadsPerHost.update)),
    );
    verdicts.push({
      target: "one xinetd reload per host per run (converge and update, every cell)",
      met: reloads === 1,
      figure: `at most ${reloads}`,
    });
  }
  for (const rttMs of [...new Set(cells.map((cell) => cell.rttMs))]) {
    const row = cells.filter((cell) => cell.rttMs === rttMs);
    if (row.length < 2) continue;
    const span = `H=${row[0]!.hosts} to H=${row.at(-1)!.hosts}, RTT ${rttMs} ms`;
    for (const [label, cost] of [
      ["wall time", perResource],
      ["controller CPU", (result: BenchResult, phase: Phase) => cpuPerResource(result, phase, "library")],
    ] as const) {
      const spreads = PHASES.map((phase) => {
        const values = row.map((cell) => cost(cell, phase)).filter((value): value is number => value !== undefined);
        return { phase, values, spread: growth(values) };
      });
      const worst = spreads.reduce((a, b) => (b.spread > a.spread ? b : a));
      verdicts.push({
        target: `${label} per resource flat (never above ${FLAT_TOLERANCE}× a smaller H's) in every phase, ${span}`,
        met: worst.spread <= FLAT_TOLERANCE,
        figure: `worst ${worst.phase}: ${worst.values.map((value) => value.toFixed(1)).join(" → ")} ms (${worst.spread.toFixed(2)}×)`,
      });
    }
  }
  return verdicts;
}

/** The grid tables and the verdicts, as the README shows them. */
export function renderGrid(results: readonly BenchResult[]): string {
  const cells = byCell(results);
  if (cells.length === 0) return "No results.\n";
  const lines: string[] = [];
  const first = cells[0]!;
  const nodes = [...new Set(cells.map((cell) => cell.machine.node))].join(", ");
  const dates = [...new Set(cells.map((cell) => cell.date.slice(0, 10)))].join(", ");
  lines.push(
    `Machine: ${first.machine.cpus} × ${first.machine.cpuModel}, ${first.machine.memoryGb} GB, Linux ` +
      `${first.machine.kernel}, Node ${nodes}${first.machine.ansible ? `, ansible-core ${first.machine.ansible}` : ""}; ` +
      `${dates}. Repetitions per cell: ${cells.map((cell) => `${cell.hosts}×${cell.rttMs} ms: ${cell.reps}`).join(", ")}.`,
  );
  lines.push("");
  lines.push(
    "Library wall time per phase (median; cost per resource in brackets); the last columns: how many " +
      "times faster than Ansible for converge / update, and library ÷ floor for converge / update.",
  );
  lines.push("");
  lines.push(
    "| H × RTT | resources | converge | noop refresh | drift check | update | destroy | vs Ansible | vs floor |",
  );
  lines.push("|---|---|---|---|---|---|---|---|---|");
  for (const cell of cells) {
    const phases = PHASES.map((phase) => {
      const wall = cell.phases[phase].library?.medianMs;
      return wall === undefined ? "—" : `${seconds(wall)} (${(wall / cell.resources).toFixed(0)} ms)`;
    });
    const vsAnsible =
      speedup(cell, "converge", "ansible") === undefined
        ? "not run"
        : `${times(speedup(cell, "converge", "ansible"))}, ${times(speedup(cell, "update", "ansible"))}`;
    const ofFloor = (phase: Phase) => {
      const speed = speedup(cell, phase, "floor");
      return speed === undefined ? "—" : (1 / speed).toFixed(2);
    };
    const vsFloor = `${ofFloor("converge")}, ${ofFloor("update")}`;
    lines.push(
      `| ${cell.hosts} × ${cell.rttMs} ms | ${cell.resources} | ${phases.join(" | ")} | ${vsAnsible} | ${vsFloor} |`,
    );
  }
  lines.push("");
  lines.push(
    "Controller CPU per resource, library (Ansible in brackets where it ran), and processes created " +
      "on the machine per host, library / floor (converge, update):",
  );
  lines.push("");
  lines.push("| H × RTT | converge CPU | update CPU | refresh CPU | processes/host converge | processes/host update |");
  lines.push("|---|---|---|---|---|---|");
  for (const cell of cells) {
    const cpu = (phase: Phase) => {
      const library = cpuPerResource(cell, phase, "library");
      const ansible = cpuPerResource(cell, phase, "ansible");
      if (library === undefined) return "—";
      return `${library.toFixed(1)} ms${ansible === undefined ? "" : ` (${ansible.toFixed(1)} ms)`}`;
    };
    const processes = (phase: Phase) => {
      const counts = cell.processesPerHost?.[phase];
      if (!counts || counts.library === undefined) return "—";
      return `${counts.library.toFixed(0)} / ${counts.floor === undefined ? "—" : counts.floor.toFixed(0)}`;
    };
    lines.push(
      `| ${cell.hosts} × ${cell.rttMs} ms | ${cpu("converge")} | ${cpu("update")} | ${cpu("noopRefresh")} | ` +
        `${processes("converge")} | ${processes("update")} |`,
    );
  }
  lines.push("");
  lines.push("Targets (issue 12), judged from these figures:");
  lines.push("");
  for (const verdict of judgeTargets(cells))
    lines.push(`- **${verdict.met ? "met" : "missed"}**: ${verdict.target}: ${verdict.figure}`);
  return `${lines.join("\n")}\n`;
}
