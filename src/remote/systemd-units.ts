/**
 * A systemd socket service's files on a host (`NAME.socket`, `NAME@.service` or `NAME.service`,
 * and their drop-ins): read together, changed together under one lock after `systemd-analyze
 * verify` accepted the candidates, then applied with one `daemon-reload` per host per burst, the
 * socket (re)started and checked (active, listening); a socket that does not come up gets its
 * previous files back, is started again with them, and its caller an error with the journal.
 */
import { posix } from "node:path";

import { Burst } from "./burst";
import { RemoteError, commandFailedError } from "./errors";
import { runHandover, type XinetdLauncher } from "./launcher-handover";
import { remoteScript } from "./scripts";
import { StreamReader } from "./stream-reader";
import type { CommandRunner } from "./transport";

/** Where `systemctl edit` and administrators put drop-ins, besides the unit's own directory. */
const DROP_IN_ROOTS = ["/etc/systemd/system", "/run/systemd/system"];
const LOCK_WAIT_SECONDS = 60;
const CHANGE_TIMEOUT_MS = (LOCK_WAIT_SECONDS + 120) * 1000;
const DEFAULT_SETTLE_MS = 100;

/** One socket service's place on a host. */
export interface SystemdUnitsTarget {
  unitDir: string;
  /** The unit name stem. */
  name: string;
}

export interface SystemdUnitPaths {
  socket: string;
  /** `NAME@.service` (Accept=yes). */
  template: string;
  /** `NAME.service` (Accept=no). */
  plain: string;
  /** Every `.d` directory whose `*.conf` files systemd merges into the three units. */
  dropInDirs: string[];
  lock: string;
}

export function systemdUnitPaths(target: SystemdUnitsTarget): SystemdUnitPaths {
  const { unitDir, name } = target;
  const units = [`${name}.socket`, `${name}@.service`, `${name}.service`];
  const roots = [...new Set([unitDir, ...DROP_IN_ROOTS])];
  return {
    socket: posix.join(unitDir, units[0]!),
    template: posix.join(unitDir, units[1]!),
    plain: posix.join(unitDir, units[2]!),
    dropInDirs: roots.flatMap((root) => units.map((unit) => posix.join(root, `${unit}.d`))),
    lock: posix.join(unitDir, `.${name}.socket.lock`),
  };
}

/** Path → content of every file found (units and `*.conf` drop-ins). */
export type SystemdUnitFiles = Map<string, string>;

/**
 * Unit name → the file systemd loads it from, for the units of these names that live outside the
 * unit directory (a package's `/lib/systemd/system`, `/run/systemd/system`): a unit written under
 * the same name in `/etc/systemd/system` would override it.
 */
export type SystemdUnitsElsewhere = ReadonlyMap<string, string>;

/** What a change does to the files it was shown (`elsewhere`: see SystemdUnitsElsewhere). */
export type SystemdUnitsEditor = (files: SystemdUnitFiles, elsewhere: SystemdUnitsElsewhere) => SystemdUnitEdits;

/** The drop-ins of `unit` (`NAME.socket`) among `files`, as `{ path, name }`. */
export function dropInsOf(files: SystemdUnitFiles, unit: string): { path: string; name: string; content: string }[] {
  return [...files]
    .filter(([path]) => posix.basename(posix.dirname(path)) === `${unit}.d`)
    .map(([path, content]) => ({ path, name: posix.basename(path), content }));
}

function scriptParameters(target: SystemdUnitsTarget): Record<string, string> {
  const paths = systemdUnitPaths(target);
  return { files: [paths.socket, paths.template, paths.plain].join("\n"), dropin_dirs: paths.dropInDirs.join("\n") };
}

async function readShownFiles(
  stdout: StreamReader,
  elsewhere: Map<string, string> = new Map(),
): Promise<SystemdUnitFiles> {
  const files: SystemdUnitFiles = new Map();
  for (;;) {
    const line = await stdout.readLine();
    if (line === "END") return files;
    const file = /^FILE (\d+) (.+)$/.exec(line);
    const other = /^ELSEWHERE (\S+) (.+)$/.exec(line);
    if (file) files.set(file[2]!, (await stdout.readBytes(Number(file[1]))).toString("utf8"));
    else if (other) elsewhere.set(other[1]!, other[2]!);
    else if (!line.startsWith("ABSENT ")) throw new Error(`unexpected line: ${line}`);
  }
}

/** The units and drop-ins of a socket service as they are on the host. */
export async function readSystemdUnits(runner: CommandRunner, target: SystemdUnitsTarget): Promise<SystemdUnitFiles> {
  const script = remoteScript("systemd-read-units", scriptParameters(target));
  const process = await runner.spawn(script);
  const stdout = new StreamReader(process.stdout);
  const stderr = collect(process.stderr);
  process.stdin.end();
  try {
    return await readShownFiles(stdout);
  } catch {
    const result = await process.done;
    throw commandFailedError(runner.label, script, { ...result, stderr: stderr() || result.stderr });
  } finally {
    await process.done.catch(() => undefined);
  }
}

/** The files a change wants: path → new content, or `null` to remove the file. Absent paths stay. */
export type SystemdUnitEdits = Map<string, string | null>;

export interface SystemdUnitsOptions {
  /** The service's port and protocol (`tcp`, `udp`; `-`: not checked), checked for a listener. */
  port: number;
  protocol: "tcp" | "udp" | "-";
  /** `Accept=no`: the service holds the listening socket, so it is stopped before the socket restarts. */
  wait: boolean;
  /** The program `ExecStart=` runs: it must be an executable file on the host. */
  server: string;
  /** `User=` and `Group=`: they must exist on the host (systemd-analyze does not look them up). */
  user?: string;
  group?: string;
  /** Apply and check even when no file changed (an earlier attempt may have been cut off). */
  verifyUnchanged?: boolean;
}

/** One file as a change left it, for the rollback. */
interface WrittenFile {
  path: string;
  /** What the change wrote; undefined when it removed the file. */
  content: string | undefined;
  existed: boolean;
}

export interface SystemdUnitsChange {
  changed: boolean;
  /** The files after the change (all of them, as shown under the lock and edited). */
  files: SystemdUnitFiles;
  /** What `systemd-analyze verify` said (empty when nothing was written). */
  verifyLog: string;
}

/** A change waiting for the batch's activation. */
interface PendingChange {
  target: SystemdUnitsTarget;
  options: SystemdUnitsOptions;
  written: WrittenFile[];
  socketChanged: boolean;
}

/** An operation waiting for the batch: a change to activate, or a removal that needs only the reload. */
interface PendingActivation {
  change?: PendingChange;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * The host's activator: every change through runners of one identity joins it; when none is in
 * flight (plus a short settle delay) one `daemon-reload` covers them all.
 */
export class SystemdActivator {
  private readonly burst: Burst<PendingActivation>;

  constructor(
    private readonly runner: CommandRunner,
    settleMs = DEFAULT_SETTLE_MS,
  ) {
    this.burst = new Burst((batch) => this.flush(batch), settleMs);
  }

  /**
   * Changes the socket service's files (`edit` sees them as the host has them, under the lock) and,
   * when any changed, waits for the batch's activation. Rejects with a RemoteError when the host
   * refused the candidates (nothing changed) or the socket did not come up (files rolled back).
   */
  async change(
    target: SystemdUnitsTarget,
    edit: SystemdUnitsEditor,
    options: SystemdUnitsOptions,
  ): Promise<SystemdUnitsChange> {
    let activation: Promise<void> | undefined;
    const result = await this.burst.during(async () => {
      const result = await changeUnitFiles(this.runner, target, edit, options);
      const socketPath = systemdUnitPaths(target).socket;
      const socketChanged = result.written.some(
        (file) => file.path === socketPath || posix.dirname(file.path).endsWith(".socket.d"),
      );
      if (result.change.changed || options.verifyUnchanged === true) {
        const change = { target, options, written: result.written, socketChanged };
        activation = new Promise((resolve, reject) => this.burst.add({ change, resolve, reject }));
      }
      return result;
    });
    if (activation) await activation;
    return result.change;
  }

  /**
   * Stops, disables and removes a socket service (see systemd-remove-units.sh); the daemon-reload
   * that makes systemd forget it joins the host's batch.
   */
  async remove(target: SystemdUnitsTarget, wait: boolean): Promise<void> {
    let reloaded: Promise<void> | undefined;
    await this.burst.during(async () => {
      await removeUnitFiles(this.runner, target, wait);
      reloaded = new Promise((resolve, reject) => this.burst.add({ resolve, reject }));
    });
    await reloaded;
  }

  private async flush(batch: PendingActivation[]): Promise<void> {
    try {
      const changes = batch.flatMap((entry) => (entry.change ? [entry.change] : []));
      let checks: Map<string, SocketCheck>;
      try {
        checks = await activate(this.runner, true, changes.map(startLine));
      } catch (error) {
        await this.undoUnapplied(batch, error);
        return;
      }
      const failing = changes.filter((change) => !checkOf(checks, change.target).ok);
      for (const entry of batch) if (!entry.change || !failing.includes(entry.change)) entry.resolve();
      if (failing.length === 0) return;
      const notes = await this.rollBack(failing);
      for (const entry of batch) {
        const change = entry.change;
        if (change && failing.includes(change))
          entry.reject(failureError(this.runner.label, change, checkOf(checks, change.target), notes.get(change)!));
      }
    } catch (error) {
      for (const entry of batch) entry.reject(error);
    }
  }

  /**
   * systemd could not be told (the daemon-reload failed): the changed files go back to what the
   * running units were loaded from, and every operation of the batch fails with the reason.
   */
  private async undoUnapplied(batch: PendingActivation[], error: unknown): Promise<void> {
    const reason = error instanceof Error ? error.message : String(error);
    for (const entry of batch) {
      const change = entry.change;
      const note = change
        ? await restoreFiles(this.runner, change.target, change.written).catch(
            (failure: unknown) => `the previous units could NOT be restored: ${String(failure)}`,
          )
        : "the files are removed";
      entry.reject(
        new RemoteError({
          code: "command-failed",
          host: this.runner.label,
          command: "systemctl daemon-reload",
          summary: `systemd could not be reloaded, so nothing was applied; ${note}`,
          stderr: reason,
        }),
      );
    }
  }

  /** Puts the previous files back where nobody changed them since, reloads, restarts or stops the sockets. */
  private async rollBack(failing: PendingChange[]): Promise<Map<PendingChange, string>> {
    const notes = new Map<PendingChange, string>();
    const lines: string[] = [];
    for (const change of failing) {
      const restored = await restoreFiles(this.runner, change.target, change.written);
      const socketPath = systemdUnitPaths(change.target).socket;
      const socketWasNew = change.written.some((file) => file.path === socketPath && !file.existed);
      lines.push(
        socketWasNew ? stopLine(change.target, change.options) : startLine({ ...change, socketChanged: true }),
      );
      notes.set(change, restored);
    }
    const after = await activate(this.runner, true, lines);
    for (const change of failing) {
      const check = after.get(socketUnit(change.target));
      const state = check === undefined ? "stopped (it was new)" : check.ok ? "answering again" : "NOT up again";
      notes.set(change, `${notes.get(change)}; the socket is ${state}`);
    }
    return notes;
  }
}

const activators = new Map<string, SystemdActivator>();

/** The activator shared by every operation in this process through runners of `runner`'s identity. */
export function systemdActivatorFor(runner: CommandRunner): SystemdActivator {
  let activator = activators.get(runner.identity);
  if (!activator) {
    activator = new SystemdActivator(runner);
    activators.set(runner.identity, activator);
  }
  return activator;
}

/** Changes a socket service's files through the host's shared activator. */
export function changeSystemdUnits(
  runner: CommandRunner,
  target: SystemdUnitsTarget,
  edit: SystemdUnitsEditor,
  options: SystemdUnitsOptions,
): Promise<SystemdUnitsChange> {
  return systemdActivatorFor(runner).change(target, edit, options);
}

function socketUnit(target: SystemdUnitsTarget): string {
  return `${target.name}.socket`;
}

function serviceUnitPattern(target: SystemdUnitsTarget, wait: boolean): string {
  return wait ? `${target.name}.service` : `${target.name}@*.service`;
}

function enableWord(target: SystemdUnitsTarget): string {
  return target.unitDir.startsWith("/run/") ? "runtime" : "enable";
}

function startLine(entry: Pick<PendingChange, "target" | "options" | "socketChanged">): string {
  const { target, options } = entry;
  return [
    "start",
    socketUnit(target),
    serviceUnitPattern(target, options.wait),
    options.port,
    options.protocol,
    entry.socketChanged ? 1 : 0,
    options.wait ? 0 : 1,
    enableWord(target),
  ].join(" ");
}

function stopLine(target: SystemdUnitsTarget, options: SystemdUnitsOptions): string {
  return ["stop", socketUnit(target), serviceUnitPattern(target, options.wait), options.port, "-", 0, 0, "-"].join(" ");
}

interface SocketCheck {
  ok: boolean;
  state: string;
  listening: string;
  journal: string;
}

function checkOf(checks: Map<string, SocketCheck>, target: SystemdUnitsTarget): SocketCheck {
  return checks.get(socketUnit(target)) ?? { ok: false, state: "unknown", listening: "unchecked", journal: "" };
}

/** Runs the activation script for `lines` (see systemd-activate.sh) and reads its checks. */
async function activate(runner: CommandRunner, reload: boolean, lines: string[]): Promise<Map<string, SocketCheck>> {
  const script = remoteScript("systemd-activate", { reload: reload ? "1" : "0" });
  const result = await runner.run(script, { stdin: lines.map((line) => `${line}\n`).join("") });
  if (result.exitCode !== 0) throw commandFailedError(runner.label, script, result);
  const checks = new Map<string, SocketCheck>();
  const out = result.stdout.split("\n");
  for (let i = 0; i < out.length; i++) {
    const unit = /^UNIT (\S+) (\S+) (\S+)$/.exec(out[i]!);
    if (unit) {
      const [, name, state, listening] = unit as unknown as [string, string, string, string];
      checks.set(name, { ok: state === "active" && listening !== "missing", state, listening, journal: "" });
      continue;
    }
    const journal = /^JOURNAL (\S+)$/.exec(out[i]!);
    if (!journal) continue;
    const end = out.indexOf("END", i + 1);
    const text = out.slice(i + 1, end < 0 ? undefined : end).join("\n");
    const check = checks.get(journal[1]!);
    if (check) check.journal = text;
    if (end > 0) i = end;
  }
  return checks;
}

function failureError(host: string, entry: PendingChange, check: SocketCheck, note: string): RemoteError {
  const unit = socketUnit(entry.target);
  const services = serviceUnitPattern(entry.target, entry.options.wait);
  const reasons = [
    ...(check.state === "active" ? [] : [`${unit} is ${check.state}, not active`]),
    ...(check.listening === "missing"
      ? [`nothing listens on ${entry.options.protocol} port ${entry.options.port}`]
      : []),
  ];
  return new RemoteError({
    code: "command-failed",
    host,
    command: `systemctl daemon-reload; systemctl restart ${unit}`,
    summary: `${unit} did not come up with the new units: ${reasons.join("; ")}; rolled back (${note})`,
    stdout: check.journal,
    stderr: check.journal
      ? `the journal (journalctl -u ${unit} -u ${services}):\n${check.journal}`
      : "the journal has nothing about it",
  });
}

/** The change script's round trip: show the files under the lock, send what changes, read the verdict. */
async function changeUnitFiles(
  runner: CommandRunner,
  target: SystemdUnitsTarget,
  edit: SystemdUnitsEditor,
  options: SystemdUnitsOptions,
): Promise<{ change: SystemdUnitsChange; written: WrittenFile[] }> {
  const paths = systemdUnitPaths(target);
  const serviceUnit = options.wait ? `${target.name}.service` : `${target.name}@.service`;
  const script = remoteScript("systemd-change-units", {
    ...scriptParameters(target),
    lock: paths.lock,
    lock_wait: String(LOCK_WAIT_SECONDS),
    unit_dir: target.unitDir,
    socket_unit: `${target.name}.socket`,
    verify_unit: options.wait ? serviceUnit : `${target.name}@verify.service`,
    server: options.server,
    units: [`${target.name}.socket`, serviceUnit].join("\n"),
    user: options.user ?? "",
    group: options.group ?? "",
    unit_names: `${escapeRegExp(target.name)}(\\.socket|\\.service|@)`,
  });
  const process = await runner.spawn(script, { timeoutMs: CHANGE_TIMEOUT_MS });
  const stdout = new StreamReader(process.stdout);
  const stderr = collect(process.stderr);
  process.stdin.on("error", () => undefined);
  const fail = async (): Promise<never> => {
    process.stdin.destroy();
    const result = await process.done;
    throw commandFailedError(runner.label, script, { ...result, stderr: stderr() || result.stderr });
  };

  let current: SystemdUnitFiles;
  const elsewhere = new Map<string, string>();
  try {
    current = await readShownFiles(stdout, elsewhere);
  } catch {
    return fail();
  }
  let written: WrittenFile[];
  try {
    written = [...edit(current, elsewhere)]
      .filter(([path, content]) => (content === null ? current.has(path) : current.get(path) !== content))
      .map(([path, content]) => ({ path, content: content ?? undefined, existed: current.has(path) }));
  } catch (error) {
    process.stdin.end("KEEP\n");
    await process.done.catch(() => undefined);
    throw error;
  }
  const files = new Map(current);
  for (const file of written) {
    if (file.content === undefined) files.delete(file.path);
    else files.set(file.path, file.content);
  }
  if (written.length === 0) {
    process.stdin.end("KEEP\n");
    const result = await process.done;
    if (result.exitCode !== 0) return fail();
    return { change: { changed: false, files, verifyLog: "" }, written };
  }
  const records = written.map((file) => {
    if (file.content === undefined) return Buffer.from(`DELETE 0 ${file.path}\n`);
    const bytes = Buffer.from(file.content, "utf8");
    return Buffer.concat([Buffer.from(`WRITE ${bytes.length} ${file.path}\n`), bytes]);
  });
  process.stdin.end(Buffer.concat([Buffer.from(`CHANGE ${written.length}\n`), ...records]));
  const answer = (await stdout.readRest()).toString("utf8");
  const result = await process.done;
  if (result.exitCode !== 0) return fail();
  const [validation, outcome, ...log] = answer.split("\n");
  const verifyLog = log.join("\n").trim();
  if (outcome === "RESULT rejected") {
    throw new RemoteError({
      code: "command-failed",
      host: runner.label,
      command: script,
      summary:
        `the host refused the new units of ${target.name}.socket (systemd-analyze verify, server check); ` +
        "nothing was changed",
      stdout: answer,
      stderr: verifyLog,
    });
  }
  if (outcome !== "RESULT written" || !validation?.startsWith("VALIDATION "))
    throw commandFailedError(runner.label, script, { ...result, stdout: answer });
  return { change: { changed: true, files, verifyLog }, written };
}

/** Puts back the previous version of each file the change wrote, where it still holds what was written. */
async function restoreFiles(
  runner: CommandRunner,
  target: SystemdUnitsTarget,
  written: WrittenFile[],
): Promise<string> {
  const script = remoteScript("systemd-restore-units", {
    lock: systemdUnitPaths(target).lock,
    lock_wait: String(LOCK_WAIT_SECONDS),
    unit_dir: target.unitDir,
  });
  const stdin = Buffer.concat(
    written.map((file) => {
      const bytes = Buffer.from(file.content ?? "", "utf8");
      const head = `${file.content === undefined ? "deleted" : "written"} ${file.existed ? "previous" : "remove"}`;
      return Buffer.concat([
        Buffer.from(`${head} ${file.content === undefined ? 0 : bytes.length} ${file.path}\n`),
        bytes,
      ]);
    }),
  );
  const result = await runner.run(script, { stdin, timeoutMs: CHANGE_TIMEOUT_MS });
  if (result.exitCode !== 0) throw commandFailedError(runner.label, script, result);
  const changed = result.stdout.split("\n").filter((line) => line.startsWith("CHANGED "));
  return changed.length === 0
    ? "previous units restored"
    : `previous units restored except ${changed.map((line) => line.slice("CHANGED ".length)).join(", ")}, ` +
        "changed again since";
}

/**
 * Stops a socket service and removes its files through the host's shared activator: the
 * daemon-reload after it is shared with the other changes and removals of the burst.
 */
export function removeSystemdUnits(runner: CommandRunner, target: SystemdUnitsTarget, wait: boolean): Promise<void> {
  return systemdActivatorFor(runner).remove(target, wait);
}

/**
 * Stops and disables the socket, stops its service, removes the units, their drop-ins, the
 * previous versions kept beside them and the lock. One round trip under the service's lock.
 */
async function removeUnitFiles(runner: CommandRunner, target: SystemdUnitsTarget, wait: boolean): Promise<void> {
  const paths = systemdUnitPaths(target);
  const script = remoteScript("systemd-remove-units", {
    ...scriptParameters(target),
    lock: paths.lock,
    lock_wait: String(LOCK_WAIT_SECONDS),
    unit_dir: target.unitDir,
    socket_unit: `${target.name}.socket`,
    service_unit: serviceUnitPattern(target, wait),
  });
  const result = await runner.run(script, { timeoutMs: CHANGE_TIMEOUT_MS });
  if (result.exitCode !== 0 || !result.stdout.includes("REMOVED"))
    throw commandFailedError(runner.label, script, result);
}

/**
 * Writes a socket service's units (verified by systemd-analyze on the host, as any change) and
 * moves the port to the socket from xinetd's service file `from`, in one script (see
 * launcher-handover.ts). When the socket does not answer, xinetd's file is back and answers, and
 * the units go back as they were.
 */
export async function handOverToSystemd(
  runner: CommandRunner,
  target: SystemdUnitsTarget,
  edit: SystemdUnitsEditor,
  options: SystemdUnitsOptions,
  from: XinetdLauncher,
): Promise<SystemdUnitsChange & { gapMs: number }> {
  const { change, written } = await changeUnitFiles(runner, target, edit, options);
  const systemd = {
    socket: socketUnit(target),
    service: serviceUnitPattern(target, options.wait),
    enable: enableWord(target) === "runtime" ? ("runtime" as const) : ("enable" as const),
  };
  const undo = async () => {
    if (written.length === 0) return "";
    // Units that did not exist before go entirely, with their lock, as a delete removes them.
    if (written.every((file) => !file.existed)) {
      return removeUnitFiles(runner, target, options.wait).then(
        () => activate(runner, true, []).then(() => "the new units are removed"),
        (failure: unknown) => `the new units could NOT be removed: ${String(failure)}`,
      );
    }
    const note = await restoreFiles(runner, target, written).catch(
      (failure: unknown) => `the new units could NOT be put back: ${String(failure)}`,
    );
    await activate(runner, true, []);
    return note.replace("previous units restored", "the units are back as they were");
  };
  const { gapMs } = await runHandover(runner, "to-systemd", from, systemd, options.port, undefined, undo);
  return { ...change, gapMs };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function collect(stream: NodeJS.ReadableStream): () => string {
  const chunks: Buffer[] = [];
  stream.on("data", (chunk: Buffer | string) => chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk));
  return () => Buffer.concat(chunks).toString("utf8");
}
