import fc from "fast-check";

const blanks = fc.constantFrom("", " ", "\t", "  ", "\t\t", " \t");
const word = fc.stringMatching(/^[A-Za-z0-9_./:=-]{1,12}$/);
const name = fc.constantFrom(
  "disable",
  "Socket_Type",
  "wait",
  "user",
  "server",
  "server_args",
  "only_from",
  "log_on_failure",
  "env",
  "port",
  "bogus",
);
const operator = fc.constantFrom("=", "+=", "-=", "", "=");
const newline = fc.constantFrom("\n", "\r\n", "\n");

const attributeLine = fc
  .tuple(blanks, name, fc.constantFrom(" ", "\t", "", "\t\t"), operator, blanks, fc.array(word, { maxLength: 4 }))
  .map(([indent, n, gap, op, after, values]) => `${indent}${n}${gap}${op}${after}${values.join(" ")}`);
const commentLine = fc.tuple(blanks, fc.string({ maxLength: 20 })).map(([b, t]) => `${b}#${t.replace(/[\r\n]/g, "")}`);
const bodyLine = fc.oneof(attributeLine, attributeLine, commentLine, blanks, fc.constantFrom("{", "} x", "service y"));

const entry = fc
  .tuple(
    fc.constantFrom("service", "SERVICE", "defaults", "include", "includedir", "junk ="),
    word,
    blanks,
    fc.array(bodyLine, { maxLength: 8 }),
    fc.boolean(),
  )
  .map(([keyword, n, b, body, closed]) => [`${keyword} ${n}${b}`, "{", ...body, ...(closed ? ["}"] : [])]);

/** Files that look like xinetd files, with the usual mistakes mixed in. */
export const plausibleFile = fc
  .tuple(fc.array(entry, { maxLength: 4 }), fc.array(newline, { minLength: 40, maxLength: 40 }), fc.boolean())
  .map(([entries, newlines, finalNewline]) => {
    const lines = entries.flat();
    const text = lines.map((l, i) => l + newlines[i % newlines.length]).join("");
    return finalNewline ? text : text.replace(/\r?\n$/, "");
  });
