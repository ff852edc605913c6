/**
 * `--profile`: where the provider host's CPU goes in each phase. The pool-stats probe records a V8
 * CPU profile of the provider host over exactly the timed window of each phase
 * (`<run>-<phase>.cpuprofile`, loadable in Chrome DevTools); this sums their samples into self
 * time per area (the library's own modules by directory, each npm package, Node's internals, GC,
 * idle) and per function, per phase over all repetitions.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";

import { PHASES } from "./workload";

const TOP_AREAS = 12;
const TOP_FUNCTIONS = 15;

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: CpuProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
}

interface SelfTime {
  totalMs: number;
  idleMs: number;
  byArea: Map<string, number>;
  byFunction: Map<string, number>;
}

/** The part of the program a script belongs to. */
export function areaOf(scriptUrl: string, functionName: string, projectRoot: string): string {
  // No script: V8's pseudo-frames ("(garbage collector)", "(program)") or native code.
  if (scriptUrl === "") return functionName.startsWith("(") ? functionName : `native ${functionName || "(anonymous)"}`;
  // CommonJS scripts are named by path, ES modules by file URL.
  const url = scriptUrl.startsWith("/") ? pathToFileURL(scriptUrl).href : scriptUrl;
  if (url.startsWith("node:")) return "node internals";
  const packages = url.split("/node_modules/");
  if (packages.length > 1) {
    const [scope, name] = packages[packages.length - 1]!.split("/");
    return scope!.startsWith("@") ? `${scope}/${name}` : scope!;
  }
  const dist = `${pathToFileURL(projectRoot).href}/dist/`;
  if (url.startsWith(dist)) {
    const parts = url.slice(dist.length).split("/");
    return `library dist/${parts.slice(0, Math.min(2, parts.length - 1)).join("/") || parts[0]}`;
  }
  return "other";
}

function addSelfTime(into: SelfTime, profile: CpuProfile, projectRoot: string): void {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  samples.forEach((id, index) => {
    const node = nodes.get(id);
    const ms = (deltas[index] ?? 0) / 1000;
    if (!node || ms <= 0) return;
    const { functionName, url, lineNumber } = node.callFrame;
    into.totalMs += ms;
    if (functionName === "(idle)") {
      into.idleMs += ms;
      return;
    }
    const area = areaOf(url, functionName, projectRoot);
    into.byArea.set(area, (into.byArea.get(area) ?? 0) + ms);
    const where =
      url === ""
        ? ""
        : ` (${url.replace(/^.*\/node_modules\//, "").replace(/^(?:file:\/\/)?\/.*\/dist\//, "dist/")}:${lineNumber + 1})`;
    const key = `${functionName || "(anonymous)"}${where}`;
    into.byFunction.set(key, (into.byFunction.get(key) ?? 0) + ms);
  });
}

function top(entries: Map<string, number>, count: number, busyMs: number): string[] {
  return [...entries]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, ms]) => `| ${name.replace(/\|/g, "\\|")} | ${ms.toFixed(0)} | ${((100 * ms) / busyMs).toFixed(1)}% |`);
}

/** Markdown summary of every `<run>-<phase>.cpuprofile` in `dir`, phase by phase. */
export function summarizeProfiles(dir: string, projectRoot: string): string {
  const files = fs.readdirSync(dir).filter((file) => file.endsWith(".cpuprofile"));
  const lines = [
    "# Where the provider host's CPU goes (self time, `--profile`)",
    "",
    "Samples of the provider host process over each phase's timed window, summed over the repetitions.",
    "Busy = sampled time that was not idle; shares are of busy time. Profiling slows the host a little:",
    "take the wall and CPU figures from a run without `--profile`.",
  ];
  for (const phase of PHASES) {
    const runs = files.filter((file) => file.endsWith(`-${phase}.cpuprofile`));
    if (runs.length === 0) continue;
    const selfTime: SelfTime = { totalMs: 0, idleMs: 0, byArea: new Map(), byFunction: new Map() };
    for (const file of runs) {
      addSelfTime(selfTime, JSON.parse(fs.readFileSync(path.join(dir, file), "utf8")) as CpuProfile, projectRoot);
    }
    const busyMs = selfTime.totalMs - selfTime.idleMs;
    lines.push(
      "",
      `## ${phase}`,
      "",
      `${runs.length} run(s): ${selfTime.totalMs.toFixed(0)} ms sampled, ${busyMs.toFixed(0)} ms busy, ` +
        `${selfTime.idleMs.toFixed(0)} ms idle (waiting on the hosts and the network).`,
      "",
      "| area | self ms | share |",
      "|---|---|---|",
      ...top(selfTime.byArea, TOP_AREAS, busyMs),
      "",
      "| function | self ms | share |",
      "|---|---|---|",
      ...top(selfTime.byFunction, TOP_FUNCTIONS, busyMs),
    );
  }
  return `${lines.join("\n")}\n`;
}
