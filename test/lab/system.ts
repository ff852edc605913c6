// What the lab does on this machine: run commands, read /proc, wait for things, write files.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import * as net from "node:net";
import * as path from "node:path";

const HOST_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export interface ExecResult {
  stdout: string;
  stderr: string;
  /** Exit code, or null when the command was killed by a signal (see `signal`). */
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ExecOptions {
  /** Written to the command's stdin, then stdin is closed. */
  input?: string;
  /** Kill the command (SIGKILL) after this long; default 30 s. */
  timeoutMs?: number;
  /** Added to the clean environment (PATH, HOME=/root, LANG=C.UTF-8) the command runs with. */
  env?: Record<string, string>;
}

export function listPids(): number[] {
  return fs
    .readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number);
}

/** `mnt:[4026532317]`, or undefined for a process that is gone or a zombie. */
export function readNamespace(pid: number, kind: "mnt" | "net"): string | undefined {
  try {
    return fs.readlinkSync(`/proc/${pid}/ns/${kind}`);
  } catch {
    return undefined;
  }
}

export function readProcFile(pid: number, file: string): string {
  return readFileOrEmpty(`/proc/${pid}/${file}`);
}

export function requirePid(child: { pid?: number | undefined }, what: string): number {
  if (child.pid === undefined) throw new Error(`could not start ${what}`);
  return child.pid;
}

export function hostEnvironment(): Record<string, string> {
  return { PATH: HOST_PATH, HOME: "/root", LANG: "C.UTF-8" };
}

/** Runs a command without a shell; never rejects on a non-zero exit. */
export function run(argv: string[], options: ExecOptions = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      stdio: ["pipe", "pipe", "pipe"],
      cwd: "/",
      env: options.env ?? process.env,
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 30_000);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({
        stdout: Buffer.concat(stdout).toString("utf8"),
        stderr: Buffer.concat(stderr).toString("utf8"),
        code,
        signal,
      });
    });
    child.stdin.on("error", () => undefined); // the command may exit without reading its input
    child.stdin.end(options.input ?? "");
  });
}

export async function runChecked(argv: string[], options: ExecOptions = {}): Promise<ExecResult> {
  const result = await run(argv, options);
  if (result.code !== 0) {
    throw new Error(`\`${argv.join(" ")}\` failed (${result.code ?? result.signal}): ${result.stderr.trim()}`);
  }
  return result;
}

/** Connects from the root namespace and reads the server's identification line. */
export function receivesSshBanner(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: address, port, timeout: 2_000 });
    let received = "";
    const finish = (ready: boolean) => {
      socket.destroy();
      resolve(ready);
    };
    socket.on("data", (chunk) => {
      received += chunk.toString("latin1");
      if (received.includes("\n")) finish(received.startsWith("SSH-2.0-"));
    });
    socket.on("timeout", () => finish(false));
    socket.on("error", () => finish(false));
    socket.on("end", () => finish(false));
  });
}

export async function waitFor(
  what: string,
  timeoutMs: number,
  condition: () => boolean | Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

export async function chownTree(target: string, uid: number, gid: number): Promise<void> {
  await fsp.chown(target, uid, gid);
  for (const entry of await fsp.readdir(target, { withFileTypes: true })) {
    const child = path.join(target, entry.name);
    if (entry.isDirectory()) await chownTree(child, uid, gid);
    else await fsp.lchown(child, uid, gid);
  }
}

export async function writeFile(file: string, content: string, mode: number): Promise<void> {
  await fsp.writeFile(file, content, { mode });
  await fsp.chmod(file, mode);
}

export function readFileOrEmpty(file: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
