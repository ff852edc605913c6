/** What every contender implements, and the per-host counters the driver reads around each phase. */
import * as fs from "node:fs";
import * as path from "node:path";

import type { LabHost } from "../test/lab/lab";
import type { ContenderName, Phase } from "./workload";

export interface PhaseResult {
  /** Wall time from the first operation issued to the last one settled. */
  ms: number;
  /** Controller CPU (user + system) over the same window, of everything the contender ran (cpu-meter.ts). */
  cpuMs: number;
  /** Remote commands (SSH channels or invocations) over all hosts; undefined when not countable. */
  roundTrips: number | undefined;
  failedOperations: number;
  /** Refresh phases: what was found changed, as `<resource or host>.<property or file>`. */
  findings?: string[];
  /** Refresh phases: whether the findings are exactly what the phase should find. */
  findingsAsExpected?: boolean;
}

export interface Contender {
  readonly name: ContenderName;
  /** False for the floor: it only runs `true`, so there is nothing to edit by hand or to verify. */
  readonly changesHosts: boolean;
  /** Untimed: get ready for a repetition that starts from empty hosts. */
  prepare(): Promise<void>;
  runPhase(phase: Phase): Promise<PhaseResult>;
  /** Stops whatever the contender started; safe to call twice. */
  close(): Promise<void>;
}

/** Runs `body` and measures it with the monotonic clock. */
export async function timed<T>(body: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await body();
  return { ms: performance.now() - started, value };
}

/** Counts operations that reject, without stopping the others. */
export async function settleAll(operations: Promise<unknown>[], onFailure: (error: unknown) => void): Promise<number> {
  const outcomes = await Promise.allSettled(operations);
  let failed = 0;
  for (const outcome of outcomes) {
    if (outcome.status === "rejected") {
      failed++;
      onFailure(outcome.reason);
    }
  }
  return failed;
}

function countLines(file: string, pattern: RegExp): number {
  try {
    return fs
      .readFileSync(file, "utf8")
      .split("\n")
      .filter((line) => pattern.test(line)).length;
  } catch {
    return 0;
  }
}

/** xinetd reconfigurations so far, from the host's own log (the lab runs xinetd with -filelog). */
export function xinetdReloads(host: LabHost): number {
  return countLines(path.join(host.dir, "var/log/xinetd.log"), /NOTICE: Starting reconfiguration$/);
}

/** SSH logins so far (each a TCP connection and key exchange), from the host's sshd log. */
export function sshLogins(host: LabHost): number {
  return countLines(path.join(host.dir, "var/log/sshd.log"), /^Accepted publickey for /);
}

export function describeError(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0]!.slice(0, 300);
}
