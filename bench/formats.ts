/**
 * Format benchmark: how parse, validate, read and edit scale with the size of an rsyncd.conf or an
 * xinetd file. Pure CPU work, no host needed.
 *
 *   npx tsx bench/formats.ts [--modules 2000,20000] [--repeated 50000] [--services 5000] [--unknown 20000]
 *                            [--reps 3] [--sample 100] [--only rsyncd|xinetd] [--json FILE]
 *
 * Prints one Markdown table (phase, size, median ms, min, max). Each phase runs `--reps` times, on a
 * freshly parsed document where it takes one; the median is reported. `--sample` modules are read
 * in the refresh phase (spread over the file).
 */
import { writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { performance } from "node:perf_hooks";

import {
  applyXinetdService,
  parseRsyncdDocument,
  parseXinetdDocument,
  readRsyncModule,
  readXinetdService,
  removeRsyncModule,
  renderRsyncdDocument,
  renderXinetdDocument,
  rsyncdSemantics,
  setRsyncModule,
  validateRsyncdDocument,
  validateXinetdDocument,
  findRsyncdModule,
  type RsyncdDocument,
  type XinetdDocument,
} from "../src/formats";
import { moduleSectionText } from "../src/provider/rsyncd-file";

interface Options {
  modules: number[];
  repeated: number;
  services: number;
  unknown: number;
  reps: number;
  sample: number;
  only?: "rsyncd" | "xinetd";
  json?: string;
}

function parseArgs(argv: string[]): Options {
  const options: Options = {
    modules: [2000, 20000],
    repeated: 50000,
    services: 5000,
    unknown: 20000,
    reps: 3,
    sample: 100,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[++i];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === "--modules") options.modules = value.split(",").map(Number);
    else if (flag === "--repeated") options.repeated = Number(value);
    else if (flag === "--services") options.services = Number(value);
    else if (flag === "--unknown") options.unknown = Number(value);
    else if (flag === "--reps") options.reps = Number(value);
    else if (flag === "--sample") options.sample = Number(value);
    else if (flag === "--only" && (value === "rsyncd" || value === "xinetd")) options.only = value;
    else if (flag === "--json") options.json = value;
    else throw new Error(`unknown option ${flag} ${value}`);
  }
  return options;
}

/** A realistic rsyncd.conf: global part, then per module a comment, a continuation line and a repeated parameter. */
function rsyncdFile(modules: number): string {
  const parts = [
    "# rsyncd.conf for the format benchmark\n",
    "uid = nobody\ngid = nogroup\nuse chroot = yes\nmax connections = 10\nlog file = /var/log/rsyncd.log\n",
    "dont compress = *.gz *.zip *.bz2\n\n",
  ];
  for (let i = 0; i < modules; i++) {
    parts.push(
      `# module ${i}: nightly backups of host ${i}\n`,
      `[backup${i}]\n`,
      `\tpath = /srv/backup/${i}/\n`,
      `\tcomment = Backups of host ${i} \\\n\t  kept 30 days\n`,
      "\tread only = no\n",
      `\thosts allow = 10.${i % 256}.0.0/16, 192.0.2.${i % 256}\n`,
      "\tmax connections = 2\n",
      "\tauth users = alice, bob\n",
      "\tsecrets file = /etc/rsyncd.secrets\n",
      "\tmax connections = 4\n",
      "\n",
    );
  }
  return parts.join("");
}

/** One module whose `hosts allow` line is repeated `lines` times (rsync keeps the last one). */
function rsyncdRepeatedFile(lines: number): string {
  const parts = ["[big]\n\tpath = /srv/big\n"];
  for (let i = 0; i < lines; i++) parts.push(`\thosts allow = 10.0.${(i >> 8) & 255}.${i & 255}\n`);
  parts.push("\tread only = yes\n");
  return parts.join("");
}

/** One module with `lines` parameters rsync does not know (each gets a "did you mean" hint). */
function rsyncdUnknownFile(lines: number): string {
  const parts = ["[odd]\n\tpath = /srv/odd\n"];
  for (let i = 0; i < lines; i++) parts.push(`\tcustom option ${i} = x\n`);
  return parts.join("");
}

const XINETD_BASE = [
  "service rsync",
  "{",
  "\tdisable         = no",
  "\tflags           = IPv6 REUSE",
  "\tsocket_type     = stream",
  "\twait            = no",
  "\tuser            = root",
  "\tserver          = /usr/bin/rsync",
  "\tserver_args     = --daemon --config=/etc/rsyncd.conf",
  "\tlog_on_failure += USERID",
  "\tinstances       = 30",
  "\tper_source      = 5",
  "\tcps             = 50 10",
  "\tenv             = LANG=C",
];

/** One service with many attributes and `lines` repeated lines of modifiable lists, duplicates and unknown names. */
function xinetdRepeatedFile(lines: number): string {
  const parts = [...XINETD_BASE];
  for (let i = 0; i < lines; i++) {
    const address = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    switch (i % 5) {
      case 0:
        parts.push(`\tonly_from      += ${address}`);
        break;
      case 1:
        parts.push(`\tno_access      -= ${address}`);
        break;
      case 2:
        parts.push(`\tpassenv        += VAR${i}`);
        break;
      case 3:
        parts.push("\tlog_on_success += PID HOST");
        break;
      default:
        parts.push("\tinstances       = 40");
        break;
    }
  }
  parts.push("}", "");
  return parts.join("\n");
}

/** One service with `lines` attributes xinetd does not know. */
function xinetdUnknownFile(lines: number): string {
  const parts = [...XINETD_BASE];
  for (let i = 0; i < lines; i++) parts.push(`\tcustom_attr${i} = v`);
  parts.push("}", "");
  return parts.join("\n");
}

/** `services` service entries in one file, each with the base attributes. */
function xinetdServicesFile(services: number): string {
  const parts: string[] = [];
  for (let i = 0; i < services; i++) {
    parts.push(
      `service svc${i}`,
      ...XINETD_BASE.slice(1).map((line) => line.replace("rsync", `svc${i}`)),
      "\ttype            = UNLISTED",
      `\tport            = ${1024 + (i % 60000)}`,
      "}",
      "",
    );
  }
  return parts.join("\n");
}

interface Row {
  format: string;
  size: string;
  phase: string;
  medianMs: number;
  minMs: number;
  maxMs: number;
}

const rows: Row[] = [];

/**
 * Times `run` on a fresh input per repetition (`prepare` is not timed), so nothing one phase
 * computed and cached for a document (the rsyncd walk) makes a later phase look cheaper.
 */
function timeOn<I, T>(
  format: string,
  size: string,
  phase: string,
  reps: number,
  prepare: () => I,
  run: (input: I) => T,
): T {
  const samples: number[] = [];
  let result: T | undefined;
  for (let r = 0; r < reps; r++) {
    const input = prepare();
    const start = performance.now();
    result = run(input);
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  const row = {
    format,
    size,
    phase,
    medianMs: samples[Math.floor(samples.length / 2)]!,
    minMs: samples[0]!,
    maxMs: samples[samples.length - 1]!,
  };
  rows.push(row);
  process.stderr.write(`${format} ${size} ${phase}: ${row.medianMs.toFixed(1)} ms\n`);
  return result as T;
}

function time<T>(format: string, size: string, phase: string, reps: number, run: () => T): T {
  return timeOn(format, size, phase, reps, () => undefined, run);
}

function benchRsyncd(size: string, text: string, reps: number, sample: number, moduleNames: string[]): void {
  const fresh = () => parseRsyncdDocument(text);
  const doc = time("rsyncd", size, "parse", reps, fresh);
  timeOn("rsyncd", size, "validate", reps, fresh, (d) => validateRsyncdDocument(d));
  const target = moduleNames[Math.floor(moduleNames.length / 2)]!;
  timeOn("rsyncd", size, "semantic read of one module", reps, fresh, (d) =>
    findRsyncdModule(rsyncdSemantics(d), target),
  );
  const model = timeOn("rsyncd", size, "read one module (model)", reps, fresh, (d) => readRsyncModule(d, target))!;
  const changed = { ...model, maxConnections: 7, comment: "changed by the benchmark" };
  timeOn("rsyncd", size, "set one module", reps, fresh, (d) => setRsyncModule(d, changed));
  timeOn("rsyncd", size, "remove one module", reps, fresh, (d) => removeRsyncModule(d, target));
  time("rsyncd", size, "render", reps, () => renderRsyncdDocument(doc));
  const step = Math.max(1, Math.floor(moduleNames.length / sample));
  const sampled = moduleNames.filter((_, i) => i % step === 0).slice(0, sample);
  // What a refresh does per module once the file is read and parsed: the model and the section text.
  timeOn("rsyncd", size, `refresh ${sampled.length} modules (read + section text)`, reps, fresh, (d) => {
    for (const name of sampled) {
      readRsyncModule(d, name);
      moduleSectionText(d, name);
    }
  });
}

function benchXinetd(size: string, text: string, reps: number, serviceName: string): void {
  const doc: XinetdDocument = time("xinetd", size, "parse", reps, () => parseXinetdDocument(text));
  time("xinetd", size, "validate", reps, () => validateXinetdDocument(doc));
  const { model } = time("xinetd", size, "readXinetdService", reps, () => readXinetdService(doc, serviceName));
  const changed = { ...model, instances: 31 };
  time("xinetd", size, "applyXinetdService", reps, () => applyXinetdService(doc, changed));
  time("xinetd", size, "render", reps, () => renderXinetdDocument(doc));
}

function main(): void {
  const options = parseArgs(process.argv.slice(2));
  if (options.only !== "xinetd") {
    for (const modules of options.modules) {
      const names = Array.from({ length: modules }, (_, i) => `backup${i}`);
      benchRsyncd(`${modules} modules`, rsyncdFile(modules), options.reps, options.sample, names);
    }
    if (options.repeated > 0) {
      const text = rsyncdRepeatedFile(options.repeated);
      const fresh = (): RsyncdDocument => parseRsyncdDocument(text);
      const size = `${options.repeated} repeated lines`;
      time("rsyncd", size, "parse", options.reps, fresh);
      timeOn("rsyncd", size, "validate", options.reps, fresh, (d) => validateRsyncdDocument(d));
      const model = timeOn("rsyncd", size, "read one module (model)", options.reps, fresh, (d) =>
        readRsyncModule(d, "big"),
      )!;
      timeOn("rsyncd", size, "set one module", options.reps, fresh, (d) =>
        setRsyncModule(d, { ...model, hostsAllow: ["192.0.2.1"] }),
      );
    }
    if (options.unknown > 0) {
      const text = rsyncdUnknownFile(options.unknown);
      timeOn(
        "rsyncd",
        `${options.unknown} unknown names`,
        "validate",
        options.reps,
        () => parseRsyncdDocument(text),
        (d) => validateRsyncdDocument(d),
      );
    }
  }
  if (options.only !== "rsyncd") {
    if (options.repeated > 0)
      benchXinetd(`${options.repeated} repeated lines`, xinetdRepeatedFile(options.repeated), options.reps, "rsync");
    if (options.unknown > 0) {
      const doc = parseXinetdDocument(xinetdUnknownFile(options.unknown));
      time("xinetd", `${options.unknown} unknown names`, "validate", options.reps, () => validateXinetdDocument(doc));
    }
    if (options.services > 0)
      benchXinetd(
        `${options.services} services`,
        xinetdServicesFile(options.services),
        options.reps,
        `svc${Math.floor(options.services / 2)}`,
      );
  }
  const machine = `${cpus()[0]?.model ?? "unknown"}, ${cpus().length} cores, node ${process.version}`;
  const lines = [
    `Format benchmark (${machine}), ${new Date().toISOString()}, median of ${options.reps}`,
    "",
    "| format | size | phase | median ms | min | max |",
    "|---|---|---|---:|---:|---:|",
    ...rows.map(
      (r) =>
        `| ${r.format} | ${r.size} | ${r.phase} | ${r.medianMs.toFixed(1)} | ${r.minMs.toFixed(1)} | ${r.maxMs.toFixed(1)} |`,
    ),
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  if (options.json !== undefined)
    writeFileSync(options.json, `${JSON.stringify({ machine, reps: options.reps, rows }, null, 2)}\n`);
}

main();
