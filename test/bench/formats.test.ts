// Runs the format benchmark at a tiny size so the script cannot rot. No timing assertions: only
// that it runs every phase of both formats and reports them in the documented shape.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";

const PROJECT_ROOT = path.resolve(__dirname, "../..");

test("format benchmark: a tiny run times every phase of both formats and writes the table and the JSON", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pxbench-formats-"));
  try {
    const json = path.join(dir, "formats.json");
    const run = spawnSync(
      process.execPath,
      [
        "--import",
        "tsx",
        "bench/formats.ts",
        "--modules",
        "20,40",
        "--repeated",
        "50",
        "--services",
        "5",
        "--unknown",
        "5",
        "--reps",
        "1",
        "--sample",
        "10",
        "--json",
        json,
      ],
      {
        cwd: PROJECT_ROOT,
        encoding: "utf8",
      },
    );
    assert.equal(run.status, 0, `benchmark failed:\n${run.stderr}`);
    const result = JSON.parse(fs.readFileSync(json, "utf8")) as {
      reps: number;
      rows: Array<{ format: string; size: string; phase: string; medianMs: number }>;
    };
    const phases = (format: string, size: string) =>
      result.rows.filter((r) => r.format === format && r.size === size).map((r) => r.phase);
    assert.deepEqual(phases("rsyncd", "40 modules"), [
      "parse",
      "validate",
      "semantic read of one module",
      "read one module (model)",
      "set one module",
      "remove one module",
      "render",
      "refresh 10 modules (read + section text)",
    ]);
    assert.deepEqual(phases("rsyncd", "50 repeated lines"), [
      "parse",
      "validate",
      "read one module (model)",
      "set one module",
    ]);
    for (const size of ["50 repeated lines", "5 services"]) {
      assert.deepEqual(phases("xinetd", size), [
        "parse",
        "validate",
        "readXinetdService",
        "applyXinetdService",
        "render",
      ]);
    }
    assert.deepEqual(
      result.rows.filter((r) => r.size === "5 unknown names").map((r) => `${r.format} ${r.phase}`),
      ["rsyncd validate", "xinetd validate"],
    );
    assert.ok(result.rows.every((r) => Number.isFinite(r.medianMs) && r.medianMs >= 0));
    assert.match(run.stdout, /^\| format \| size \| phase \| median ms \| min \| max \|$/m);
    assert.equal(
      run.stdout.split("\n").filter((line) => line.startsWith("| rsyncd |") || line.startsWith("| xinetd |")).length,
      result.rows.length,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
