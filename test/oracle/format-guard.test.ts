/**
 * The real daemons judge the hostile-value rules and the round-trip guard (issue 8, item 1):
 * the attack is real (rsync serves a module to everyone once `\` swallows `hosts allow`) and it is
 * refused before any text is written; the look-alike values the rules allow are read by rsync and
 * xinetd exactly as the semantic view says; and an over-long xinetd line really breaks a service.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  errorsOf,
  FormatError,
  parseRsyncdDocument,
  parseXinetdDocument,
  readXinetdService,
  renderRsyncdDocument,
  renderXinetdService,
  rsyncdBoolean,
  rsyncdList,
  rsyncdSemantics,
  rsyncdValue,
  setRsyncModule,
  validateRsyncModule,
  validateXinetdService,
  type RsyncModuleModel,
  type XinetdServiceModel,
} from "../../src/formats";
import { renderRsyncModuleText } from "../../src/formats/rsyncd/render";
import { renderXinetdServiceText } from "../../src/formats/xinetd/render";
import { requireRoot } from "../support/requirements";
import { markedDirs, rsyncModuleFacts, rsyncRefuses, rsyncVerdict, type MarkedDirs } from "../support/rsync-oracle";
import { xinetdVerdict } from "../support/xinetd-oracle";

const GLOBAL = "use chroot = no\n";

function refusedFields(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof FormatError, String(error));
    assert.ok(error.problems.every((p) => p.rule === "round-trip-mismatch"));
    return error.problems.map((p) => p.field);
  }
  return [];
}

describe("rsync: the trailing-backslash attack and the look-alikes it must not catch", () => {
  let dirs: MarkedDirs;
  const labels = ["m", "look", "b\\s", "cyr"];
  before(async () => {
    dirs = await markedDirs(labels);
  });
  after(async () => {
    await dirs?.cleanup();
  });

  test('`dontCompress: ["*.gz\\\\"], hostsAllow: ["192.0.2.1"]`: rsync would serve it to everyone; the rule and the guard refuse it', async (t) => {
    if (!requireRoot(t, ["rsync"])) return;
    const attack: RsyncModuleModel = {
      name: "m",
      path: dirs.path("m"),
      dontCompress: ["*.gz\\"],
      hostsAllow: ["192.0.2.1"],
      readOnly: true,
    };
    // What the renderer wrote before the guard: the attack is real, and the semantic view sees it too.
    const unguarded = GLOBAL + renderRsyncModuleText(attack);
    assert.match(unguarded, /dont compress = \*\.gz\\\n\thosts allow = 192\.0\.2\.1\n/);
    const sem = rsyncdSemantics(parseRsyncdDocument(unguarded));
    assert.equal(rsyncdList(sem, "hosts allow", "m"), undefined, "the semantic view reads hosts allow as swallowed");
    const served = await rsyncModuleFacts(unguarded, "m");
    assert.equal(served.accessDenied, false, served.log);
    assert.deepEqual(served.entries, ["m"], "rsync serves the module to a client outside hosts allow");
    // Refused twice before anything is written: by the rule (check) and by the guard (every edit).
    assert.ok(validateRsyncModule(attack).some((p) => p.field === "dont compress" && p.rule === "value-continuation"));
    assert.deepEqual(
      refusedFields(() => setRsyncModule(parseRsyncdDocument(GLOBAL), attack)),
      ["dont compress", "hosts allow"],
    );
    // The intended module, written by the guarded edit, keeps the client out.
    const intended = renderRsyncdDocument(
      setRsyncModule(parseRsyncdDocument(GLOBAL), { ...attack, dontCompress: ["*.gz"] }),
    );
    const kept = await rsyncModuleFacts(intended, "m");
    assert.equal(kept.accessDenied, true, kept.log);
  });

  test("values with `\\` inside, `#`, `;`, `[`, `=`, a look-alike name, a 4 KiB comment: served exactly as the semantic view says", async (t) => {
    if (!requireRoot(t, ["rsync"])) return;
    const longComment = `long ${"x".repeat(4086)} end`;
    const models: RsyncModuleModel[] = [
      {
        name: "look",
        path: dirs.path("look"),
        comment: "a\\b \\ c #d ;e [f] g=h",
        refuseOptions: ["delete"],
        dontCompress: ["*.g\\z"],
        readOnly: false,
      },
      { name: "[sq", path: dirs.path("b\\s"), comment: "[not-a-section]", hostsDeny: ["192.0.2.9"] },
      // Cyrillic `а`: a module of its own name; a client asking for the Latin spelling gets nothing.
      { name: "b\u0430ckup", path: dirs.path("cyr"), comment: longComment },
      { name: ";semi", path: dirs.path("look"), comment: ";semi" },
      { name: "a=b", path: dirs.path("look"), comment: "#hash" },
    ];
    for (const model of models) assert.deepEqual(errorsOf(validateRsyncModule(model)), [], JSON.stringify(model.name));
    let doc = parseRsyncdDocument(GLOBAL);
    for (const model of models) doc = setRsyncModule(doc, model);
    const text = renderRsyncdDocument(doc);
    const sem = rsyncdSemantics(doc);
    assert.deepEqual(
      sem.modules.map((m) => m.name),
      models.map((m) => m.name),
    );
    const verdict = await rsyncVerdict(text);
    assert.equal(verdict.exitCode, 0, verdict.stderr);
    assert.deepEqual(
      verdict.modules,
      models.map((m) => ({ name: m.name, comment: rsyncdValue(sem, "comment", m.name) })),
    );
    assert.equal(verdict.modules[2]!.comment, longComment);
    for (const model of models) {
      const facts = await rsyncModuleFacts(text, model.name);
      assert.equal(facts.accessDenied, false, facts.log);
      assert.deepEqual(
        facts.entries,
        [labels.find((l) => dirs.path(l) === rsyncdValue(sem, "path", model.name))],
        `${model.name}: ${facts.error}\n${facts.log}`,
      );
      assert.equal(facts.readOnly, rsyncdBoolean(sem, "read only", model.name), facts.log);
    }
    assert.equal((await rsyncModuleFacts(text, "backup")).exists, false, "the Latin spelling is another module");
    assert.equal(await rsyncRefuses(text, "look", ["--delete"]), true);
    assert.deepEqual(rsyncdList(sem, "dont compress", "look"), ["*.g\\z"]);
  });

  test("a module name starting with `#` is listed but unreachable: refused by the rule", async (t) => {
    if (!requireRoot(t, ["rsync"])) return;
    const model: RsyncModuleModel = { name: "#hash", path: dirs.path("look") };
    assert.ok(validateRsyncModule(model).some((p) => p.field === "module name" && p.rule === "module-name-hash"));
    const text = renderRsyncdDocument(setRsyncModule(parseRsyncdDocument(GLOBAL), model));
    assert.deepEqual(
      (await rsyncVerdict(text)).modules.map((m) => m.name),
      ["#hash"],
    );
    const facts = await rsyncModuleFacts(text, "#hash");
    assert.equal(facts.entries, null);
    assert.match(facts.error ?? "", /Unknown command/);
  });

  test("a comment past rsync's 5120-byte listing line breaks the listing of every module: refused by the rule", async (t) => {
    if (!requireRoot(t, ["rsync"])) return;
    const model: RsyncModuleModel = { name: "m", path: dirs.path("m"), comment: "x".repeat(6000) };
    assert.ok(validateRsyncModule(model).some((p) => p.field === "comment" && p.rule === "value-too-long"));
    const text = renderRsyncdDocument(
      setRsyncModule(parseRsyncdDocument(`${GLOBAL}[other]\n\tpath = ${dirs.path("look")}\n`), model),
    );
    const verdict = await rsyncVerdict(text);
    assert.equal(verdict.exitCode, 5, verdict.stderr);
    assert.ok(!verdict.modules.some((m) => m.name === "m"));
    assert.match(verdict.stderr, /too long for the buffer/);
    const atLimit = await rsyncVerdict(text.replace("x".repeat(6000), "x".repeat(4096)));
    assert.deepEqual(
      atLimit.modules.map((m) => m.name),
      ["other", "m"],
      atLimit.stderr,
    );
  });
});

describe("xinetd: look-alike tokens, a trailing `\\`, over-long lines", () => {
  const service = (index: number, id: string): XinetdServiceModel => ({
    name: `guard${index}`,
    type: ["UNLISTED"],
    serviceId: id,
    port: 21_000 + index,
    socketType: "stream",
    wait: false,
    user: "nobody",
    server: "/bin/cat",
  });

  test("`}`, `{`, `+=`, `=`, `a=b`, `a\\b` as values (written before the mandatory attributes) are read as plain tokens", async (t) => {
    if (!requireRoot(t, ["xinetd", "unshare", "ip", "mount"])) return;
    const ids = ["}", "{", "{}", "+=", "-=", "=", "a=b", "a\\b", "x{y}"];
    const models = ids.map((id, i) => service(i, id));
    for (const model of models) assert.deepEqual(errorsOf(validateXinetdService(model)), [], model.serviceId);
    const files = models.map((m) => ({ name: m.name, content: renderXinetdService(m) }));
    for (const [i, file] of files.entries())
      assert.equal(readXinetdService(parseXinetdDocument(file.content)).model.serviceId, ids[i]);
    const verdict = await xinetdVerdict(files);
    assert.deepEqual([...verdict.available].sort(), models.map((m) => m.name).sort(), verdict.log);
    assert.deepEqual([...verdict.ids].sort(), [...ids].sort(), verdict.log);
  });

  test("a token ending in `\\` joins nothing in xinetd (the semantic view agrees); the rule refuses it anyway", async (t) => {
    if (!requireRoot(t, ["xinetd", "unshare", "ip", "mount"])) return;
    const model = service(20, "x\\");
    assert.ok(validateXinetdService(model).some((p) => p.field === "id" && p.rule === "value-continuation"));
    const content = renderXinetdServiceText(model);
    assert.equal(
      readXinetdService(parseXinetdDocument(content)).model.socketType,
      "stream",
      "the next line is read on its own",
    );
    const verdict = await xinetdVerdict([{ name: model.name, content }]);
    assert.deepEqual([verdict.available, verdict.ids], [[model.name], ["x\\"]], verdict.log);
  });

  test("a line over 16 KiB breaks the service in xinetd: refused by the rule and by the guard", async (t) => {
    if (!requireRoot(t, ["xinetd", "unshare", "ip", "mount"])) return;
    const model: XinetdServiceModel = { ...service(30, "big"), serverArgs: ["x".repeat(17_000)] };
    assert.ok(validateXinetdService(model).some((p) => p.field === "server_args" && p.rule === "line-too-long"));
    assert.deepEqual(
      refusedFields(() => renderXinetdService(model)),
      ["server_args"],
    );
    const verdict = await xinetdVerdict([{ name: model.name, content: renderXinetdServiceText(model) }]);
    assert.deepEqual(verdict.available, [], verdict.log);
    assert.ok(
      verdict.problems.some((p) => p.startsWith("ERROR:")),
      verdict.log,
    );
  });
});
