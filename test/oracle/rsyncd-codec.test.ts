/**
 * The real rsync judges the codec: for tricky files, the modules and parameter values our
 * semantic view reports are what rsync itself serves (listing, comment, path, read only, list,
 * hosts allow/deny, refuse options); and every file the renderer or editor writes is accepted.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import {
  errorsOf,
  parseRsyncdDocument,
  removeRsyncModule,
  renderRsyncdDocument,
  renderRsyncdGlobal,
  renderRsyncModule,
  rsyncdBoolean,
  rsyncdList,
  rsyncdSemantics,
  rsyncdValue,
  setRsyncModule,
  validateRsyncdGlobal,
  validateRsyncModule,
  type RsyncdSemantics,
  type RsyncModuleModel,
} from "../../src/formats";
import { requireRoot } from "../support/requirements";
import { markedDirs, rsyncModuleFacts, rsyncRefuses, rsyncVerdict, type MarkedDirs } from "../support/rsync-oracle";

const TOOLS = ["rsync"];
const FIXTURES = "test/fixtures/rsyncd";
const APPENDIX_GLOBAL =
  "pid file = /var/run/rsyncd.pid\nlock file = /var/run/rsync.lock\nlog file = /var/log/rsync.log\nport = 873\n";

/** What the semantic view says a client sees of each module, in rsync's listing format. */
function expectedListing(sem: RsyncdSemantics): Array<{ name: string; comment: string }> {
  return sem.modules
    .filter((m) => rsyncdBoolean(sem, "list", m.name) !== false)
    .map((m) => ({ name: m.name, comment: rsyncdValue(sem, "comment", m.name) ?? "" }));
}

async function assertListingAgrees(text: string, label: string): Promise<void> {
  const sem = rsyncdSemantics(parseRsyncdDocument(text));
  const verdict = await rsyncVerdict(text);
  assert.equal(verdict.exitCode, 0, `${label}: rsync rejected the file:\n${verdict.stderr}\n${verdict.log}`);
  assert.deepEqual(verdict.modules, expectedListing(sem), `${label}: listing differs from the semantic view`);
}

/** The client address as rsync sees it over fakersh (see rsync-oracle.ts). */
const ORACLE_CLIENT = ["0.0.0.0", "0.0.0.0/0", "UNKNOWN"];

function expectAccess(sem: RsyncdSemantics, module: string): boolean {
  const allow = rsyncdList(sem, "hosts allow", module);
  const deny = rsyncdList(sem, "hosts deny", module);
  const matches = (list: string[] | undefined) => list?.some((entry) => ORACLE_CLIENT.includes(entry)) ?? false;
  if (allow !== undefined && matches(allow)) return true;
  if (deny !== undefined && matches(deny)) return false;
  return allow === undefined;
}

describe("rsync agrees with the semantic view", () => {
  let dirs: MarkedDirs;
  const labels = ["a", "b", "default", "x", "y", "cont", "new", "gen"];
  const at = (label: string) => dirs.path(label);
  before(async () => {
    dirs = await markedDirs(labels);
  });
  after(async () => {
    await dirs?.cleanup();
  });

  /** Tricky files whose paths point at marked directories, so the served path is observable. */
  const tricky = (): Array<[string, string]> => [
    [
      "[global] in the middle, inheritance of the final global string",
      [
        "comment = early",
        "",
        "[a]",
        `\tpath = ${at("a")}`,
        "",
        // `path` is unset when [early] opens: rsync serves it from the global path set further down.
        "[early]",
        "\tlist = yes",
        "",
        "[ GLOBAL ]",
        "comment = late",
        "read only = no",
        `path = ${at("default")}/`,
        "",
        "[b]",
        `\tpath = ${at("b")}`,
        "",
        "[c]",
        "",
      ].join("\n"),
    ],
    [
      "duplicates, odd spacing and case, underscores",
      [
        "[Backup]",
        `\tpath = ${at("x")}`,
        "\tread_only = no",
        "",
        "[ back   up ]",
        "\tREAD ONLY = no",
        "\tcomment = merged",
        "",
        "[spaced]",
        "\tr e a d o n l y = false",
        `\tP A T H = ${at("y")}`,
        "\tlist = no",
        "",
        "  [ odd   name ]  ",
        `\tpath=${at("a")}//`,
        "\tUSE CHROOT = TRUE",
        "",
      ].join("\n"),
    ],
    [
      "continuation lines, ; comments, text after ]",
      [
        "; a comment",
        "# another",
        "[cont] trailing words",
        `\tpath = ${at("cont")}`,
        "\tcomment = one \\",
        "\t   two",
        "\t; read only = no",
        "",
        "[rw]",
        `\tpath = ${at("y")}`,
        "\tread only = no",
        "\trefuse options = checksum \\",
        "  delete",
        "",
        `[x]path = ${at("x")}`,
        "",
      ].join("\n"),
    ],
    [
      "hosts allow and deny, renames",
      [
        "[open]",
        `\tpath = ${at("a")}`,
        "\thosts allow = 10.1.1.1, 0.0.0.0",
        "",
        "[closed]",
        `\tpath = ${at("b")}`,
        "\thosts allow = 10.1.1.1",
        "",
        "[denied]",
        `\tpath = ${at("x")}`,
        "\thosts deny = 0.0.0.0/0",
        "",
        "[old]",
        `\tpath = ${at("y")}`,
        "\tname = renamed",
        "\tcomment = was old",
        "",
      ].join("\n"),
    ],
    ["CRLF and a missing final newline", `[crlf]\r\n\tpath = ${at("a")}\r\n\tread only = false\r\n\tcomment = dos`],
  ];

  test("module listing of every fixture file equals the semantic view's", async (t) => {
    if (!requireRoot(t, TOOLS)) return;
    // include.conf names paths that do not exist here; rsync rejects it, the codec does not read includes.
    const files = readdirSync(FIXTURES)
      .filter((f) => f !== "include.conf")
      .sort();
    assert.ok(files.length >= 10, files.join(", "));
    for (const file of files) await assertListingAgrees(readFileSync(`${FIXTURES}/${file}`, "utf8"), file);
  });

  test("each module's path, read only, list, comment and access are what rsync serves", async (t) => {
    if (!requireRoot(t, TOOLS)) return;
    let checkedModules = 0;
    for (const [title, text] of tricky()) {
      await assertListingAgrees(text, title);
      const sem = rsyncdSemantics(parseRsyncdDocument(text));
      for (const module of sem.modules) {
        const facts = await rsyncModuleFacts(text, module.name);
        const context = `${title} / [${module.name}]: ${facts.error ?? ""}\n${facts.log}`;
        assert.ok(facts.exists, context);
        checkedModules++;
        const allowed = expectAccess(sem, module.name);
        assert.equal(facts.accessDenied, !allowed, `access: ${context}`);
        if (!allowed) continue;
        const path = rsyncdValue(sem, "path", module.name);
        const servedLabel = labels.find((l) => path === at(l));
        assert.ok(servedLabel !== undefined || path === undefined, `semantic path ${path} is a marked dir`);
        assert.deepEqual(facts.entries, servedLabel === undefined ? null : [servedLabel], `path: ${context}`);
        if (servedLabel !== undefined) {
          assert.equal(facts.readOnly, rsyncdBoolean(sem, "read only", module.name), `read only: ${context}`);
        }
        assert.equal(facts.listed, rsyncdBoolean(sem, "list", module.name) !== false, `list: ${context}`);
      }
    }
    assert.equal(checkedModules, 15, `checked ${checkedModules} modules`);
  });

  test("refuse options, joined from continuation lines, are what rsync refuses", async (t) => {
    if (!requireRoot(t, TOOLS)) return;
    const text = tricky()[2]![1];
    const refused = rsyncdList(rsyncdSemantics(parseRsyncdDocument(text)), "refuse options", "rw");
    assert.deepEqual(refused, ["checksum", "delete"]);
    assert.equal(await rsyncRefuses(text, "rw", ["--delete"]), true);
    assert.equal(await rsyncRefuses(text, "rw", ["--times"]), false);
  });

  test("rendered global part and 25 generated modules: accepted, listed and served as modelled", async (t) => {
    if (!requireRoot(t, TOOLS)) return;
    const moduleModel = (index: number) =>
      fc.record(
        {
          name: fc.constant(`gen-${index}`),
          path: fc.constant(at("gen")),
          comment: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9 =#;"%,.-]{0,20}[A-Za-z0-9]$/),
          readOnly: fc.boolean(),
          list: fc.boolean(),
          useChroot: fc.boolean(),
          numericIds: fc.boolean(),
          maxConnections: fc.integer({ min: 0, max: 100 }),
          timeout: fc.integer({ min: 0, max: 3600 }),
          hostsAllow: fc.constantFrom(["0.0.0.0"], ["0.0.0.0/0", "10.0.0.0/8"]),
          refuseOptions: fc.subarray(["delete", "checksum", "compress"], { minLength: 1 }),
          dontCompress: fc.constant(["*.gz", "*.zip"]),
          incomingChmod: fc.constantFrom("Du=rwx,Fu=rw", "D755,F644"),
          transferLogging: fc.boolean(),
          logFormat: fc.constant("%o %h [%a] %m (%u) %f %l"),
          exclude: fc.constant("*.tmp .cache/"),
          uid: fc.constant("root"),
          gid: fc.constant("root"),
        },
        { requiredKeys: ["name", "path"] },
      );
    const models: RsyncModuleModel[] = Array.from({ length: 25 }, (_, i) =>
      JSON.parse(JSON.stringify(fc.sample(moduleModel(i), { numRuns: 1, seed: 873 + i })[0])),
    );
    const global = { pidFile: "/var/run/rsyncd.pid", lockFile: "/var/run/rsync.lock", port: 873, maxConnections: 10 };
    assert.deepEqual(errorsOf(validateRsyncdGlobal(global)), []);
    for (const m of models) assert.deepEqual(errorsOf(validateRsyncModule(m)), [], JSON.stringify(m));
    const text = [renderRsyncdGlobal(global), ...models.map(renderRsyncModule)].join("\n");
    await assertListingAgrees(text, "rendered");
    const verdict = await rsyncVerdict(text);
    assert.doesNotMatch(verdict.log, /Unknown Parameter|IGNORING|badly formed/i, verdict.log);
    assert.deepEqual(
      verdict.modules.map((m) => m.name),
      models.filter((m) => m.list !== false).map((m) => m.name),
    );
    for (const model of models.slice(0, 6)) {
      const facts = await rsyncModuleFacts(text, model.name);
      assert.deepEqual(facts.entries, ["gen"], facts.log);
      assert.equal(facts.readOnly, model.readOnly ?? true, facts.log);
    }
  });

  test("the appendix global part, edited with a module added, changed and removed, stays a file rsync reads as modelled", async (t) => {
    if (!requireRoot(t, TOOLS)) return;
    let doc = parseRsyncdDocument(
      `${APPENDIX_GLOBAL}\n# backups\n[backup]\n\tpath = ${at("b")}\n\tcomment = nightly\n\n# scratch\n[scratch]\n\tpath = ${at("x")}\n`,
    );
    await assertListingAgrees(renderRsyncdDocument(doc), "appendix with two modules");
    doc = setRsyncModule(doc, {
      name: "new",
      path: at("new"),
      comment: "added",
      readOnly: false,
      hostsAllow: ["0.0.0.0"],
    });
    doc = setRsyncModule(doc, { name: "backup", path: at("b"), comment: "nightly, read-write", readOnly: false });
    doc = removeRsyncModule(doc, "scratch");
    const text = renderRsyncdDocument(doc);
    assert.ok(text.startsWith(`${APPENDIX_GLOBAL}\n# backups\n[backup]\n`), text);
    assert.ok(!text.includes("# scratch"), "the removed module takes its own comment");
    await assertListingAgrees(text, "edited");
    const facts = await rsyncModuleFacts(text, "new");
    assert.deepEqual([facts.entries, facts.readOnly, facts.comment], [["new"], false, "added"], facts.log);
  });
});
