// Parse, validate, read and edit cost linear in the size of the file, for both formats (issue 8,
// item 9). No clocks: the measure is the work built-ins do (elements that array methods and
// iteration go through, characters that case-mapping and `replace` go through), which is
// deterministic. Doubling the input must at most double that work, with slack for constant
// terms; a quadratic spot (a walk of the whole document per module, a list copied or scanned per
// line) makes it about four times.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";

import {
  applyXinetdService,
  listRsyncModules,
  parseRsyncdDocument,
  parseXinetdDocument,
  readRsyncModule,
  readXinetdService,
  readXinetdServiceBlocks,
  removeRsyncModule,
  rsyncdSemantics,
  setRsyncModule,
  validateRsyncdDocument,
  validateXinetdDocument,
  type RsyncdDocument,
} from "../../src/formats";
import { walkRsyncdDocument } from "../../src/formats/rsyncd/sections";
import { normalizeRsyncPath } from "../../src/formats/rsyncd/values";
import { changedRsyncdDocument, moduleSectionText, rsyncdDocumentOf } from "../../src/provider/rsyncd-file";
import { plausibleFile } from "./xinetd/generators";

const ARRAY_METHODS = [
  "concat",
  "every",
  "filter",
  "find",
  "findIndex",
  "findLast",
  "findLastIndex",
  "flatMap",
  "forEach",
  "includes",
  "indexOf",
  "join",
  "lastIndexOf",
  "map",
  "reduce",
  "slice",
  "some",
  "splice",
] as const;
const STRING_METHODS = ["replace", "toLowerCase", "toUpperCase"] as const;

/** The work `run` makes built-ins do: the length of the array or string each call above goes through. */
function builtinWork(run: () => unknown): number {
  let work = 0;
  const arrays = Array.prototype as unknown as Record<PropertyKey, unknown>;
  const strings = String.prototype as unknown as Record<PropertyKey, unknown>;
  const originals = new Map<[Record<PropertyKey, unknown>, PropertyKey], unknown>();
  const wrap = (target: Record<PropertyKey, unknown>, key: PropertyKey) => {
    const original = target[key] as (...args: unknown[]) => unknown;
    originals.set([target, key], original);
    target[key] = function (this: { length: number }, ...args: unknown[]) {
      work += this.length;
      return original.apply(this, args);
    };
  };
  for (const method of ARRAY_METHODS) wrap(arrays, method);
  wrap(arrays, Symbol.iterator); // spread and for-of
  for (const method of STRING_METHODS) wrap(strings, method);
  try {
    run();
  } finally {
    for (const [[target, key], original] of originals) target[key] = original;
  }
  return work;
}

/** Asserts that the work of `operation` on an input of size 2n is at most 2.5 times that on size n. */
function assertLinear(what: string, n: number, operation: (size: number) => () => unknown): void {
  const small = builtinWork(operation(n));
  const large = builtinWork(operation(2 * n));
  assert.ok(small > 0, `${what}: no work measured`);
  assert.ok(
    large <= 2.5 * small,
    `${what}: work grew ${(large / small).toFixed(2)}x from size ${n} to ${2 * n} (${small} -> ${large})`,
  );
}

function rsyncdFile(modules: number): string {
  const parts = ["uid = nobody\nuse chroot = yes\nlog file = /var/log/rsyncd.log\n\n"];
  for (let i = 0; i < modules; i++) {
    parts.push(
      `# module ${i}\n[backup${i}]\n\tpath = /srv/backup/${i}/\n\tcomment = host ${i} \\\n\t  kept 30 days\n\tread only = no\n`,
      `\thosts allow = 10.0.0.0/8, 192.0.2.${i % 256}\n\tmax connections = 2\n\tauth users = alice\n\tsecrets file = /etc/rsyncd.secrets\n\tmax connections = 4\n\n`,
    );
  }
  return parts.join("");
}

function rsyncdRepeatedFile(lines: number): string {
  const parts = ["[big]\n\tpath = /srv/big\n"];
  for (let i = 0; i < lines; i++) parts.push(`\thosts allow = 10.0.${i >> 8}.${i & 255}\n`);
  return parts.join("");
}

function xinetdRepeatedFile(lines: number): string {
  const parts = [
    "service rsync",
    "{",
    "\tsocket_type = stream",
    "\twait = no",
    "\tuser = root",
    "\tserver = /usr/bin/rsync",
  ];
  for (let i = 0; i < lines; i++) {
    const address = `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`;
    parts.push(i % 2 === 0 ? `\tonly_from += ${address}` : `\tno_access -= ${address}`);
  }
  return [...parts, "}", ""].join("\n");
}

function xinetdServicesFile(services: number): string {
  const parts: string[] = [];
  for (let i = 0; i < services; i++) {
    parts.push(
      `service svc${i}`,
      "{",
      "\ttype = UNLISTED",
      `\tport = ${1024 + i}`,
      "\tsocket_type = stream",
      "\twait = no",
      "\tuser = root",
      "\tserver = /bin/true",
      "}",
      "",
    );
  }
  return parts.join("\n");
}

const names = (modules: number) => Array.from({ length: modules }, (_, i) => `backup${i}`);

test("rsyncd: parse, validate and the semantic view cost linear work in the number of modules", () => {
  assertLinear("parse", 300, (n) => {
    const text = rsyncdFile(n);
    return () => parseRsyncdDocument(text);
  });
  assertLinear("validate", 300, (n) => {
    const doc = parseRsyncdDocument(rsyncdFile(n));
    return () => validateRsyncdDocument(doc);
  });
  assertLinear("semantics", 300, (n) => {
    const doc = parseRsyncdDocument(rsyncdFile(n));
    return () => rsyncdSemantics(doc);
  });
});

test("rsyncd: reading every module of one document (a refresh) costs linear work, not a walk per module", () => {
  assertLinear("read every module and its section text", 300, (n) => {
    const doc = parseRsyncdDocument(rsyncdFile(n));
    return () => {
      for (const name of names(n)) {
        assert.ok(readRsyncModule(doc, name));
        assert.ok(moduleSectionText(doc, name));
      }
    };
  });
});

test("rsyncd: setting and removing one module cost linear work, also with thousands of repeated lines", () => {
  assertLinear("set one module", 300, (n) => {
    const doc = parseRsyncdDocument(rsyncdFile(n));
    return () => setRsyncModule(doc, { name: "backup7", path: "/srv/seven", maxConnections: 9 });
  });
  assertLinear("remove one module", 300, (n) => {
    const doc = parseRsyncdDocument(rsyncdFile(n));
    return () => removeRsyncModule(doc, "backup7");
  });
  assertLinear("set a module of repeated lines", 2000, (n) => {
    const doc = parseRsyncdDocument(rsyncdRepeatedFile(n));
    return () => {
      const edited = setRsyncModule(doc, { name: "big", path: "/srv/big", hostsAllow: ["192.0.2.1"] });
      assert.deepEqual(readRsyncModule(edited, "big")?.hostsAllow, ["192.0.2.1"]);
    };
  });
});

test("rsyncd: a document is walked once, however many reads and edits use it", () => {
  const doc: RsyncdDocument = parseRsyncdDocument(rsyncdFile(3));
  const walk = walkRsyncdDocument(doc);
  readRsyncModule(doc, "backup1");
  moduleSectionText(doc, "backup2");
  validateRsyncdDocument(doc);
  setRsyncModule(doc, { name: "backup0", path: "/srv/zero" });
  assert.equal(walkRsyncdDocument(doc), walk);
  // A copy of the document with other entries is walked on its own.
  const other = parseRsyncdDocument(rsyncdFile(1));
  assert.notEqual(walkRsyncdDocument({ ...doc, entries: other.entries }), walk);
  assert.equal(walkRsyncdDocument({ ...doc, entries: other.entries }).modules.length, 1);
});

test("rsyncd: modules refreshing from one shared read of the file share one parse of it", () => {
  const read = { exists: true as const, content: rsyncdFile(2), mode: 0o644, owner: "root", group: "root" };
  const doc = rsyncdDocumentOf(read);
  assert.equal(rsyncdDocumentOf(read), doc);
  assert.deepEqual(listRsyncModules(doc), ["backup0", "backup1"]);
  // Another read (even of the same bytes) is parsed on its own: it may be of a changed file.
  assert.notEqual(rsyncdDocumentOf({ ...read }), doc);
});

test("rsyncd: the modules of one batched change share one parse of the new content", () => {
  const content = rsyncdFile(3);
  const doc = changedRsyncdDocument(content);
  // Every module of the batch gets the same content and reads its section from the same document.
  assert.equal(changedRsyncdDocument(content), doc);
  assert.equal(moduleSectionText(changedRsyncdDocument(content), "backup2")?.startsWith("[backup2]"), true);
  const other = changedRsyncdDocument(rsyncdFile(1));
  assert.notEqual(other, doc);
  assert.deepEqual(listRsyncModules(other), ["backup0"]);
  assert.deepEqual(changedRsyncdDocument(undefined).entries, []);
});

test("rsyncd: module lookup follows renames and merges like rsync with the per-document indexes", () => {
  const doc = parseRsyncdDocument(
    "[a]\n\tname = b\n\tpath = /a\n[B]\n\tcomment = merged into b\n[b ]\n\tname = c\n[b]\n\tpath = /new\n",
  );
  // `[B]` merges into the module now named `b`; `name = c` renames it; the last `[b]` opens a new one.
  assert.deepEqual(readRsyncModule(doc, "c"), { name: "c", path: "/a", comment: "merged into b" });
  assert.deepEqual(readRsyncModule(doc, "b"), { name: "b", path: "/new" });
  assert.equal(
    moduleSectionText(doc, "c"),
    "[a]\n\tname = b\n\tpath = /a\n[B]\n\tcomment = merged into b\n[b ]\n\tname = c\n",
  );
});

test("xinetd: parse, validate, read and apply cost linear work in the number of repeated lines", () => {
  assertLinear("parse", 2000, (n) => {
    const text = xinetdRepeatedFile(n);
    return () => parseXinetdDocument(text);
  });
  assertLinear("validate", 2000, (n) => {
    const doc = parseXinetdDocument(xinetdRepeatedFile(n));
    return () => validateXinetdDocument(doc);
  });
  assertLinear("readXinetdService", 2000, (n) => {
    const doc = parseXinetdDocument(xinetdRepeatedFile(n));
    return () => {
      const { model } = readXinetdService(doc, "rsync");
      assert.equal((model.onlyFrom as { add: string[] }).add.length, n / 2);
    };
  });
  assertLinear("applyXinetdService", 2000, (n) => {
    const doc = parseXinetdDocument(xinetdRepeatedFile(n));
    const { model } = readXinetdService(doc, "rsync");
    return () => applyXinetdService(doc, { ...model, instances: 30 });
  });
});

test("xinetd: validating and editing a file of many services cost linear work in the number of services", () => {
  assertLinear("validate", 300, (n) => {
    const doc = parseXinetdDocument(xinetdServicesFile(n));
    return () => validateXinetdDocument(doc);
  });
  assertLinear("applyXinetdService", 300, (n) => {
    const doc = parseXinetdDocument(xinetdServicesFile(n));
    const { model } = readXinetdService(doc, "svc7");
    return () => applyXinetdService(doc, { ...model, server: "/bin/false" });
  });
});

test("xinetd: added and removed list items fold as xinetd folds them, over many lines", () => {
  const lines = [
    "service s",
    "{",
    "\tonly_from = a b a",
    "\tonly_from += c a d c",
    "\tonly_from -= a",
    "\tonly_from += a",
    "\tno_access += x y",
    "\tno_access -= y z",
    "\tno_access += z",
    "\tenv = A=1",
    "\tenv += A=1 B=2 B=2",
    "\tpassenv -= P",
    "\tpassenv += P Q",
    "}",
    "",
  ];
  const { model } = readXinetdService(parseXinetdDocument(lines.join("\n")), "s");
  assert.deepEqual(model.onlyFrom, ["b", "c", "d", "a"]);
  assert.deepEqual(model.noAccess, { add: ["x", "z"], remove: ["y"] });
  assert.deepEqual(model.env, ["A=1", "A=1", "B=2", "B=2"]);
  assert.deepEqual(model.passenv, { add: ["P", "Q"], remove: [] });
});

test("rsyncd: long runs of blanks in a name or of `/` in a path read as before, with no regex to backtrack on them", () => {
  const reference = (text: string) => (text.length > 1 ? text.replace(/(?<=.)\/+$/, "") : text);
  fc.assert(
    fc.property(
      fc
        .array(fc.constantFrom("/", "a", " ", "\n", "\r", "\u2028", "\\"), { maxLength: 12 })
        .map((chars) => chars.join("")),
      (text) => {
        assert.equal(normalizeRsyncPath(text), reference(text));
      },
    ),
    { numRuns: 2000 },
  );
  // Long runs the patterns backtracked on: a blank run inside a name, a `/` run inside a path.
  const blanks = " ".repeat(50_000);
  const [entry] = parseRsyncdDocument(`[m]\n\tmax${blanks}connections${blanks}= 3\n`).entries.slice(1);
  assert.equal(entry?.kind === "parameter" && entry.key, `max${blanks}connections`);
  assert.equal(entry?.kind === "parameter" && entry.name, "max connections");
  const slashes = "/".repeat(50_000);
  assert.equal(normalizeRsyncPath(`/srv${slashes}x`), `/srv${slashes}x`);
  assert.equal(normalizeRsyncPath(`/srv${slashes}`), "/srv");
  assert.deepEqual(validateRsyncdDocument(parseRsyncdDocument(`[m]\n\tpath = /srv${slashes}x\n`)), []);
});

test("xinetd: reading every entry at once gives what reading each entry by itself gives", () => {
  fc.assert(
    fc.property(plausibleFile, (text) => {
      const doc = parseXinetdDocument(text);
      const readings = readXinetdServiceBlocks(doc);
      assert.equal(readings.length, doc.blocks.length);
      doc.blocks.forEach((block, i) => {
        const alone =
          block.kind === "service" ? readXinetdService({ ...doc, blocks: doc.blocks.slice(i) }, block.name) : undefined;
        assert.deepEqual(readings[i], alone);
      });
    }),
    { numRuns: 500 },
  );
});
