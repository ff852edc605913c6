// Preloaded into the dynamic-provider host (NODE_OPTIONS=--require): the library's connection
// pool counts its SSH channels inside that process, so on SIGUSR2 this writes them to a file.
// It loads the module the provider itself loads (the built package), so it reads the same pool.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const statsFile = process.env.PXBENCH_POOL_STATS_FILE;
const labels = (process.env.PXBENCH_POOL_LABELS || "").split(",").filter(Boolean);

if (statsFile) {
  process.on("SIGUSR2", () => {
    const { defaultPool } = require(path.join(process.cwd(), "dist/remote/ssh/index.js"));
    const stats = Object.fromEntries(labels.map((label) => [label, defaultPool.stats(label)]));
    fs.writeFileSync(`${statsFile}.tmp`, JSON.stringify(stats));
    fs.renameSync(`${statsFile}.tmp`, statsFile);
  });
}
