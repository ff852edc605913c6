// The benchmark's controller-CPU meter (bench/cpu-meter.ts): every kind of process a contender runs
// is charged to it, and a process that is not the contender's (as the latency relay) is not.
// Work is measured in CPU, not wall time: each burner spins until its own CPU clock has used
// BURN_MS, however loaded the machine is; assertions allow for the kernel's 10 ms clock ticks.
// Each burner installs its SIGUSR2 handler before it says `ready`: a signal that came first would
// kill it (SIGUSR2's default action), and the test would wait for a `burnt` that never comes.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { test } from "node:test";

import { CPU_TAG_VARIABLE, CpuMeter, measured } from "../../bench/cpu-meter";

const BURN_MS = 300;
const TICK_SLACK_MS = 30;
/** Well below BURN_MS, well above what awaiting a child costs this process. */
const NOT_CHARGED_BELOW_MS = BURN_MS / 2;

/** Node code that spins until this process has used `ms` of CPU. */
function burn(ms: number): string {
  return `{ const u = () => { const c = process.cpuUsage(); return (c.user + c.system) / 1000; }; const s = u(); while (u() - s < ${ms}); }`;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

/** Resolves with the first line a child prints. */
function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve) => {
    let text = "";
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      text += chunk;
      if (text.includes("\n")) resolve(text.split("\n")[0]!);
    });
  });
}

function spinHere(ms: number): void {
  const used = () => {
    const usage = process.cpuUsage();
    return (usage.user + usage.system) / 1000;
  };
  const start = used();
  while (used() - start < ms);
}

test("cpu meter: work in this process counts for an in-process contender only", async () => {
  const spin = () => {
    spinHere(BURN_MS);
    return Promise.resolve();
  };
  const inProcess = await measured(new CpuMeter("pxtest-inproc", true), spin);
  assert.ok(inProcess.cpuMs >= BURN_MS, `${inProcess.cpuMs} ms`);
  const elsewhere = await measured(new CpuMeter("pxtest-elsewhere", false), spin);
  assert.ok(elsewhere.cpuMs < NOT_CHARGED_BELOW_MS, `${elsewhere.cpuMs} ms`);
});

test("cpu meter: a child reaped within the window counts, with its own children", async () => {
  const { cpuMs } = await measured(new CpuMeter("pxtest-reaped", false), async () => {
    const script = `const c = require("node:child_process").spawn(process.execPath, ["-e", ${JSON.stringify(burn(BURN_MS))}]); c.on("exit", () => { ${burn(BURN_MS)} });`;
    await exited(spawn(process.execPath, ["-e", script], { stdio: "ignore" }));
  });
  assert.ok(cpuMs >= 2 * BURN_MS - TICK_SLACK_MS, `${cpuMs} ms`);
});

test("cpu meter: a tagged process that detached and outlives the window counts for the window", async () => {
  const meter = new CpuMeter("pxtest-detached", false);
  // An intermediate that starts the burner in a new session and exits at once, as ssh's
  // ControlPersist master is left behind; the burner waits for a go, burns, and reports.
  const launcher = `const c = require("node:child_process").spawn(process.execPath, ["-e", process.argv[1]], { detached: true, stdio: ["ignore", "inherit", "ignore"] }); console.log(c.pid); c.unref();`;
  const burner = `process.on("SIGUSR2", () => { ${burn(BURN_MS)}; console.log("burnt"); }); console.log("ready"); setInterval(() => {}, 1000);`;
  const start = spawn(process.execPath, ["-e", launcher, burner], {
    env: { ...process.env, ...meter.environment },
    stdio: ["ignore", "pipe", "ignore"],
  });
  const output: string[] = [];
  start.stdout.setEncoding("utf8").on("data", (chunk: string) => output.push(...chunk.split("\n").filter(Boolean)));
  const until = async (line: string) => {
    while (!output.includes(line)) await new Promise((resolve) => setTimeout(resolve, 10));
  };
  await until("ready");
  await exited(start);
  const burnerPid = Number(output[0]);
  try {
    const { cpuMs } = await measured(meter, async () => {
      process.kill(burnerPid, "SIGUSR2");
      await until("burnt");
    });
    assert.ok(cpuMs >= BURN_MS - TICK_SLACK_MS, `${cpuMs} ms`);
  } finally {
    process.kill(burnerPid, "SIGKILL");
  }
});

test("cpu meter: a process that retitled itself counts by its command-line marker", async () => {
  const marker = `pxtest-marker-${process.pid}`;
  const meter = new CpuMeter("pxtest-marker", false, marker);
  const child = spawn(
    process.execPath,
    [
      "-e",
      `process.title = ${JSON.stringify(marker)}; process.on("SIGUSR2", () => { ${burn(BURN_MS)}; console.log("burnt"); }); console.log("ready"); setInterval(() => {}, 1000);`,
    ],
    { stdio: ["ignore", "pipe", "ignore"] },
  );
  try {
    assert.equal(await firstLine(child), "ready");
    const burnt = new Promise((resolve) =>
      child.stdout!.on("data", (chunk: string) => chunk.includes("burnt") && resolve(chunk)),
    );
    const { cpuMs } = await measured(meter, async () => {
      child.kill("SIGUSR2");
      await burnt;
    });
    assert.ok(cpuMs >= BURN_MS - TICK_SLACK_MS, `${cpuMs} ms`);
  } finally {
    child.kill("SIGKILL");
  }
});

test("cpu meter: a busy process that is not the contender's (the relay's case) is not charged", async () => {
  const child = spawn(
    process.execPath,
    [
      "-e",
      `process.on("SIGUSR2", () => { ${burn(BURN_MS)}; console.log("burnt"); }); console.log("ready"); setInterval(() => {}, 1000);`,
    ],
    { env: { ...process.env, [CPU_TAG_VARIABLE]: "someone-else" }, stdio: ["ignore", "pipe", "ignore"] },
  );
  try {
    assert.equal(await firstLine(child), "ready");
    const burnt = new Promise((resolve) =>
      child.stdout!.on("data", (chunk: string) => chunk.includes("burnt") && resolve(chunk)),
    );
    const { cpuMs } = await measured(new CpuMeter("pxtest-mine", false), async () => {
      child.kill("SIGUSR2");
      await burnt;
    });
    assert.ok(cpuMs < NOT_CHARGED_BELOW_MS, `${cpuMs} ms charged`);
  } finally {
    child.kill("SIGKILL");
    await exited(child);
  }
});
