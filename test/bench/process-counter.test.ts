// The process counter against processes this test starts itself, and its wrap arithmetic.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";

import { lastPid, pidMax, processesBetween } from "../../bench/process-counter";

test("process counter: counts at least the processes started in the window", () => {
  const max = pidMax();
  const before = lastPid();
  const started = 20;
  for (let i = 0; i < started; i++) assert.equal(spawnSync("true").status, 0);
  const counted = processesBetween(before, lastPid(), max);
  // Other processes on the machine may add to it, never take away.
  assert.ok(counted >= started, `counted ${counted} for ${started} started`);
  assert.ok(counted < max / 2, `counted ${counted}: a wrap was misread`);
});

test("process counter: a wrap of the pid counter is counted once", () => {
  assert.equal(processesBetween(1000, 1500, 32768), 500);
  assert.equal(processesBetween(32000, 32000, 32768), 0);
  // After 32000 come 32001..32767 (767 pids), then 300..309 (10 more).
  assert.equal(processesBetween(32000, 309, 32768), 767 + 10);
  assert.equal(processesBetween(32767, 300, 32768), 1);
});
