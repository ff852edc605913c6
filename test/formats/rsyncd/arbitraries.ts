/** fast-check generators shared by the rsyncd tests. */
import fc from "fast-check";
import type { RsyncModuleModel } from "../../../src/formats/rsyncd";

const word = fc.stringMatching(/^[a-z][a-z0-9._-]{0,7}$/);
const blanks = fc.constantFrom("", " ", "  ", "\t");
const eol = fc.constantFrom("\n", "\r\n");

const line = fc.oneof(
  fc
    .tuple(
      blanks,
      fc.constantFrom("path", "read only", "Comment", "max connections", "read_only", "uid"),
      blanks,
      blanks,
      word,
      eol,
    )
    .map(([a, k, b, c, v, e]) => `${a}${k}${b}=${c}${v}${e}`),
  fc.tuple(blanks, word, eol).map(([a, n, e]) => `${a}[${n}]${e}`),
  fc.tuple(blanks, fc.constantFrom("#", ";"), word, eol).map(([a, c, w, e]) => `${a}${c} ${w}${e}`),
  fc.tuple(blanks, eol).map(([a, e]) => `${a}${e}`),
  fc.tuple(word, word, eol).map(([k, v, e]) => `\tcomment = ${k} \\${e}  ${v}${e}`),
  fc.tuple(fc.constantFrom("&include", "&merge"), word, eol).map(([d, p, e]) => `${d} /${p}${e}`),
  fc.constantFrom("[global]\n", "[ GLOBAL ]\r\n", "junk\n", "[bad/name]\n", "[]\n", "[unterminated\n", "= x\n"),
);

/** Text that looks like an rsyncd.conf, with the usual oddities mixed in; maybe no final newline. */
export const plausibleFile = fc.tuple(fc.array(line, { maxLength: 25 }), fc.boolean()).map(([lines, trim]) => {
  const text = lines.join("");
  return trim ? text.replace(/\r?\n$/, "") : text;
});

/** Models whose values rsync would read back unchanged. */
export const validModuleModel: fc.Arbitrary<RsyncModuleModel> = fc.record(
  {
    name: word,
    path: word.map((w) => `/srv/${w}`),
    comment: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9 =#;"%]{0,10}[A-Za-z0-9]$/),
    readOnly: fc.boolean(),
    useChroot: fc.boolean(),
    maxConnections: fc.integer({ min: 0, max: 1000 }),
    timeout: fc.integer({ min: 0, max: 100000 }),
    hostsAllow: fc.array(word, { minLength: 1, maxLength: 3 }),
    refuseOptions: fc.array(word, { minLength: 1, maxLength: 3 }),
    uid: word,
    extra: fc.dictionary(
      fc.constantFrom("read_only", "munge symlinks", "x-custom"),
      word.map((w) => `v-${w}`),
      { maxKeys: 2 },
    ),
  },
  { requiredKeys: ["name"] },
);
