/**
 * How a script reaches a host: the command line is a constant, the script travels on stdin.
 *
 * sshd runs the command line through the account's login shell, which may be fish or tcsh. The
 * constant is one line in single quotes with no `'`, `\`, `!`, backquote or newline inside, which
 * sh, bash, dash, zsh, fish and tcsh all pass to `sh -c` unchanged (test/remote/scripts.test.ts
 * runs it in each). The inner sh reads a header line `<script bytes> <time limit seconds>`, then
 * exactly that many bytes of script (sh's `read` and GNU `head -c` never read past what they
 * need from a pipe), checks that it ends with the end mark (a connection cut mid-script runs
 * nothing), and runs it under coreutils `timeout` with the rest of stdin, the operation's own
 * input, still unread.
 */

/** Every remote script is bounded in time: this long unless the operation says otherwise. */
export const DEFAULT_TIME_LIMIT_MS = 120_000;

/** Exit status of the bootstrap when the header or the script did not arrive. */
const BOOTSTRAP_INCOMPLETE_STATUS = 125;

/** The last line of every script sent: a script that arrives without it is not run. */
const SCRIPT_END_MARK = "# end of script";

/**
 * The sh program of the bootstrap. `timeout -k 5`: TERM at the limit, KILL 5 s later; timeout
 * runs the script in its own process group and signals all of it. `$0` names the script in ps.
 */
export const BOOTSTRAP_SCRIPT =
  `read -r size limit || exit ${BOOTSTRAP_INCOMPLETE_STATUS}; ` +
  `script=$(head -c "$size") || exit ${BOOTSTRAP_INCOMPLETE_STATUS}; ` +
  `case $script in *"${SCRIPT_END_MARK}") ;; *) exit ${BOOTSTRAP_INCOMPLETE_STATUS} ;; esac; ` +
  `exec timeout -k 5 "$limit" sh -c "$script" pulumi-xinetd`;

/** The command line sent over SSH: the same for every script, through `sudo -n` if asked. */
export function bootstrapCommandLine(sudo: boolean): string {
  return `exec ${sudo ? "sudo -n " : ""}sh -c '${BOOTSTRAP_SCRIPT}'`;
}

/** Whole seconds, at least 1 (`timeout 0` would mean no limit). */
function timeLimitSeconds(timeLimitMs: number): number {
  return Math.max(1, Math.ceil(timeLimitMs / 1000));
}

/** What precedes the operation's stdin: the header line and the script. */
export function bootstrapPreamble(script: string, timeLimitMs: number): Buffer {
  const bytes = Buffer.from(`${script}\n${SCRIPT_END_MARK}`, "utf8");
  if (bytes.includes(0)) throw new TypeError("a remote script cannot contain a NUL byte");
  return Buffer.concat([Buffer.from(`${bytes.length} ${timeLimitSeconds(timeLimitMs)}\n`), bytes]);
}
