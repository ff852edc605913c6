/**
 * Asks the real rsync how it reads an rsyncd.conf, without a daemon or a port: the client runs
 * over a "remote shell" (fakersh) that starts `rsync --server --daemon` locally, and that server
 * reads the candidate file exactly as a daemon child (or an xinetd-started rsync) would.
 *
 * With fakersh the client is seen as host `UNKNOWN`, address `0.0.0.0`, so `hosts allow` /
 * `hosts deny` are observable against that address. Uploads are dry runs: the read-only check
 * happens before any transfer, and nothing is written into the module.
 */
import { execFile } from "node:child_process";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface RsyncListedModule {
  name: string;
  comment: string;
}

export interface RsyncVerdict {
  /** rsync client exit status: 0 fine, 5 fatal config error (no server greeting). */
  exitCode: number;
  /** The module listing (`list = yes` modules), in rsync's order. */
  modules: RsyncListedModule[];
  /** Lines before the listing that are not modules (the `motd file`). */
  motd: string[];
  /** The server's `--log-file` (warnings such as unknown parameters land here). */
  log: string;
  /** Client stderr, which also carries the server's fatal messages. */
  stderr: string;
}

export interface RsyncModuleFacts {
  /** false when rsync answers `Unknown module` (or the whole file is fatal). */
  exists: boolean;
  /** Appears in the module listing. */
  listed: boolean;
  /** Comment from the listing; null when not listed. */
  comment: string | null;
  /** Entry names at the module root (its `path`), without `.`; null when listing it failed. */
  entries: string[] | null;
  /** `@ERROR: access denied …` (hosts allow/deny against 0.0.0.0 / UNKNOWN). */
  accessDenied: boolean;
  /** `@ERROR: auth failed …`: `auth users` is set (any password is wrong here). */
  authRequired: boolean;
  /** Download refused: `ERROR: module is write only`. */
  writeOnly: boolean;
  /** Upload refused with `ERROR: module is read only`; null when the upload failed otherwise. */
  readOnly: boolean | null;
  /** First `@ERROR`/`ERROR`/`rsync:` line of a failed listing or upload, if any. */
  error: string | null;
  log: string;
}

// Runs the remote command locally. Paths reach the server through the environment, never
// through this command line (the client passes --rsync-path as one word to the "remote shell").
const FAKERSH = '#!/bin/sh\nshift\nexec sh -c "$*"\n';
const RSYNC_PATH = 'rsync --config="$ORACLE_RSYNC_CONFIG" --log-file="$ORACLE_RSYNC_LOG"';
const TIMEOUT_MS = 10_000;

interface Session {
  dir: string;
  run(args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }>;
  log(): Promise<string>;
}

async function withSession<T>(configText: string, body: (s: Session) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "rsync-oracle-"));
  try {
    const fakersh = join(dir, "fakersh");
    const logPath = join(dir, "rsyncd.log");
    const configPath = join(dir, "rsyncd.conf");
    await writeFile(fakersh, FAKERSH, { mode: 0o755 });
    await writeFile(configPath, configText);
    await writeFile(logPath, "");
    const env = {
      ...process.env,
      ORACLE_RSYNC_CONFIG: configPath,
      ORACLE_RSYNC_LOG: logPath,
      // A password prompt would block; a wrong password makes `auth users` observable instead.
      RSYNC_PASSWORD: "oracle-wrong-password",
    };
    const run = (args: string[]) =>
      new Promise<{ exitCode: number; stdout: string; stderr: string }>((resolve, reject) => {
        execFile(
          "rsync",
          ["-e", fakersh, `--rsync-path=${RSYNC_PATH}`, ...args],
          { env, cwd: dir, timeout: TIMEOUT_MS, killSignal: "SIGKILL" },
          (error, stdout, stderr) => {
            if (error && typeof error.code !== "number") reject(error);
            else resolve({ exitCode: error ? (error.code as number) : 0, stdout, stderr });
          },
        );
      });
    return await body({ dir, run, log: () => readFile(logPath, "utf8") });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Module listing format: name left-justified to 15 columns, a tab, the comment. */
function parseListing(stdout: string): { modules: RsyncListedModule[]; motd: string[] } {
  const modules: RsyncListedModule[] = [];
  const motd: string[] = [];
  for (const line of stdout.split("\n")) {
    if (line === "") continue;
    const tab = line.indexOf("\t");
    if (tab < 0) motd.push(line);
    else modules.push({ name: line.slice(0, tab).trimEnd(), comment: line.slice(tab + 1) });
  }
  return { modules, motd };
}

/** `--list-only` lines: permissions, size, date, time, name. */
function parseEntries(stdout: string): string[] {
  return stdout
    .split("\n")
    .map((line) => /^\S+\s+[\d,]+\s+\S+\s+\S+\s(.*)$/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined && name !== ".");
}

function firstError(stderr: string): string | null {
  return stderr.split("\n").find((line) => /^(@ERROR|ERROR|rsync:)/.test(line)) ?? null;
}

/** The verdict of `rsync localhost::` (module listing) on a candidate rsyncd.conf. */
export async function rsyncVerdict(configText: string): Promise<RsyncVerdict> {
  return withSession(configText, async (s) => {
    const r = await s.run(["localhost::"]);
    return { exitCode: r.exitCode, ...parseListing(r.stdout), log: await s.log(), stderr: r.stderr };
  });
}

/** What rsync itself makes of one module, observed end to end. */
export async function rsyncModuleFacts(configText: string, moduleName: string): Promise<RsyncModuleFacts> {
  return withSession(configText, async (s) => {
    const listing = parseListing((await s.run(["localhost::"])).stdout).modules.find((m) => m.name === moduleName);
    const download = await s.run([`localhost::${moduleName}/`]);
    const probe = join(s.dir, "oracle-probe");
    await writeFile(probe, "probe\n");
    const upload = await s.run(["--dry-run", probe, `localhost::${moduleName}/`]);
    const stderr = download.stderr + upload.stderr;
    return {
      exists: !/@ERROR: Unknown module|did not see server greeting/.test(stderr),
      listed: listing !== undefined,
      comment: listing?.comment ?? null,
      entries: download.exitCode === 0 ? parseEntries(download.stdout) : null,
      accessDenied: stderr.includes("@ERROR: access denied"),
      authRequired: stderr.includes("@ERROR: auth failed"),
      writeOnly: download.stderr.includes("ERROR: module is write only"),
      readOnly: upload.exitCode === 0 ? false : upload.stderr.includes("ERROR: module is read only") ? true : null,
      error: firstError(download.stderr) ?? firstError(upload.stderr),
      log: await s.log(),
    };
  });
}

/**
 * Whether the module's `refuse options` rejects a client option, e.g. `["--delete"]`. A dry-run
 * recursive upload carries the option; rsync answers `The server is configured to refuse --X`
 * with exit 4.
 */
export async function rsyncRefuses(configText: string, moduleName: string, clientOptions: string[]): Promise<boolean> {
  return withSession(configText, async (s) => {
    const probe = join(s.dir, "oracle-probe");
    await mkdir(probe);
    const r = await s.run(["--dry-run", "--recursive", ...clientOptions, `${probe}/`, `localhost::${moduleName}/`]);
    if (r.exitCode === 0) return false;
    if (r.stderr.includes("The server is configured to refuse")) return true;
    throw new Error(`refuse probe failed for reasons other than refuse options (exit ${r.exitCode}):\n${r.stderr}`);
  });
}

export interface MarkedDirs {
  /** The directory for a label; it holds one empty file named after the label. */
  path(label: string): string;
  cleanup(): Promise<void>;
}

/**
 * Directories to point `path` at, so `rsyncModuleFacts(...).entries` shows which one a module
 * is served from. World-readable, because rsync may switch to `nobody` before reading them.
 */
export async function markedDirs(labels: string[]): Promise<MarkedDirs> {
  const bad = labels.find((l) => l === "" || l === "." || l === ".." || l.includes("/"));
  if (bad !== undefined) throw new Error(`bad label ${JSON.stringify(bad)}`);
  const root = await mkdtemp(join(tmpdir(), "rsync-oracle-dirs-"));
  await chmod(root, 0o755);
  for (const label of labels) {
    await mkdir(join(root, label));
    await writeFile(join(root, label, label), "");
  }
  return {
    path: (label) => {
      if (!labels.includes(label)) throw new Error(`no marked dir ${label}`);
      return join(root, label);
    },
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}
