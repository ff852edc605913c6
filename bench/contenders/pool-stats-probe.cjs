// Preloaded into the dynamic-provider host (NODE_OPTIONS=--require): the library's connection
// pool counts its SSH channels inside that process, so on SIGUSR2 this writes them to a file.
// It loads the module the provider itself loads (the built package), so it reads the same pool.
// With PXBENCH_PROFILE_FILE set (`--profile`), the first SIGUSR2 also starts a CPU profile of the
// process and the second stops it and writes it there (.cpuprofile), before the counters: the
// driver signals right before and right after the phase it times.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const statsFile = process.env.PXBENCH_POOL_STATS_FILE;
const profileFile = process.env.PXBENCH_PROFILE_FILE;
const labels = (process.env.PXBENCH_POOL_LABELS || "").split(",").filter(Boolean);

function writeStats() {
  const { defaultPool } = require(path.join(process.cwd(), "dist/remote/ssh/index.js"));
  const stats = Object.fromEntries(labels.map((label) => [label, defaultPool.stats(label)]));
  fs.writeFileSync(`${statsFile}.tmp`, JSON.stringify(stats));
  fs.renameSync(`${statsFile}.tmp`, statsFile);
}

let profiler;

function toggleProfile(then) {
  if (!profiler) {
    const inspector = require("node:inspector");
    profiler = new inspector.Session();
    profiler.connect();
    profiler.post("Profiler.enable", () => profiler.post("Profiler.start", then));
    return;
  }
  profiler.post("Profiler.stop", (error, result) => {
    if (error) process.stderr.write(`pool-stats-probe: no CPU profile: ${error.message}\n`);
    else fs.writeFileSync(profileFile, JSON.stringify(result.profile));
    profiler.disconnect();
    profiler = undefined;
    then();
  });
}

if (statsFile) {
  process.on("SIGUSR2", () => (profileFile ? toggleProfile(writeStats) : writeStats()));
}
