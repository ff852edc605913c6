/**
 * `npm run bench -- [--hosts 20] [--modules 10] [--reps 3] [--rtt-ms 0] [--contenders a,b] [--out DIR] [--profile]`
 *
 * Converges, refreshes, drift-checks, updates and destroys the workload (bench/workload.ts) on a
 * lab of real sshd + xinetd hosts with every contender, in one run, and reports medians, ranges
 * and the library's ratios to the others. Contenders take turns within each repetition (in a
 * rotating order), so a slow stretch of a noisy machine hits them all alike.
 * With `--rtt-ms N` (N > 0) every contender reaches every host through the latency relay
 * (latency-relay.ts), which adds N ms per round trip. With `--profile` the library's provider host
 * records a CPU profile per phase (profile.ts).
 * Writes DIR/<ISO date>.json and DIR/latest.md (DIR: bench/results) and prints the table.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";

import { startLab, type Lab } from "../test/lab/lab";
import { findMissingLabRequirements } from "../test/lab/requirements";
import { describeError, sshLogins, xinetdReloads, type Contender, type PhaseResult } from "./contender";
import { ansibleContender } from "./contenders/ansible";
import { dialPerCommandContender } from "./contenders/dial-per-command";
import { floorContender } from "./contenders/floor";
import { libraryContender, PROJECT_ROOT, type LibraryMeasures } from "./contenders/library";
import { startLatencyRelay, type LatencyRelay, type RelayCounters } from "./latency-relay";
import { lastPid, pidMax, processesBetween } from "./process-counter";
import { summarizeProfiles } from "./profile";
import { median, rangeOf, renderMarkdown, round, type BenchResult } from "./report";
import {
  CONTENDERS,
  editByHand,
  knownHostsLine,
  PHASES,
  resetHost,
  verifyHost,
  type ContenderName,
  type Endpoint,
  type Fleet,
  type Phase,
} from "./workload";

const MAX_HOSTS = 50;
const MAX_RTT_MS = 1_000;
// xinetd logs a reconfiguration a moment after `service xinetd reload` returns.
const RELOAD_LOG_SETTLE_MS = 300;

interface Options {
  hosts: number;
  modules: number;
  reps: number;
  contenders: ContenderName[];
  out: string;
  /** Round trip the relay adds between the controller and every host; 0: no relay. */
  rttMs: number;
  profile: boolean;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      hosts: { type: "string", default: "20" },
      modules: { type: "string", default: "10" },
      reps: { type: "string", default: "3" },
      contenders: { type: "string", default: CONTENDERS.join(",") },
      out: { type: "string", default: path.join(PROJECT_ROOT, "bench/results") },
      "rtt-ms": { type: "string", default: "0" },
      profile: { type: "boolean", default: false },
    },
    strict: true,
  });
  const integer = (name: string, text: string, min: number, max: number) => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < min || value > max)
      throw new Error(`--${name} must be an integer from ${min} to ${max}, got ${text}`);
    return value;
  };
  const contenders = values.contenders
    .split(",")
    .map((name) => name.trim())
    .filter(Boolean);
  for (const name of contenders) {
    if (!(CONTENDERS as readonly string[]).includes(name))
      throw new Error(`unknown contender ${name}; known: ${CONTENDERS.join(", ")}`);
  }
  return {
    hosts: integer("hosts", values.hosts, 1, MAX_HOSTS),
    modules: integer("modules", values.modules, 1, 99),
    reps: integer("reps", values.reps, 1, 100),
    // Kept in the canonical order, so tables always read the same way.
    contenders: CONTENDERS.filter((name) => contenders.includes(name)),
    out: path.resolve(values.out),
    rttMs: integer("rtt-ms", values["rtt-ms"], 0, MAX_RTT_MS),
    profile: values.profile,
  };
}

function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

/** Installs Debian's ansible-core when ansible-playbook is missing (the bench runs as root). */
function ensureAnsible(): string {
  const version = () => spawnSync("ansible-playbook", ["--version"], { encoding: "utf8" });
  let probe = version();
  if (probe.status !== 0) {
    progress("installing ansible-core with apt-get");
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    let install = spawnSync("apt-get", ["install", "-y", "--no-install-recommends", "ansible-core"], {
      env,
      stdio: "inherit",
    });
    if (install.status !== 0) {
      spawnSync("apt-get", ["update"], { env, stdio: "inherit" });
      install = spawnSync("apt-get", ["install", "-y", "--no-install-recommends", "ansible-core"], {
        env,
        stdio: "inherit",
      });
    }
    if (install.status !== 0) throw new Error("could not install ansible-core with apt-get");
    probe = version();
  }
  return /core ([\d.]+)/.exec(probe.stdout)?.[1] ?? "unknown";
}

function machine(ansibleVersion: string | undefined): BenchResult["machine"] {
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model.trim() ?? "unknown",
    memoryGb: round(os.totalmem() / 2 ** 30, 0),
    kernel: os.release(),
    node: process.version,
    ...(ansibleVersion ? { ansible: ansibleVersion } : {}),
  };
}

interface Samples {
  ms: Record<Phase, Partial<Record<ContenderName, number[]>>>;
  cpuMs: Record<Phase, Partial<Record<ContenderName, number[]>>>;
  roundTrips: Record<Phase, Partial<Record<ContenderName, (number | undefined)[]>>>;
  logins: Record<Phase, Partial<Record<ContenderName, number[]>>>;
  /** Processes created on the machine during the phase, per host (process-counter.ts). */
  processes: Record<Phase, Partial<Record<ContenderName, number[]>>>;
  /** Most logins on any host, per repetition. */
  loginsMax: Record<Phase, Partial<Record<ContenderName, number[]>>>;
  reloads: Partial<Record<ContenderName, { converge: number[]; update: number[] }>>;
  failed: Partial<Record<ContenderName, number>>;
  findingsOk: Partial<Record<ContenderName, { noopRefresh: boolean; driftCheck: boolean }>>;
  problems: string[];
}

function perPhase<T>(make: () => T): Record<Phase, T> {
  return Object.fromEntries(PHASES.map((phase) => [phase, make()])) as Record<Phase, T>;
}

async function runPhase(fleet: Fleet, contender: Contender, phase: Phase, samples: Samples): Promise<PhaseResult> {
  const name = contender.name;
  if (phase === "driftCheck" && contender.changesHosts) {
    const edits = await Promise.allSettled(fleet.hosts.map(editByHand));
    for (const edit of edits)
      if (edit.status === "rejected") samples.problems.push(`${name} ${phase}: ${describeError(edit.reason)}`);
  }
  const reloadsBefore = fleet.hosts.map(xinetdReloads);
  const loginsBefore = fleet.hosts.map(sshLogins);
  const pidBefore = lastPid();
  const result = await contender.runPhase(phase);
  const processes = processesBetween(pidBefore, lastPid(), pidMax());
  await new Promise((resolve) => setTimeout(resolve, RELOAD_LOG_SETTLE_MS));

  (samples.ms[phase][name] ??= []).push(result.ms);
  (samples.cpuMs[phase][name] ??= []).push(result.cpuMs);
  (samples.roundTrips[phase][name] ??= []).push(result.roundTrips);
  const logins = fleet.hosts.map((host, index) => sshLogins(host) - loginsBefore[index]!);
  (samples.logins[phase][name] ??= []).push(median(logins));
  (samples.loginsMax[phase][name] ??= []).push(Math.max(...logins));
  (samples.processes[phase][name] ??= []).push(processes / fleet.hosts.length);
  samples.failed[name] = (samples.failed[name] ?? 0) + result.failedOperations;
  if (contender.changesHosts && (phase === "converge" || phase === "update")) {
    const reloads = Math.max(...fleet.hosts.map((host, index) => xinetdReloads(host) - reloadsBefore[index]!));
    (samples.reloads[name] ??= { converge: [], update: [] })[phase].push(reloads);
  }
  if (result.findingsAsExpected !== undefined && (phase === "noopRefresh" || phase === "driftCheck")) {
    const verdicts = (samples.findingsOk[name] ??= { noopRefresh: true, driftCheck: true });
    if (result.findingsAsExpected === false) {
      verdicts[phase] = false;
      samples.problems.push(`${name} ${phase} found: ${(result.findings ?? []).slice(0, 6).join(", ") || "nothing"}`);
    }
  }
  if (contender.changesHosts && (phase === "converge" || phase === "update" || phase === "destroy")) {
    const expected =
      phase === "destroy" ? "absent" : { generation: phase === "converge" ? (0 as const) : (1 as const) };
    const problems = (await Promise.all(fleet.hosts.map((host) => verifyHost(host, fleet.modules, expected)))).flat();
    samples.problems.push(...problems.map((problem) => `${name} ${phase}: ${problem}`));
  }
  const trips = result.roundTrips === undefined ? "?" : String(result.roundTrips);
  progress(
    `${name.padEnd(14)} ${phase.padEnd(11)} ${(result.ms / 1000).toFixed(2).padStart(8)} s` +
      `  cpu ${(result.cpuMs / 1000).toFixed(2).padStart(7)} s  round trips ${trips}` +
      `  processes/host ${(processes / fleet.hosts.length).toFixed(0)}` +
      `${result.failedOperations ? `  FAILED ${result.failedOperations}` : ""}`,
  );
  return result;
}

function summarize(
  options: Options,
  fleet: Fleet,
  samples: Samples,
  library: LibraryMeasures,
  ansibleVersion: string | undefined,
  command: string,
  relay: RelayCounters | undefined,
): BenchResult {
  const resources = fleet.hosts.length * (fleet.modules + 3);
  const phases = perPhase((): BenchResult["phases"][Phase] => ({}));
  const ratios = perPhase((): BenchResult["ratios"][Phase] => ({}));
  const roundTripsPerResource = perPhase((): BenchResult["roundTripsPerResource"][Phase] => ({}));
  const sshLoginsPerHost = perPhase((): BenchResult["sshLoginsPerHost"][Phase] => ({}));
  const sshLoginsPerHostMax = perPhase((): BenchResult["sshLoginsPerHostMax"][Phase] => ({}));
  const processesPerHost = perPhase((): Partial<Record<ContenderName, number>> => ({}));
  for (const phase of PHASES) {
    for (const name of options.contenders) {
      const ms = samples.ms[phase][name];
      if (!ms || ms.length === 0) continue;
      phases[phase][name] = { ...rangeOf(ms), cpuMs: round(median(samples.cpuMs[phase][name]!)) };
      const trips = samples.roundTrips[phase][name]!;
      roundTripsPerResource[phase][name] = trips.every((value) => value !== undefined)
        ? round(median(trips as number[]) / resources, 2)
        : null;
      sshLoginsPerHost[phase][name] = median(samples.logins[phase][name]!);
      sshLoginsPerHostMax[phase][name] = Math.max(...samples.loginsMax[phase][name]!);
      processesPerHost[phase][name] = round(median(samples.processes[phase][name]!));
    }
    const libraryMedian = phases[phase].library?.medianMs;
    for (const name of options.contenders) {
      const other = phases[phase][name]?.medianMs;
      if (name === "library" || libraryMedian === undefined || other === undefined) continue;
      ratios[phase][name] = round(libraryMedian / other, 3);
    }
  }
  const worst = (values: number[]) => (values.length === 0 ? 0 : Math.max(...values));
  const reloadsPerHostByContender = Object.fromEntries(
    Object.entries(samples.reloads).map(([name, counts]) => [
      name,
      { converge: worst(counts.converge), update: worst(counts.update) },
    ]),
  );
  return {
    date: new Date().toISOString(),
    command,
    machine: machine(ansibleVersion),
    hosts: fleet.hosts.length,
    modules: fleet.modules,
    resources,
    reps: options.reps,
    rttMs: options.rttMs,
    relay: relay ?? null,
    contenders: options.contenders,
    phases,
    ratios,
    reloadsPerHost: reloadsPerHostByContender.library ?? { converge: 0, update: 0 },
    reloadsPerHostByContender,
    roundTripsPerResource,
    sshLoginsPerHost,
    sshLoginsPerHostMax,
    processesPerHost,
    failedOperations: Object.fromEntries(options.contenders.map((name) => [name, samples.failed[name] ?? 0])),
    refreshFindingsAsExpected: samples.findingsOk,
    providerPeakRssMb: options.contenders.includes("library") ? round(library.providerPeakRssMb) : null,
    providerHostStartMs: library.hostStartMs.length > 0 ? round(median(library.hostStartMs)) : null,
    verificationProblems: samples.problems,
  };
}

export async function main(argv: string[]): Promise<BenchResult> {
  const options = parseOptions(argv);
  const command = ["npm run bench --", ...argv].join(" ");
  const missing = findMissingLabRequirements();
  if (missing.length > 0) throw new Error(`the lab cannot run here: ${missing.join("; ")}`);
  const ansibleVersion = options.contenders.includes("ansible") ? ensureAnsible() : undefined;
  if (options.contenders.includes("library") && !fs.existsSync(path.join(PROJECT_ROOT, "dist/provider/index.js"))) {
    throw new Error("the provider host loads the built package: run `npm run build` first (`npm run bench` does)");
  }

  const started = performance.now();
  const lab: Lab = await startLab({ hosts: options.hosts });
  progress(`lab of ${options.hosts} hosts up in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const contenders: Contender[] = [];
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "pxbench-run-"));
  let relay: LatencyRelay | undefined;
  const closeContenders = async () => {
    for (const contender of contenders.splice(0))
      await contender.close().catch((error: unknown) => progress(`closing ${contender.name}: ${String(error)}`));
  };
  let stopping: Promise<void> | undefined;
  const stopAll = () =>
    (stopping ??= (async () => {
      await closeContenders();
      await relay?.stop().catch((error: unknown) => progress(`stopping the latency relay: ${String(error)}`));
      await lab.stop();
      fs.rmSync(workDir, { recursive: true, force: true });
    })());
  const onSignal = (signal: NodeJS.Signals) => {
    progress(`${signal}: stopping the lab and the provider host`);
    void stopAll().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  try {
    let endpoints: Endpoint[] = lab.hosts.map((host) => ({ address: host.address, port: host.port }));
    if (options.rttMs > 0) {
      relay = await startLatencyRelay({
        targets: lab.hosts.map((host) => ({ host: host.address, port: host.port })),
        oneWayDelayMs: options.rttMs / 2,
      });
      endpoints = [...relay.endpoints];
      progress(`latency relay (pid ${relay.pid}): ${options.rttMs} ms round trip in front of every host`);
    }
    const knownHostsPath = path.join(workDir, "known_hosts");
    fs.writeFileSync(
      knownHostsPath,
      lab.hosts.map((host, index) => knownHostsLine(endpoints[index]!, host.hostKeyLine)).join(""),
    );
    const fleet: Fleet = {
      hosts: lab.hosts,
      modules: options.modules,
      rootPrivateKey: lab.rootPrivateKey,
      rootKeyPath: lab.rootKeyPath,
      endpoints,
      knownHostsPath,
    };
    const profileDir = options.profile ? path.join(workDir, "profiles") : undefined;
    if (profileDir) fs.mkdirSync(profileDir);
    const libraryMeasures: LibraryMeasures = { providerPeakRssMb: 0, hostStartMs: [] };
    for (const name of options.contenders) {
      switch (name) {
        case "library":
          contenders.push(libraryContender(fleet, progress, libraryMeasures, profileDir));
          break;
        case "ansible":
          contenders.push(ansibleContender(fleet, progress));
          break;
        case "dialPerCommand":
          contenders.push(dialPerCommandContender(fleet, progress));
          break;
        case "floor":
          contenders.push(floorContender(fleet, progress));
          break;
      }
    }
    const samples: Samples = {
      ms: perPhase(() => ({})),
      cpuMs: perPhase(() => ({})),
      roundTrips: perPhase(() => ({})),
      logins: perPhase(() => ({})),
      loginsMax: perPhase(() => ({})),
      processes: perPhase(() => ({})),
      reloads: {},
      failed: {},
      findingsOk: {},
      problems: [],
    };
    for (let rep = 0; rep < options.reps; rep++) {
      const order = contenders.map((_, index) => contenders[(index + rep) % contenders.length]!);
      for (const contender of order) {
        progress(`repetition ${rep + 1}/${options.reps}: ${contender.name}`);
        await Promise.all(lab.hosts.map(resetHost));
        await contender.prepare();
        for (const phase of PHASES) await runPhase(fleet, contender, phase, samples);
      }
    }

    await closeContenders();
    const relayCounters = await relay?.stop();
    const result = summarize(options, fleet, samples, libraryMeasures, ansibleVersion, command, relayCounters);
    const markdown = renderMarkdown(result);
    fs.mkdirSync(options.out, { recursive: true });
    const stamp = result.date.replace(/:/g, "-").replace(/\.\d+Z$/, "Z");
    const jsonPath = path.join(options.out, `${stamp}.json`);
    fs.writeFileSync(jsonPath, `${JSON.stringify(result, null, 2)}\n`);
    fs.writeFileSync(path.join(options.out, "latest.md"), markdown);
    process.stdout.write(markdown);
    progress(`wrote ${jsonPath} and ${path.join(options.out, "latest.md")}`);
    if (profileDir) {
      const kept = path.join(options.out, `${stamp}-profile`);
      fs.cpSync(profileDir, kept, { recursive: true });
      fs.writeFileSync(path.join(kept, "summary.md"), summarizeProfiles(kept, PROJECT_ROOT));
      progress(`wrote the provider host's CPU profiles and ${path.join(kept, "summary.md")}`);
    }
    return result;
  } finally {
    await stopAll();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(
        `[bench] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exit(1);
    },
  );
}
