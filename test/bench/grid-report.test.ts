// The grid report over the committed results of 2026-12-01 (six cells, before this change's
// improvements), and the target rules on edited copies of them.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";

import { judgeTargets, renderGrid } from "../../bench/grid-report";
import type { BenchResult } from "../../bench/report";

const RESULTS = path.resolve(__dirname, "../../bench/results");
const GRID_OF_2026_12_01 = [
  "2026-12-01T18-43-26Z",
  "2026-12-01T18-45-01Z",
  "2026-12-01T18-49-53Z",
  "2026-12-01T18-54-52Z",
  "2026-12-01T18-55-48Z",
  "2026-12-01T18-56-42Z",
];

function load(): BenchResult[] {
  return GRID_OF_2026_12_01.map(
    (stamp) => JSON.parse(fs.readFileSync(path.join(RESULTS, `${stamp}.json`), "utf8")) as BenchResult,
  );
}

function verdict(results: BenchResult[], startsWith: string) {
  const found = judgeTargets(results).filter((entry) => entry.target.startsWith(startsWith));
  assert.ok(found.length > 0, `no verdict starting with ${startsWith}`);
  return found;
}

test("grid: the 2026-12-01 figures give the verdicts the README recorded for them", () => {
  const results = load();
  const [converge] = verdict(results, "converge at least 10× faster than Ansible");
  assert.deepEqual([converge!.met, converge!.figure], [true, "14.7×"]);
  const [convergeFloor] = verdict(results, "converge within 2× of the floor");
  assert.deepEqual([convergeFloor!.met, convergeFloor!.figure], [false, "2.30× the floor"]);
  const [updateFloor] = verdict(results, "update within 2× of the floor");
  assert.equal(updateFloor!.met, false);
  const [refresh] = verdict(results, "noopRefresh at least 20× faster");
  assert.deepEqual([refresh!.met, refresh!.figure], [true, "20.7×"]);
  const [cpu] = verdict(results, "controller CPU per resource at least 10×");
  assert.equal(cpu!.met, true);
  // The README of that day said 10.5×: it divided per-resource figures already rounded to 0.1 ms.
  assert.equal(cpu!.figure, "lowest 10.6× (update)");
  assert.equal(verdict(results, "one SSH login")[0]!.met, true);
  assert.equal(verdict(results, "one xinetd reload")[0]!.met, true);
});

test("grid: one more login on one host in one cell misses the one-login target", () => {
  const results = load();
  results[2]!.sshLoginsPerHostMax.update.library = 2;
  const [logins] = verdict(results, "one SSH login");
  assert.deepEqual([logins!.met, logins!.figure], [false, "at most 2"]);
});

test("grid: cost per resource is flat when no larger H costs more per resource than a smaller one", () => {
  const results = load().filter((result) => result.rttMs === 50);
  const walls = verdict(results, "wall time per resource flat");
  assert.equal(walls.length, 1);
  // Update at RTT 50 went 21 → 12 → 17 ms per resource: from H=20 to H=50 it grew 1.42×.
  assert.deepEqual([walls[0]!.met, walls[0]!.figure], [false, "worst update: 20.8 → 12.1 → 17.0 ms (1.41×)"]);
  // A cost that only falls with H is flat.
  const phases = Object.keys(results[0]!.phases) as (keyof BenchResult["phases"])[];
  results.forEach((result, index) => {
    for (const phase of phases) result.phases[phase].library!.medianMs = result.resources * (30 - index * 10);
  });
  assert.equal(verdict(results, "wall time per resource flat")[0]!.met, true);
  // And one that grows by more than the tolerance anywhere is not.
  results[2]!.phases.destroy.library!.medianMs = results[2]!.resources * 26;
  assert.equal(verdict(results, "wall time per resource flat")[0]!.met, false);
});

test("grid: renders one row per cell, the latest run of a cell winning, and every verdict", () => {
  const results = load();
  const older = structuredClone(results[3]!);
  older.date = "2026-11-30T00:00:00.000Z";
  older.phases.converge.library!.medianMs = 99_999;
  const markdown = renderGrid([older, ...results]);
  const rows = markdown.split("\n").filter((line) => /^\| \d+ × \d+ ms \| \d+ \|/.test(line));
  assert.equal(rows.length, 6);
  assert.ok(!markdown.includes("100.0 s"), "the older run of a cell was shown");
  assert.match(markdown, /\| 20 × 50 ms \| 260 \| 3\.04 s \(12 ms\) \|/);
  assert.match(markdown, /\| 50 × 0 ms \| 650 \| .* \| not run \|/);
  assert.equal((markdown.match(/^- \*\*(met|missed)\*\*/gm) ?? []).length, judgeTargets(results).length);
});
