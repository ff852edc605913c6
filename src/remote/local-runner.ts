/**
 * `CommandRunner` for this machine: the same constant bootstrap and stdin protocol as over SSH,
 * run by a local shell, so the remote scripts can be tested (and used) without SSH or root.
 */
import { spawn as spawnProcess, type ChildProcess } from "node:child_process";
import { userInfo } from "node:os";

import { bootstrapCommandLine, bootstrapPreamble, DEFAULT_TIME_LIMIT_MS } from "./bootstrap";
import { RemoteError, summarizeCommand, type Secret } from "./errors";
import type { CommandRunner, RemoteProcess, RunOptions, RunResult, SpawnOptions } from "./transport";

export interface LocalCommandRunnerOptions {
  /** The shell that runs the constant command line, as sshd runs it through a login shell. Default: `/bin/sh`. */
  shell?: string;
  /** Run the scripts through `sudo -n`. Default: false. */
  sudo?: boolean;
}

export class LocalCommandRunner implements CommandRunner {
  readonly label: string;
  readonly identity: string;
  private readonly shell: string;
  private readonly sudo: boolean;

  constructor(options: LocalCommandRunnerOptions = {}) {
    this.shell = options.shell ?? "/bin/sh";
    this.sudo = options.sudo ?? false;
    const user = userInfo();
    this.label = `${user.username}@localhost`;
    this.identity = JSON.stringify(["local", user.uid, this.sudo]);
  }

  async run(script: string, options: RunOptions = {}): Promise<RunResult> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIME_LIMIT_MS;
    const preamble = bootstrapPreamble(script, timeoutMs);
    const secrets: Secret[] = options.secretStdin ? [options.stdin] : [];
    const child = this.start();
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout!.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr!.on("data", (chunk: Buffer) => stderr.push(chunk));
    child.stdin!.on("error", () => undefined); // the script may exit before reading all of it
    child.stdin!.end(options.stdin === undefined ? preamble : Buffer.concat([preamble, Buffer.from(options.stdin)]));
    const result = await this.finished(
      child,
      script,
      timeoutMs,
      () => ({
        stdout: Buffer.concat(stdout).toString("utf8"),
        stderr: Buffer.concat(stderr).toString("utf8"),
      }),
      secrets,
    );
    return result;
  }

  async spawn(script: string, options: SpawnOptions = {}): Promise<RemoteProcess> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIME_LIMIT_MS;
    const preamble = bootstrapPreamble(script, timeoutMs);
    const child = this.start();
    const stderr: Buffer[] = [];
    child.stderr!.on("data", (chunk: Buffer) => stderr.push(chunk));
    child.stdin!.on("error", () => undefined);
    child.stdin!.write(preamble);
    const done = this.finished(
      child,
      script,
      timeoutMs,
      () => ({ stdout: "", stderr: Buffer.concat(stderr).toString("utf8") }),
      [],
    );
    return { stdin: child.stdin!, stdout: child.stdout!, stderr: child.stderr!, done };
  }

  private start(): ChildProcess {
    return spawnProcess(this.shell, ["-c", bootstrapCommandLine(this.sudo)], { stdio: ["pipe", "pipe", "pipe"] });
  }

  /** The result when the process has closed; a timeout error (after killing it) at the time limit. */
  private finished(
    child: ChildProcess,
    script: string,
    timeoutMs: number,
    output: () => { stdout: string; stderr: string },
    secrets: readonly Secret[],
  ): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        // coreutils `timeout` (what the shell became) passes TERM on to the script.
        child.kill("SIGTERM");
      }, timeoutMs);
      child.on("error", (cause) => {
        clearTimeout(timer);
        reject(
          new RemoteError({
            code: "channel-failed",
            host: this.label,
            command: script,
            summary: `could not start ${this.shell}: ${summarizeCommand(script)}`,
            cause,
            secrets,
          }),
        );
      });
      child.on("close", (code, signal) => {
        clearTimeout(timer);
        const result: RunResult = { ...output(), exitCode: code, signal };
        if (!timedOut) return resolve(result);
        reject(
          new RemoteError({
            code: "timeout",
            host: this.label,
            command: script,
            summary: `command timed out after ${timeoutMs} ms: ${summarizeCommand(script)}`,
            exitCode: code,
            signal,
            stdout: result.stdout,
            stderr: result.stderr,
            secrets,
          }),
        );
      });
    });
  }
}
