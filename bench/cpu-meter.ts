/**
 * Controller CPU (user + system) of one contender over one phase, from /proc.
 *
 * What a contender runs on the controller is of three kinds, and each is counted where the kernel
 * keeps it:
 * - work in this process (floor, dialPerCommand): `process.cpuUsage()`;
 * - children this process waits for (ansible-playbook and its workers, one-shot ssh clients): the
 *   cutime + cstime of this process once they are reaped;
 * - processes that outlive the phase or leave this process's tree (the provider host; Ansible's
 *   ControlPersist ssh masters, which detach): found by a tag in their environment
 *   (`PXBENCH_CPU_TAG=<contender>`, inherited by everything they start) or, for processes that
 *   overwrite their environment when they retitle themselves (an ssh master becomes
 *   `ssh: <ControlPath> [mux]`), by a marker in their command line; counted with their own reaped
 *   children (utime + stime + cutime + cstime).
 * The latency relay and the lab's hosts carry no tag and are not children that exit in a phase, so
 * they are charged to no contender.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";

export const CPU_TAG_VARIABLE = "PXBENCH_CPU_TAG";

const CLOCK_TICKS_PER_SECOND = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;

interface TaggedProcess {
  /** utime + stime + cutime + cstime, in clock ticks. */
  ticks: number;
  ppid: number;
}

export interface CpuSnapshot {
  selfMicros: number;
  /** This process's cutime + cstime, in clock ticks. */
  reapedTicks: number;
  /** By `pid:starttime`, so a reused pid is another process. */
  tagged: Map<string, TaggedProcess>;
}

interface ProcStat {
  ppid: number;
  ownTicks: number;
  reapedTicks: number;
  startTime: string;
}

function readStat(pid: number | "self"): ProcStat | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: the fields after it are positional.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const field = (number: number) => Number(fields[number - 3]);
  return {
    ppid: field(4),
    ownTicks: field(14) + field(15),
    reapedTicks: field(16) + field(17),
    startTime: fields[22 - 3]!,
  };
}

function readProcText(pid: number, file: "environ" | "cmdline"): string {
  try {
    return fs.readFileSync(`/proc/${pid}/${file}`, "latin1");
  } catch {
    return ""; // gone, or not ours to read
  }
}

export class CpuMeter {
  /**
   * @param tag processes whose environment holds `PXBENCH_CPU_TAG=<tag>` belong to the contender
   * @param inProcess whether the contender's own work runs in this process
   * @param cmdlineMarker processes whose command line contains it belong to the contender too
   */
  constructor(
    readonly tag: string,
    readonly inProcess: boolean,
    readonly cmdlineMarker?: string,
  ) {}

  private owns(pid: number): boolean {
    if (`\0${readProcText(pid, "environ")}`.includes(`\0${CPU_TAG_VARIABLE}=${this.tag}\0`)) return true;
    return this.cmdlineMarker !== undefined && readProcText(pid, "cmdline").includes(this.cmdlineMarker);
  }

  /** The environment entry that marks a process (and what it starts) as this contender's. */
  get environment(): Record<string, string> {
    return { [CPU_TAG_VARIABLE]: this.tag };
  }

  /**
   * Before a phase, the /proc scan comes first and after it last, so the scan's own CPU in this
   * process is outside the window.
   */
  snapshot(when: "before" | "after"): CpuSnapshot {
    const tagged = when === "before" ? this.scanTagged() : new Map<string, TaggedProcess>();
    const self = process.cpuUsage();
    const snapshot = { selfMicros: self.user + self.system, reapedTicks: readStat("self")?.reapedTicks ?? 0, tagged };
    if (when === "after") snapshot.tagged = this.scanTagged();
    return snapshot;
  }

  private scanTagged(): Map<string, TaggedProcess> {
    const tagged = new Map<string, TaggedProcess>();
    for (const entry of fs.readdirSync("/proc")) {
      if (!/^\d+$/.test(entry) || !this.owns(Number(entry))) continue;
      const stat = readStat(Number(entry));
      if (stat) tagged.set(`${entry}:${stat.startTime}`, { ticks: stat.ownTicks + stat.reapedTicks, ppid: stat.ppid });
    }
    return tagged;
  }

  /** CPU milliseconds the contender used between two snapshots. */
  elapsedMs(before: CpuSnapshot, after: CpuSnapshot): number {
    let ticks = after.reapedTicks - before.reapedTicks;
    for (const [key, now] of after.tagged) ticks += now.ticks - (before.tagged.get(key)?.ticks ?? 0);
    const waitingParents = new Set([process.pid, ...[...after.tagged.keys()].map((key) => Number(key.split(":")[0]))]);
    for (const [key, then] of before.tagged) {
      // Gone, and reaped by a parent counted above: its whole life is in that parent's figure now.
      if (!after.tagged.has(key) && waitingParents.has(then.ppid)) ticks -= then.ticks;
    }
    const selfMs = this.inProcess ? (after.selfMicros - before.selfMicros) / 1000 : 0;
    return selfMs + (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
  }
}

/** Runs `body`, measuring its wall time with the monotonic clock and the contender's CPU. */
export async function measured<T>(
  meter: CpuMeter,
  body: () => Promise<T>,
): Promise<{ ms: number; cpuMs: number; value: T }> {
  const before = meter.snapshot("before");
  const started = performance.now();
  const value = await body();
  const ms = performance.now() - started;
  return { ms, cpuMs: meter.elapsedMs(before, meter.snapshot("after")), value };
}
