import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import {
  applyXinetdService,
  parseXinetdDocument,
  readXinetdService,
  renderXinetdDocument,
  renderXinetdService,
  validateXinetdService,
  type XinetdServiceModel,
} from "../../../src/formats/xinetd";

const APPENDIX = readFileSync(join(__dirname, "../../fixtures/xinetd/rsync"), "utf8");
const read = (text: string, name?: string) => readXinetdService(parseXinetdDocument(text), name);
const service = (body: string) => `service s\n{\n${body}}\n`;

test("appendix: the semantic view is what an operator reads", () => {
  const { model, problems } = read(APPENDIX);
  assert.deepEqual(problems, []);
  assert.deepEqual(model, {
    name: "rsync",
    disable: false,
    flags: ["IPv6"],
    socketType: "stream",
    wait: false,
    user: "root",
    server: "/usr/bin/rsync",
    serverArgs: ["--daemon", "--config=/etc/rsyncd/rsyncd.conf"],
    logOnFailure: { add: ["USERID"] },
  });
  assert.deepEqual(validateXinetdService(model, { fileName: "rsync" }), []);
});

test("appendix: rendering the model gives a stable file", () => {
  const { model } = read(APPENDIX);
  const rendered = renderXinetdService(model);
  assert.equal(
    rendered,
    [
      "service rsync",
      "{",
      "\tdisable        = no",
      "\tflags          = IPv6",
      "\tsocket_type    = stream",
      "\twait           = no",
      "\tuser           = root",
      "\tserver         = /usr/bin/rsync",
      "\tserver_args    = --daemon --config=/etc/rsyncd/rsyncd.conf",
      "\tlog_on_failure += USERID",
      "}",
      "",
    ].join("\n"),
  );
  assert.equal(renderXinetdService(read(rendered).model), rendered);
  assert.equal(renderXinetdDocument(applyXinetdService(parseXinetdDocument(APPENDIX), model)), APPENDIX);
});

const SEMANTIC_CASES: Array<[string, string, Partial<XinetdServiceModel>, string[]]> = [
  [
    "names and enums are case-insensitive",
    "\tSOCKET_TYPE = Stream\n\tWait = YES\n\tflags = ipv4 reuse\n",
    { socketType: "stream", wait: true, flags: ["IPv4", "REUSE"] },
    [],
  ],
  ["first value wins", "\tuser = a\n\tuser = b\n", { user: "a" }, ["duplicate-attribute"]],
  [
    "a list set twice keeps the first",
    "\tserver_args = a\n\tserver_args = b\n",
    { serverArgs: ["a"] },
    ["duplicate-attribute"],
  ],
  [
    "+= lines add up",
    "\tlog_on_success += PID\n\tlog_on_success += HOST PID\n",
    { logOnSuccess: { add: ["PID", "HOST"] } },
    [],
  ],
  ["= then += folds", "\tonly_from = 10.0.0.1\n\tonly_from += 10.0.0.2\n", { onlyFrom: ["10.0.0.1", "10.0.0.2"] }, []],
  ["+= then = replaces", "\tonly_from += 10.0.0.1\n\tonly_from = 10.0.0.2\n", { onlyFrom: ["10.0.0.2"] }, []],
  ["= after = replaces for modifiable lists", "\tpassenv = A\n\tpassenv = B\n", { passenv: ["B"] }, []],
  [
    "-= collected",
    "\tno_access -= 1.2.3.4\n\tno_access += 5.6.7.8\n",
    { noAccess: { remove: ["1.2.3.4"], add: ["5.6.7.8"] } },
    [],
  ],
  ["+= on a single-valued attribute is ignored", "\tport += 80\n", {}, ["operator-not-allowed"]],
  ["env -= disables the service", "\tenv -= A=1\n", {}, ["operator-not-allowed"]],
  ["bad value", "\twait = maybe\n", {}, ["enum"]],
  ["wrong count", "\tredirect = host\n", {}, ["value-count"]],
  [
    "unknown attribute goes to extra",
    "\tonly-from = 1.2.3.4\n",
    { extra: { "only-from": ["1.2.3.4"] } },
    ["unknown-attribute"],
  ],
  ["interface is bind", "\tinterface = 127.0.0.1\n", { bind: "127.0.0.1" }, []],
  [
    "typed values",
    "\tinstances = UNLIMITED\n\tcps = 10 5\n\tlog_type = SYSLOG authpriv\n\tdeny_time = forever\n\tnice = -5\n\tredirect = 10.0.0.1 873\n",
    {
      instances: "UNLIMITED",
      cps: [10, 5],
      logType: { kind: "SYSLOG", facility: "authpriv" },
      denyTime: "FOREVER",
      nice: -5,
      redirect: { host: "10.0.0.1", port: 873 },
    },
    [],
  ],
  ["a CR after a number is accepted", "\tport = 873\r\n", { port: 873 }, ["carriage-return"]],
];

for (const [title, body, expected, rules] of SEMANTIC_CASES) {
  test(`semantic: ${title}`, () => {
    const { model, problems } = read(service(body));
    assert.deepEqual(model, { name: "s", ...expected });
    assert.deepEqual(
      problems.map((p) => p.rule),
      rules,
    );
  });
}

test("named service and missing service", () => {
  const text = "service a\n{\n\tuser = x\n}\nservice b\n{\n\tuser = y\n}\n";
  assert.equal(read(text, "b").model.user, "y");
  assert.deepEqual(
    read(text, "c").problems.map((p) => p.rule),
    ["service-not-found"],
  );
});

const RSYNC_DOC = parseXinetdDocument(APPENDIX);
const RSYNC = readXinetdService(RSYNC_DOC).model;

const EDIT_CASES: Array<[string, XinetdServiceModel, string]> = [
  [
    "change one value keeps the line's style",
    { ...RSYNC, wait: true },
    APPENDIX.replace("wait            = no", "wait            = yes"),
  ],
  [
    "remove an attribute",
    { ...RSYNC, flags: undefined } as XinetdServiceModel,
    APPENDIX.replace("        flags           = IPv6\n", ""),
  ],
  [
    "add attributes before } aligned with the file",
    { ...RSYNC, port: 873, type: ["UNLISTED"] },
    APPENDIX.replace("}\n", "        type            = UNLISTED\n        port            = 873\n}\n"),
  ],
  [
    "+= becomes = when the model is absolute",
    { ...RSYNC, logOnFailure: ["HOST"] },
    APPENDIX.replace("log_on_failure  += USERID", "log_on_failure  = HOST"),
  ],
  ["rename", { ...RSYNC, name: "rsync2" }, APPENDIX.replace("service rsync", "service rsync2")],
];

for (const [title, model, expected] of EDIT_CASES) {
  test(`edit: ${title}`, () => assert.equal(renderXinetdDocument(applyXinetdService(RSYNC_DOC, model)), expected));
}

test("edit: Debian tabs, comments stay, duplicates collapse, syntax errors fixed", () => {
  const text = "# c\nservice echo\n{\n\tdisable\t\t= yes\n\t# keep\n\tuser\t\t= root\n\tuser\t\t= other\n\tport=7\n}\n";
  const model: XinetdServiceModel = { name: "echo", disable: false, user: "nobody", port: 7, socketType: "stream" };
  assert.equal(
    renderXinetdDocument(applyXinetdService(parseXinetdDocument(text), model)),
    "# c\nservice echo\n{\n\tdisable\t\t= no\n\t# keep\n\tuser\t\t= nobody\n\tport = 7\n\tsocket_type\t= stream\n}\n",
  );
});

test("edit: a document without a service gets the rendered file", () => {
  assert.equal(renderXinetdDocument(applyXinetdService(parseXinetdDocument(""), RSYNC)), renderXinetdService(RSYNC));
  assert.equal(
    renderXinetdDocument(applyXinetdService(parseXinetdDocument("# header"), RSYNC)),
    `# header\n\n${renderXinetdService(RSYNC)}`,
  );
});

test("edit: equal values written differently keep their line", () => {
  const text = service("\tWAIT = No\n\tport = 0873\n\tflags = ipv6\n");
  assert.equal(
    renderXinetdDocument(
      applyXinetdService(parseXinetdDocument(text), { name: "s", wait: false, port: 873, flags: ["IPv6"] }),
    ),
    text,
  );
});

const token = fc.stringMatching(/^[a-z0-9/._-]{1,10}$/);
const listValue = fc
  .oneof(
    fc.array(token, { maxLength: 3 }),
    fc.record({ add: fc.array(token, { minLength: 1, maxLength: 3 }) }),
    fc.record({
      add: fc.array(token, { minLength: 1, maxLength: 2 }),
      remove: fc.array(token, { minLength: 1, maxLength: 2 }),
    }),
  )
  .map((v) =>
    Array.isArray(v)
      ? v
      : {
          add: [...new Set(v.add)],
          ...("remove" in v ? { remove: [...new Set(v.remove)].filter((x) => !v.add.includes(x)) } : {}),
        },
  );

export const validModel: fc.Arbitrary<XinetdServiceModel> = fc.record(
  {
    name: fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/),
    disable: fc.boolean(),
    type: fc.subarray(["UNLISTED", "INTERNAL"], { minLength: 1 }),
    flags: fc.subarray(["IPv4", "REUSE", "NODELAY"], { minLength: 1 }),
    socketType: fc.constantFrom("stream", "dgram"),
    port: fc.integer({ min: 0, max: 65535 }),
    wait: fc.boolean(),
    user: token,
    server: token.map((t) => `/usr/sbin/${t}`),
    serverArgs: fc.array(token, { minLength: 1, maxLength: 4 }),
    instances: fc.oneof(fc.nat(100), fc.constant("UNLIMITED" as const)),
    cps: fc.tuple(fc.nat(100), fc.nat(100)),
    logOnSuccess: fc.subarray(["PID", "HOST", "EXIT"]),
    onlyFrom: listValue,
    passenv: listValue,
    env: fc.array(
      token.map((t) => `V=${t}`),
      { minLength: 1, maxLength: 3 },
    ),
    logType: fc.constantFrom(
      { kind: "SYSLOG" as const, facility: "daemon", level: "info" },
      { kind: "FILE" as const, path: "/var/log/x", softLimit: "10M" },
    ),
    umask: fc.constantFrom("022", "0077"),
    rlimitAs: fc.oneof(fc.nat(1000), fc.constant("64M"), fc.constant("UNLIMITED")),
    denyTime: fc.oneof(fc.nat(60), fc.constantFrom("FOREVER" as const, "NEVER" as const)),
    extra: fc.constant({ "x-note": ["a"] }),
  },
  { requiredKeys: ["name"] },
);

test("property: rendered models read back equal", () => {
  fc.assert(
    fc.property(validModel, (model) => {
      const { model: back } = read(renderXinetdService(model));
      assert.deepEqual(back, { ...model });
    }),
    { numRuns: 300 },
  );
});

test("property: applying a one-attribute change leaves every other line byte-identical", () => {
  fc.assert(
    fc.property(validModel, fc.integer({ min: 1, max: 65535 }), (model, port) => {
      const text = renderXinetdService({ ...model, port: 0 });
      const after = renderXinetdDocument(applyXinetdService(parseXinetdDocument(text), { ...model, port }));
      const before = text.split("\n");
      const lines = after.split("\n");
      assert.equal(lines.length, before.length);
      const changed = lines.filter((l, i) => l !== before[i]);
      assert.equal(changed.length, 1);
      assert.match(changed[0]!, new RegExp(`^\\tport +=  ?${port}$`));
    }),
    { numRuns: 200 },
  );
});

test("property: applying the model read from a document returns its text", () => {
  fc.assert(
    fc.property(validModel, (model) => {
      const doc = parseXinetdDocument(renderXinetdService(model).replace(/ = /g, "\t= ").replace(/^\t/gm, "    "));
      assert.equal(
        renderXinetdDocument(applyXinetdService(doc, readXinetdService(doc).model)),
        renderXinetdDocument(doc),
      );
    }),
    { numRuns: 200 },
  );
});
