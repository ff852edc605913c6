/**
 * `npm run bench:grid -- [--hosts 5,20,50] [--rtt-ms 0,50] [--reps 3] [--ansible-max-hosts 20] [--out DIR]`
 * `npm run bench:grid -- --report DIR/a.json DIR/b.json …`
 *
 * Runs the benchmark (run.ts) once per cell of hosts × RTT, one after the other, then writes the
 * grid (grid-report.ts: tables and every issue-12 target judged met or missed) to DIR/grid.md and
 * prints it. Ansible and dial-per-command run only in cells of at most `--ansible-max-hosts` hosts
 * (at 50 hosts they take minutes per phase and their figures do not change with this project's
 * code); the library and the floor run in every cell. `--report` only renders the grid from
 * existing result files.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";

import { PROJECT_ROOT } from "./contenders/library";
import { renderGrid } from "./grid-report";
import type { BenchResult } from "./report";
import { main as runBench } from "./run";

function integers(name: string, text: string): number[] {
  const values = text.split(",").map((part) => Number(part.trim()));
  if (values.length === 0 || values.some((value) => !Number.isInteger(value) || value < 0))
    throw new Error(`--${name} must be a comma-separated list of integers, got ${text}`);
  return values;
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      hosts: { type: "string", default: "5,20,50" },
      "rtt-ms": { type: "string", default: "0,50" },
      reps: { type: "string", default: "3" },
      "ansible-max-hosts": { type: "string", default: "20" },
      out: { type: "string", default: path.join(PROJECT_ROOT, "bench/results") },
      report: { type: "boolean", default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  const out = path.resolve(values.out);
  let results: BenchResult[];
  if (values.report) {
    if (positionals.length === 0) throw new Error("--report takes the result JSON files to render");
    results = positionals.map((file) => JSON.parse(fs.readFileSync(file, "utf8")) as BenchResult);
  } else {
    if (positionals.length > 0) throw new Error(`unexpected arguments: ${positionals.join(" ")}`);
    const [ansibleMaxHosts] = integers("ansible-max-hosts", values["ansible-max-hosts"]);
    results = [];
    for (const hosts of integers("hosts", values.hosts)) {
      for (const rttMs of integers("rtt-ms", values["rtt-ms"])) {
        const contenders = hosts <= ansibleMaxHosts! ? "library,ansible,dialPerCommand,floor" : "library,floor";
        process.stderr.write(`[grid] H=${hosts}, RTT ${rttMs} ms: ${contenders}\n`);
        const cell = [
          ...["--hosts", String(hosts), "--rtt-ms", String(rttMs), "--reps", values.reps],
          ...["--contenders", contenders, "--out", out],
        ];
        results.push(await runBench(cell));
      }
    }
  }
  const grid = renderGrid(results);
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, "grid.md"), grid);
  process.stdout.write(grid);
  process.stderr.write(`[grid] wrote ${path.join(out, "grid.md")}\n`);
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`[grid] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
