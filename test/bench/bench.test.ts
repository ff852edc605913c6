// Runs the benchmark at its tiniest (2 hosts, 2 modules, 1 repetition, every contender, 10 ms
// round trip through the latency relay) so the script and the relay cannot rot. No timing
// assertions: only that it runs, does the work right and reports in the documented shape.
// Needs the lab (root) and the built package (`npm test` builds first).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";

import type { BenchResult } from "../../bench/report";
import { CONTENDERS, PHASES } from "../../bench/workload";
import { labSkipReason } from "../lab/requirements";

const PROJECT_ROOT = path.resolve(__dirname, "../..");

test(
  "bench: H=2, M=2, 1 repetition, RTT 10 ms runs every contender and writes the documented JSON",
  { skip: labSkipReason(), timeout: 600_000 },
  () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "pxbench-test-"));
    try {
      const run = spawnSync(
        process.execPath,
        [
          ...["--import", "tsx", "bench/run.ts"],
          ...["--hosts", "2", "--modules", "2", "--reps", "1", "--rtt-ms", "10", "--out", out],
        ],
        {
          cwd: PROJECT_ROOT,
          encoding: "utf8",
          timeout: 590_000,
        },
      );
      assert.equal(run.status, 0, `bench failed:\n${run.stderr}`);

      const files = fs.readdirSync(out);
      const jsonFile = files.find((file) => /^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ\.json$/.test(file));
      assert.ok(jsonFile, `no dated JSON in ${files.join(", ")}`);
      const result = JSON.parse(fs.readFileSync(path.join(out, jsonFile), "utf8")) as BenchResult;
      assert.equal(result.hosts, 2);
      assert.equal(result.modules, 2);
      assert.equal(result.reps, 1);
      assert.equal(result.rttMs, 10);
      // Every contender went through the relay: at least one connection per host and contender.
      assert.ok(
        result.relay && result.relay.connections >= 2 * 3 && result.relay.bytes > 0,
        JSON.stringify(result.relay),
      );
      assert.deepEqual(Object.keys(result.phases).sort(), [...PHASES].sort());
      for (const phase of PHASES) {
        assert.deepEqual(Object.keys(result.phases[phase]).sort(), [...CONTENDERS].sort(), phase);
        for (const contender of CONTENDERS) {
          const range = result.phases[phase][contender]!;
          assert.deepEqual(Object.keys(range).sort(), ["cpuMs", "maxMs", "medianMs", "minMs"]);
          assert.ok(range.cpuMs >= 0, `${phase} ${contender} cpuMs ${range.cpuMs}`);
          assert.ok(
            range.minMs > 0 && range.minMs <= range.medianMs && range.medianMs <= range.maxMs,
            `${phase} ${contender}`,
          );
        }
      }
      assert.equal(typeof result.reloadsPerHost.converge, "number");
      assert.equal(typeof result.reloadsPerHost.update, "number");
      assert.equal(typeof result.providerPeakRssMb, "number");
      assert.deepEqual(Object.keys(result.failedOperations).sort(), [...CONTENDERS].sort());
      // Not a timing: Ansible starts Python for every phase, and the provider host and dialPerCommand
      // open SSH connections, so their meters cannot read zero unless the meter is broken.
      for (const phase of PHASES) {
        for (const contender of ["library", "ansible", "dialPerCommand"] as const)
          assert.ok(result.phases[phase][contender]!.cpuMs > 0, `${phase} ${contender} used no CPU?`);
        assert.equal(typeof result.sshLoginsPerHostMax[phase].library, "number");
        // Every contender opens SSH sessions on the hosts, and each session is an sshd process there.
        for (const contender of CONTENDERS) {
          const processes = result.processesPerHost?.[phase][contender];
          assert.ok(processes !== undefined && processes >= 1, `${phase} ${contender} processes/host ${processes}`);
        }
      }

      // Correctness, not speed: the work was done, once-per-host reloads, drift found exactly.
      assert.deepEqual(result.failedOperations, { library: 0, ansible: 0, dialPerCommand: 0, floor: 0 });
      assert.deepEqual(result.reloadsPerHost, { converge: 1, update: 1 });
      assert.deepEqual(result.verificationProblems, []);
      for (const contender of ["library", "ansible", "dialPerCommand"] as const) {
        assert.deepEqual(
          result.refreshFindingsAsExpected[contender],
          { noopRefresh: true, driftCheck: true },
          contender,
        );
      }

      const markdown = fs.readFileSync(path.join(out, "latest.md"), "utf8");
      assert.match(markdown, /\| converge \|/);
      assert.match(markdown, /Controller CPU, user \+ system/);
      assert.match(markdown, /RTT 10 ms added by the latency relay/);
      assert.equal(run.stdout, markdown, "the table printed is the one written");
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  },
);
