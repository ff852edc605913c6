/** Quoting for POSIX `sh`, for building scripts from values: arguments never need escaping by hand. */

// Characters that mean nothing to sh, so a word made only of them needs no quotes. Not `=`: a first
// word `a=b` would be an assignment.
const PLAIN_WORD = /^[A-Za-z0-9_@%+:,./-]+$/;

/**
 * `arg` as one sh word with the same bytes. Single quotes keep everything literal except the
 * single quote itself, which is written as `'\''` (close, escaped quote, reopen). Throws on NUL.
 */
export function shellQuote(arg: string): string {
  // No quoting can carry a NUL: the kernel ends every argument at one.
  if (arg.includes("\0")) throw new TypeError("a shell argument cannot contain a NUL byte");
  if (PLAIN_WORD.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}
