/**
 * Asks the real xinetd which services of a candidate configuration it would run.
 *
 * xinetd runs in throwaway network and mount namespaces: its listeners are bound in an empty
 * network namespace, and /run is replaced by a temp directory so its state dump
 * (/var/run/xinetd.dump, fixed at compile time) lands there. It runs in normal mode, not `-d`,
 * because `-d` changes the verdict (a bad `defaults` section no longer makes it exit).
 *
 * Sequence: wait for `Started working: N available services`, send SIGUSR1, wait for
 * `generated state dump`, read the `Service = NAME` / `State = Active` entries, send SIGTERM.
 *
 * With `hostPid` (or XINETD_ORACLE_HOST_PID, which test/oracle/xinetd-releases.test.ts sets to a
 * systemd lab host's init), xinetd runs in that process's mount namespace and root: its binary,
 * libraries, users and /etc/services are the host's Debian release's. Its files go to the host's /tmp.
 */
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface XinetdFile {
  /** File name inside the service directory (no `/`). */
  name: string;
  content: string;
}

export interface XinetdOptions {
  /** Body of the `defaults { }` block (attribute lines); empty by default. */
  defaults?: string;
  /**
   * `includedir` (default): one `includedir` line, so its file-name rules apply (names with a `.`
   * or ending in `~` are skipped). `include`: one `include` line per file, in the given order.
   */
  mode?: "includedir" | "include";
  /** Give up (and kill xinetd) after this long; default 5000 ms. */
  timeoutMs?: number;
  /** Run xinetd in this process's mount namespace and root (a systemd lab host's init); default: this machine's. */
  hostPid?: number;
}

export interface XinetdVerdict {
  /** Names of the services xinetd started, in its order; a name shared by two ids appears twice. */
  available: string[];
  /** The `id` of each entry of `available` (the name unless the file sets `id`). */
  ids: string[];
  /** xinetd's log with the temp directory prefix removed (paths read `services/NAME`). */
  log: string;
  /** ERROR and WARNING lines written before we stopped it, as `LEVEL: message [file=…] [line=…]`. */
  problems: string[];
  /** Exit status when xinetd quit by itself (e.g. bad `defaults`), null when we stopped it. */
  exitCode: number | null;
}

// Positional parameters keep paths out of the script text. `unshare -m` makes mounts private,
// so the host's /run is untouched.
const SCRIPT = 'ip link set lo up && mount --bind "$1" /run && exec xinetd -dontfork -filelog "$2" -f "$3"';
const POLL_MS = 3;
const STARTED = /: NOTICE: Started working: (\d+) available services?$/m;
const DUMPED = /: INFO: generated state dump in file /;
const LINE_PREFIX = /^\S+ xinetd\[\d+\]: /;
const HOST_PID_FROM_ENV = process.env.XINETD_ORACLE_HOST_PID;

function mainConfig(dir: string, files: XinetdFile[], options: XinetdOptions): string {
  const includes =
    (options.mode ?? "includedir") === "includedir"
      ? [`includedir ${join(dir, "services")}`]
      : files.map((f) => `include ${join(dir, "services", f.name)}`);
  return ["defaults", "{", options.defaults ?? "", "}", ...includes, ""].join("\n");
}

function problemsOf(log: string): string[] {
  return log
    .split("\n")
    .map((line) => line.replace(LINE_PREFIX, ""))
    .filter((line) => line.startsWith("ERROR: ") || line.startsWith("WARNING: "));
}

function activeServices(dump: string): { available: string[]; ids: string[] } {
  const entries = [
    ...dump.matchAll(/^Service = (.+)\n\tState = Active\n\tService configuration: .+\n\t\tid = (.+)$/gm),
  ];
  return { available: entries.map((m) => m[1] as string), ids: entries.map((m) => m[2] as string) };
}

async function readOrEmpty(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch {
    return "";
  }
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Run {
  signal(name: NodeJS.Signals): void;
  exited: Promise<void>;
  /** undefined while xinetd runs. */
  exitCode(): number | null | undefined;
  stderr(): string;
  strip(text: string): string;
}

async function watch(logPath: string, dumpPath: string, timeoutMs: number, run: Run): Promise<XinetdVerdict> {
  const deadline = Date.now() + timeoutMs;
  let dumpRequested = false;
  let announced = 0;
  while (run.exitCode() === undefined) {
    if (Date.now() > deadline) {
      throw new Error(
        `xinetd did not start in ${timeoutMs} ms:\n${run.strip(await readOrEmpty(logPath))}${run.stderr()}`,
      );
    }
    const log = await readOrEmpty(logPath);
    if (!dumpRequested) {
      const started = STARTED.exec(log);
      if (started) {
        announced = Number(started[1]);
        dumpRequested = true;
        run.signal("SIGUSR1");
      }
    } else if (DUMPED.test(log)) {
      const dump = await readFile(dumpPath, "utf8");
      if (!dump.includes("END OF DUMP")) throw new Error(`truncated xinetd state dump:\n${dump}`);
      run.signal("SIGTERM");
      await run.exited;
      const { available, ids } = activeServices(dump);
      if (available.length !== announced) {
        throw new Error(
          `xinetd announced ${announced} services but its dump lists [${available.join(", ")}]:\n${dump}`,
        );
      }
      const problems = problemsOf(run.strip(log));
      return { available, ids, log: run.strip(await readFile(logPath, "utf8")), problems, exitCode: null };
    }
    await Promise.race([delay(POLL_MS), run.exited]);
  }
  // xinetd quit on its own (bad defaults, unreadable config): nothing is available.
  const log = run.strip(await readOrEmpty(logPath));
  if (log === "") throw new Error(`xinetd did not run (exit ${String(run.exitCode())}): ${run.stderr()}`);
  return { available: [], ids: [], log, problems: problemsOf(log), exitCode: run.exitCode() ?? null };
}

export async function xinetdVerdict(files: XinetdFile[], options: XinetdOptions = {}): Promise<XinetdVerdict> {
  for (const f of files) {
    if (f.name === "" || f.name === "." || f.name === ".." || f.name.includes("/")) {
      throw new Error(`bad service file name ${JSON.stringify(f.name)}`);
    }
  }
  const hostPid = options.hostPid?.toString() ?? HOST_PID_FROM_ENV;
  // The host's /tmp as this process sees it, and as xinetd does.
  const [outerTmp, innerTmp] = hostPid ? [`/proc/${hostPid}/root/tmp`, "/tmp"] : [tmpdir(), tmpdir()];
  // nsenter without --pid execs (no fork), so the child's pid stays xinetd's pid.
  const enterHost = hostPid ? ["nsenter", "-t", hostPid, "-m", "-r", "-w", "--"] : [];
  // `outer`: where this process reads and writes the files; `dir`: the same directory as xinetd sees it.
  const outer = await mkdtemp(join(outerTmp, "xinetd-oracle-"));
  const dir = join(innerTmp, outer.slice(outerTmp.length + 1));
  try {
    const runDir = join(dir, "run");
    const logPath = join(outer, "xinetd.log");
    const mainPath = join(dir, "xinetd.conf");
    await mkdir(join(outer, "run"));
    await mkdir(join(outer, "services"));
    for (const f of files) await writeFile(join(outer, "services", f.name), f.content);
    await writeFile(join(outer, "xinetd.conf"), mainConfig(dir, files, options));
    await writeFile(logPath, "");

    // unshare and sh both exec, so the child's pid is xinetd's pid.
    const [command, ...args] = [
      ...enterHost,
      ...["unshare", "-n", "-m", "sh", "-c", SCRIPT, "sh", runDir, join(dir, "xinetd.log"), mainPath],
    ];
    const child = spawn(command!, args, { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    let exitCode: number | null | undefined;
    const exited = new Promise<void>((resolve) =>
      child.once("close", (code) => {
        exitCode = code;
        resolve();
      }),
    );
    try {
      return await watch(logPath, join(outer, "run", "xinetd.dump"), options.timeoutMs ?? 5000, {
        signal: (name) => child.kill(name),
        exited,
        exitCode: () => exitCode,
        stderr: () => stderr,
        strip: (text) => text.split(`${dir}/`).join(""),
      });
    } finally {
      if (exitCode === undefined) {
        child.kill("SIGKILL");
        await exited;
      }
    }
  } finally {
    await rm(outer, { recursive: true, force: true });
  }
}
