/** The doctor scripts' answer: plain lines, and multi-line items framed by a nonce the caller chose. */

export interface FramedBlock {
  kind: string;
  name: string;
  content: string;
}

export interface FramedAnswer {
  lines: string[];
  blocks: FramedBlock[];
}

/** Splits a script's stdout into its plain lines and its `BEGIN <nonce> kind name` … `END <nonce>` blocks. */
export function parseFramed(stdout: string, nonce: string): FramedAnswer {
  const lines: string[] = [];
  const blocks: FramedBlock[] = [];
  const begin = `BEGIN ${nonce} `;
  const end = `\nEND ${nonce}\n`;
  let at = 0;
  while (at < stdout.length) {
    const newline = stdout.indexOf("\n", at);
    const line = stdout.slice(at, newline < 0 ? stdout.length : newline);
    const next = newline < 0 ? stdout.length : newline + 1;
    if (!line.startsWith(begin)) {
      lines.push(line);
      at = next;
      continue;
    }
    const header = line.slice(begin.length);
    const space = header.indexOf(" ");
    const close = stdout.indexOf(end, next - 1);
    // The script adds one newline before END, so an empty block is `BEGIN …\n\nEND …`.
    const stop = close < 0 ? stdout.length : close;
    blocks.push({
      kind: space < 0 ? header : header.slice(0, space),
      name: space < 0 ? "" : header.slice(space + 1),
      content: stop < next ? "" : stdout.slice(next, stop),
    });
    at = close < 0 ? stdout.length : close + end.length;
  }
  return { lines, blocks };
}

/** The non-empty lines of a block's content. */
export function contentLines(content: string): string[] {
  return content.split("\n").filter((line) => line.trim() !== "");
}
