/**
 * Moving a service's port between its two launchers (an xinetd service file and a systemd socket)
 * on one host: the new launcher's files are written and checked first, then one script retires the
 * old launcher, starts the new one as soon as the port is free, and checks that an rsync client gets
 * an answer; when none does, the old launcher is put back and answers again. Two separate resources
 * (the old one deleted, the new one created) could only clash on the port or leave a gap without a
 * way back, so the new launcher's create does the whole move.
 */
import { posix } from "node:path";

import {
  DEFAULT_LOCK_WAIT_SECONDS,
  changeRemoteFile,
  companionPaths,
  type EditResult,
  type FileChange,
} from "./change-file";
import { RemoteError, commandFailedError } from "./errors";
import { detectXinetdHost, reloadCommand, type ReloadStrategy } from "./reload";
import { remoteScript } from "./scripts";
import type { CommandRunner } from "./transport";

/** Where xinetd writes its pid on Debian 12 (see reload.ts); the scripts also ask systemd. */
const PID_FILE = "/run/xinetd.pid";
const ANSWER_TIMEOUT_SECONDS = 5;
const HANDOVER_TIMEOUT_MS = (DEFAULT_LOCK_WAIT_SECONDS + 120) * 1000;

/** The xinetd side of a handover: the service file and how xinetd is reloaded. */
export interface XinetdLauncher {
  path: string;
  /** Default: detected on the host, as XinetdService's `"auto"`. */
  reload?: Exclude<ReloadStrategy, "none">;
}

/** The systemd side: the socket unit and its service unit (pattern) and how it is enabled. */
export interface SystemdLauncher {
  socket: string;
  service: string;
  /** `runtime` for units under /run. */
  enable: "enable" | "runtime";
}

export interface HandoverOutcome {
  /** Milliseconds from the old launcher's retirement to the new one listening, as the host timed it. */
  gapMs: number;
}

/** Whether the host runs systemd (`/run/systemd/system` exists), which a socket launcher needs. */
export async function hostRunsSystemd(runner: CommandRunner): Promise<boolean> {
  const script = remoteScript("launcher-handover", { action: "has-systemd" });
  const result = await runner.run(script);
  if (result.exitCode !== 0 || !/^(NO-)?SYSTEMD$/m.test(result.stdout))
    throw commandFailedError(runner.label, script, result);
  return /^SYSTEMD$/m.test(result.stdout);
}

/** Whether the other launcher is there: the xinetd file exists, or the socket is active. */
export async function launcherPresent(runner: CommandRunner, other: { xinetdFile: string } | SystemdLauncher) {
  const script = remoteScript("launcher-handover", {
    action: "present",
    xinetd_file: "xinetdFile" in other ? other.xinetdFile : "-",
    socket: "socket" in other ? other.socket : "-",
  });
  const result = await runner.run(script);
  if (result.exitCode !== 0 || !/^(PRESENT|ABSENT)$/m.test(result.stdout))
    throw commandFailedError(runner.label, script, result);
  return result.stdout.includes("PRESENT");
}

async function reloadShell(runner: CommandRunner, reload: XinetdLauncher["reload"]): Promise<string> {
  return reloadCommand(reload ?? (await detectXinetdHost(runner)).strategy);
}

/**
 * Runs the handover script; resolves with the gap when the new launcher answers, else runs `undo`
 * (putting the new launcher's files back; it says how that went) and rejects with an error saying
 * whether the old one answers again, with the journal's lines.
 */
export async function runHandover(
  runner: CommandRunner,
  action: "to-systemd" | "to-xinetd",
  xinetd: XinetdLauncher,
  systemd: SystemdLauncher,
  port: number,
  stdin: { content: string; restore: "previous" | "remove" | "keep" } | undefined,
  undo: () => Promise<string> = () => Promise.resolve(""),
): Promise<HandoverOutcome> {
  const { lock, previous } = companionPaths(xinetd.path);
  const script = remoteScript("launcher-handover", {
    action,
    xinetd_file: xinetd.path,
    dir: posix.dirname(xinetd.path),
    lock,
    lock_wait: String(DEFAULT_LOCK_WAIT_SECONDS),
    previous,
    pid_file: PID_FILE,
    reload: await reloadShell(runner, xinetd.reload),
    socket: systemd.socket,
    service: systemd.service,
    enable: systemd.enable,
    port: String(port),
    answer_timeout: String(ANSWER_TIMEOUT_SECONDS),
    restore: stdin?.restore ?? "keep",
  });
  const result = await runner.run(script, { stdin: stdin?.content ?? "", timeoutMs: HANDOVER_TIMEOUT_MS });
  const gap = /^GAP (\d+)$/m.exec(result.stdout);
  const outcome = /^RESULT (switched|rolled-back)(?: (.*))?$/m.exec(result.stdout);
  if (result.exitCode !== 0 || !gap || !outcome) throw commandFailedError(runner.label, script, result);
  if (outcome[1] === "switched") return { gapMs: Number(gap[1]) };
  const [from, to] = action === "to-systemd" ? ["xinetd", systemd.socket] : [systemd.socket, "xinetd"];
  const old = /^OLD answering$/m.test(result.stdout) ? "answers again" : "does NOT answer";
  const journal = /^JOURNAL\n([\s\S]*?)^END$/m.exec(result.stdout)?.[1]?.trimEnd() ?? "";
  const undone = await undo();
  return Promise.reject(
    new RemoteError({
      code: "command-failed",
      host: runner.label,
      command: `move port ${port} from ${from} to ${to}`,
      summary:
        `${to} did not answer on port ${port} (${outcome[2] ?? ""}); rolled back: ${from} ${old}` +
        (undone ? `; ${undone}` : ""),
      stdout: result.stdout,
      stderr: journal
        ? `the journal (journalctl -u ${systemd.socket} -u ${systemd.service} -u xinetd):\n${journal}`
        : "the journal has nothing about it",
    }),
  );
}

/**
 * Writes the xinetd service file (validated by xinetd on the host, as any change) and moves the
 * port to it from the socket; the file goes back as it was when xinetd does not answer.
 */
export async function handOverToXinetd(
  runner: CommandRunner,
  xinetd: XinetdLauncher,
  edit: (current: string | undefined) => EditResult,
  from: SystemdLauncher,
  port: number,
): Promise<{ change: FileChange; gapMs: number }> {
  const change = await changeRemoteFile(runner, xinetd.path, edit, { validate: "xinetd-service" });
  // A file that was already as wanted was there before this create: a rollback leaves it.
  const restore = !change.changed ? "keep" : change.previous === undefined ? "remove" : "previous";
  const { gapMs } = await runHandover(runner, "to-xinetd", xinetd, from, port, {
    content: change.content ?? "",
    restore,
  });
  return { change, gapMs };
}
