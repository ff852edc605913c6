/**
 * Processes created on this machine over a window, read from the kernel's last-assigned pid (the
 * fifth field of /proc/loadavg). The lab's hosts share this kernel, so for a phase it counts what
 * the hosts ran (sshd sessions, shells, every command of the remote scripts) plus what the
 * contender itself started on the controller (Ansible's workers and ssh clients, OpenSSH clients).
 * Forking is most of a host's CPU in this workload, so this explains where the hosts' time goes.
 */
import * as fs from "node:fs";

/** The pid the kernel handed out last. */
export function lastPid(): number {
  const fields = fs.readFileSync("/proc/loadavg", "utf8").trim().split(/\s+/);
  const pid = Number(fields[4]);
  if (!Number.isInteger(pid)) throw new Error(`unexpected /proc/loadavg: ${fields.join(" ")}`);
  return pid;
}

/** Upper bound of pids; the counter wraps there (back to 300 on Linux). */
export function pidMax(): number {
  return Number(fs.readFileSync("/proc/sys/kernel/pid_max", "utf8").trim());
}

// Linux restarts the pid search at this value after a wrap (RESERVED_PIDS in kernel/pid.c).
const FIRST_PID_AFTER_WRAP = 300;

/**
 * Processes created between two `lastPid()` readings, counting one wrap of the counter. Exact as
 * long as fewer than about `max` processes were created (a phase here creates a few thousand at
 * most) and no pid was skipped because it was still in use (then slightly low).
 */
export function processesBetween(before: number, after: number, max: number): number {
  if (after >= before) return after - before;
  // Pids run up to max - 1, then start again at FIRST_PID_AFTER_WRAP.
  return max - 1 - before + (after - FIRST_PID_AFTER_WRAP + 1);
}
