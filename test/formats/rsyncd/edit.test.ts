import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import {
  listRsyncModules,
  parseRsyncdDocument,
  readRsyncdGlobal,
  readRsyncModule,
  removeRsyncModule,
  renderRsyncdDocument,
  setRsyncdGlobal,
  setRsyncModule,
  type RsyncModuleModel,
} from "../../../src/formats/rsyncd";
import { plausibleFile, validModuleModel } from "./arbitraries";

const FIXTURES = join(__dirname, "../../fixtures/rsyncd");
const fixtureTexts = readdirSync(FIXTURES).map((f) => readFileSync(join(FIXTURES, f), "utf8"));
const edit = (
  text: string,
  change: (doc: ReturnType<typeof parseRsyncdDocument>) => ReturnType<typeof parseRsyncdDocument>,
) => renderRsyncdDocument(change(parseRsyncdDocument(text)));

const BASE =
  "port = 873\n\n# backup module\n[backup]\n\tpath = /srv/backup/\n  Read Only=yes\n\tcomment = old\n\n# web\n[web]\n\tpath = /srv/web\n";

const setCases: Array<[title: string, text: string, model: RsyncModuleModel, expected: string]> = [
  [
    "unchanged values keep their bytes",
    BASE,
    { name: "backup", path: "/srv/backup", readOnly: true, comment: "old" },
    BASE,
  ],
  [
    "a changed line keeps its indentation and spelling; removed lines go; new lines follow the last parameter",
    BASE,
    { name: "backup", path: "/srv/backup", readOnly: false, uid: "nobody" },
    "port = 873\n\n# backup module\n[backup]\n\tpath = /srv/backup/\n  Read Only=no\n\tuid = nobody\n\n# web\n[web]\n\tpath = /srv/web\n",
  ],
  [
    "a new module is appended after one blank line",
    "[a]\n\tpath = /a",
    { name: "b", path: "/b" },
    "[a]\n\tpath = /a\n\n[b]\n\tpath = /b\n",
  ],
  ["no extra blank line after a blank line", "[a]\n\n", { name: "b", path: "/b" }, "[a]\n\n[b]\n\tpath = /b\n"],
  [
    "CRLF files get CRLF lines",
    "[a]\r\n\tpath = /a\r\n",
    { name: "a", path: "/a", list: false },
    "[a]\r\n\tpath = /a\r\n\tlist = no\r\n",
  ],
  [
    "duplicate sections: the last line of a parameter is edited, new lines go to the last section",
    "[m]\n\tcomment = 1\n[M]\n\tcomment = 2\n[other]\n",
    { name: "m", comment: "3", uid: "u" },
    "[m]\n\tcomment = 1\n[M]\n\tcomment = 3\n\tuid = u\n[other]\n",
  ],
  [
    "a new name rewrites the headers",
    "[Data] # x\n\tpath = /d\n",
    { name: "data", path: "/d" },
    "[data] # x\n\tpath = /d\n",
  ],
  [
    "a continued line is rewritten as one line",
    "[m]\n\tcomment = a \\\n b\n",
    { name: "m", comment: "c" },
    "[m]\n\tcomment = c\n",
  ],
];

test("setRsyncModule", async (t) => {
  for (const [title, text, model, expected] of setCases) {
    await t.test(title, () =>
      assert.equal(
        edit(text, (doc) => setRsyncModule(doc, model)),
        expected,
      ),
    );
  }
});

const removeCases: Array<[title: string, text: string, name: string, expected: string]> = [
  ["takes its own comment block, not the next one", BASE, "backup", "port = 873\n\n# web\n[web]\n\tpath = /srv/web\n"],
  [
    "at the end of the file takes the blank lines before it",
    BASE,
    "web",
    "port = 873\n\n# backup module\n[backup]\n\tpath = /srv/backup/\n  Read Only=yes\n\tcomment = old\n",
  ],
  ["every duplicate section", "[m]\na=1\n[n]\n[M]\nb=2\n", "m", "[n]\n"],
  [
    "a comment separated by a blank line stays",
    "# about the file\n\n[m]\n\tpath = /m\n[n]\n",
    "m",
    "# about the file\n\n[n]\n",
  ],
  ["unknown module: nothing changes", BASE, "nope", BASE],
];

test("removeRsyncModule", async (t) => {
  for (const [title, text, name, expected] of removeCases) {
    await t.test(title, () =>
      assert.equal(
        edit(text, (doc) => removeRsyncModule(doc, name)),
        expected,
      ),
    );
  }
});

test("setRsyncdGlobal edits in place and appends to the leading global part", () => {
  const text = "pid file = /run/a.pid\nport = 873\n\n# first module\n[m]\n\tpath = /m\n[global]\nuid = nobody\n";
  assert.equal(
    edit(text, (doc) =>
      setRsyncdGlobal(doc, { pidFile: "/run/a.pid", port: 8873, motdFile: "/etc/motd", uid: "root" }),
    ),
    "pid file = /run/a.pid\nport = 8873\nmotd file = /etc/motd\n\n# first module\n[m]\n\tpath = /m\n[global]\nuid = root\n",
  );
  assert.equal(
    edit("# header\n[m]\n", (doc) => setRsyncdGlobal(doc, { port: 873 })),
    "port = 873\n\n# header\n[m]\n",
  );
  assert.equal(
    edit("", (doc) => setRsyncdGlobal(doc, { port: 873 })),
    "port = 873\n",
  );
});

test("the appendix: set of what was read is a no-op, and a change touches one line", () => {
  const text = readFileSync(join(FIXTURES, "appendix.conf"), "utf8");
  const doc = parseRsyncdDocument(text);
  assert.equal(renderRsyncdDocument(setRsyncdGlobal(doc, readRsyncdGlobal(doc))), text);
  assert.equal(
    renderRsyncdDocument(setRsyncdGlobal(doc, { ...readRsyncdGlobal(doc), logFile: "/var/log/rsyncd.log" })),
    text.replace("/var/log/rsync.log", "/var/log/rsyncd.log"),
  );
});

const files = fc.oneof(plausibleFile, fc.constantFrom(...fixtureTexts));

test("set of the model just read is a no-op", () => {
  fc.assert(
    fc.property(files, (text) => {
      const doc = parseRsyncdDocument(text);
      assert.equal(renderRsyncdDocument(setRsyncdGlobal(doc, readRsyncdGlobal(doc))), text);
      for (const name of listRsyncModules(doc)) {
        assert.equal(renderRsyncdDocument(setRsyncModule(doc, readRsyncModule(doc, name)!)), text);
      }
    }),
    { numRuns: 300 },
  );
});

/** The text outside every section of module `name` (its headers up to the next header). */
function outside(text: string, name: string): string {
  const doc = parseRsyncdDocument(text);
  const key = name.replace(/\s/g, "").toUpperCase();
  let inside = false;
  return doc.entries
    .filter((e) => {
      if (e.kind === "section") inside = e.valid && !e.isGlobal && e.name.replace(/\s/g, "").toUpperCase() === key;
      // Only `&include` leaves the module (rsync reads `&merge` lines into the current section).
      if (e.kind === "directive" && /^&include$/i.test(e.directive)) inside = false;
      return !inside && e.kind !== "blank" && e.kind !== "comment";
    })
    .map((e) => e.raw.replace(/\r?\n?$/, ""))
    .join("\n");
}

test("setRsyncModule and removeRsyncModule leave every other section's bytes unchanged", () => {
  fc.assert(
    fc.property(plausibleFile, validModuleModel, (text, model) => {
      const doc = parseRsyncdDocument(text);
      if (listRsyncModules(doc).some((n) => n !== model.name && n.toUpperCase() === model.name.toUpperCase())) return;
      const edited = renderRsyncdDocument(setRsyncModule(doc, model));
      assert.equal(outside(edited, model.name), outside(text, model.name));
      const removed = renderRsyncdDocument(removeRsyncModule(parseRsyncdDocument(edited), model.name));
      assert.equal(outside(removed, model.name), outside(text, model.name));
      assert.equal(readRsyncModule(parseRsyncdDocument(removed), model.name), undefined);
    }),
    { numRuns: 300 },
  );
});

test("a set model reads back", () => {
  fc.assert(
    fc.property(plausibleFile, validModuleModel, (text, model) => {
      const doc = parseRsyncdDocument(text);
      const read = readRsyncModule(setRsyncModule(doc, model), model.name);
      assert.equal(read?.path, model.path);
      assert.equal(read?.readOnly, model.readOnly);
      assert.deepEqual(read?.hostsAllow, model.hostsAllow);
    }),
    { numRuns: 200 },
  );
});
