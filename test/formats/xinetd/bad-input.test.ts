import assert from "node:assert/strict";
import { test } from "node:test";
import {
  parseServicesTable,
  parseXinetdDocument,
  validateXinetdDocument,
  validateXinetdService,
  validateXinetdServiceOrThrow,
  type XinetdServiceModel,
  type XinetdValidationOptions,
} from "../../../src/formats/xinetd";
import { FormatError } from "../../../src/formats/problems";

const services = parseServicesTable("rsync\t\t873/tcp\nrsync\t\t873/udp\ntftp\t\t69/udp\n# comment\n");
const base: XinetdServiceModel = {
  name: "rsync",
  socketType: "stream",
  wait: false,
  user: "root",
  server: "/usr/bin/rsync",
};
const bad = (changes: Record<string, unknown>) => ({ ...base, ...changes }) as XinetdServiceModel;

const CASES: Array<[string, XinetdServiceModel, XinetdValidationOptions, string, string]> = [
  ["socket type enum", bad({ socketType: "streams" }), {}, "socket_type", "enum"],
  ["wait must be boolean", bad({ wait: "no" }), {}, "wait", "type"],
  ["port out of range", bad({ port: 70000 }), {}, "port", "range"],
  ["port not an integer", bad({ port: 8.5 }), {}, "port", "invalid-value"],
  ["umask above 0777", bad({ umask: "1777" }), {}, "umask", "range"],
  ["umask not octal", bad({ umask: "089" }), {}, "umask", "invalid-value"],
  ["negative instances", bad({ instances: -1 }), {}, "instances", "range"],
  ["cps needs unsigned ints", bad({ cps: [-1, 2] }), {}, "cps", "invalid-value"],
  ["max_load zero", bad({ maxLoad: 0 }), {}, "max_load", "range"],
  ["socket_type mandatory", bad({ socketType: undefined }), {}, "socket_type", "mandatory"],
  ["wait mandatory", bad({ wait: undefined }), {}, "wait", "mandatory"],
  ["user mandatory", bad({ user: undefined }), {}, "user", "mandatory"],
  ["server mandatory without redirect", bad({ server: undefined }), {}, "server", "mandatory"],
  ["port mandatory when UNLISTED", bad({ type: ["UNLISTED"] }), {}, "port", "mandatory"],
  ["not in /etc/services", bad({ name: "backup" }), { services }, "service", "not-in-services"],
  ["port differs from /etc/services", bad({ port: 18222 }), { services }, "port", "port-mismatch"],
  ["blank inside a token", bad({ serverArgs: ["--config=/etc/my file"] }), {}, "server_args", "blank-in-token"],
  ["token starting with #", bad({ serverArgs: ["#x"] }), {}, "server_args", "comment-token"],
  ["line break in a value", bad({ user: "root\n" }), {}, "user", "newline-in-token"],
  ["empty token", bad({ group: "" }), {}, "group", "empty-token"],
  ["server_args present but empty", bad({ serverArgs: [] }), {}, "server_args", "empty-server-args"],
  ["env entry without =", bad({ env: ["HOME"] }), {}, "env", "env-without-equals"],
  ["env takes no -=", bad({ env: { remove: ["A=1"] } }), {}, "env", "operator-not-allowed"],
  ["+= on port via extra", bad({ extra: { port: { add: ["873"] } } }), {}, "port", "operator-not-allowed"],
  ["file name with a dot", base, { fileName: "rsync.conf" }, "file name", "file-name-skipped"],
  ["file name ending in ~", base, { fileName: "rsync~" }, "file name", "file-name-skipped"],
  ["file name with a slash", base, { fileName: "a/rsync" }, "file name", "invalid-file-name"],
  ["dgram without wait = yes", bad({ socketType: "dgram" }), {}, "wait", "dgram-needs-wait"],
  ["TRAFFIC without redirect", bad({ logOnSuccess: ["TRAFFIC"] }), {}, "log_on_success", "traffic-needs-redirect"],
  ["unknown attribute in extra", bad({ extra: { "only-from": ["1.2.3.4"] } }), {}, "only-from", "unknown-attribute"],
  ["service name with a blank", bad({ name: "my service" }), {}, "service", "invalid-name"],
  ["service name with a brace", bad({ name: "x{" }), {}, "service", "invalid-name"],
  ["empty service name", bad({ name: "" }), {}, "service", "invalid-name"],
  ["flags enum", bad({ flags: ["IPV7"] }), {}, "flags", "enum"],
  ["log_on_failure enum", bad({ logOnFailure: { add: ["PID"] } }), {}, "log_on_failure", "enum"],
  ["unknown model key", bad({ socket_type: "stream" }), {}, "socket_type", "unknown-key"],
  ["redirect port zero", bad({ server: undefined, redirect: { host: "10.0.0.1", port: 0 } }), {}, "redirect", "range"],
  ["access_times format", bad({ accessTimes: ["8-18"] }), {}, "access_times", "invalid-value"],
  [
    "INTERNAL service xinetd does not have",
    bad({ name: "servers", type: ["INTERNAL"], user: undefined, server: undefined }),
    {},
    "service",
    "no-such-internal-service",
  ],
  ["syslog facility", bad({ logType: { kind: "SYSLOG", facility: "kernel" } }), {}, "log_type", "enum"],
  // Control characters: xinetd reads lines as C strings.
  ["NUL in server_args", bad({ serverArgs: ["--daemon", "a\0b"] }), {}, "server_args", "control-character"],
  ["NUL in no_access", bad({ noAccess: { add: ["10.0.0.1\0"] } }), {}, "no_access", "control-character"],
  ["DEL in only_from", bad({ onlyFrom: ["10.0.0.1\u007f"] }), {}, "only_from", "control-character"],
  ["U+2028 in env", bad({ env: ["A=\u2028"] }), {}, "env", "control-character"],
  ["vertical tab in user", bad({ user: "ro\vot" }), {}, "user", "control-character"],
  ["C1 in a passenv", bad({ passenv: ["PATH\u0085"] }), {}, "passenv", "control-character"],
  ["bidi override in server", bad({ server: "/usr/bin/\u202ersync" }), {}, "server", "control-character"],
  ["NUL in an extra value", bad({ extra: { "x-note": ["a\0"] } }), {}, "x-note", "control-character"],
  [
    "zero-width joiner in an extra name",
    bad({ extra: { "x\u200dnote": ["a"] } }),
    {},
    "x\u200dnote",
    "control-character",
  ],
  ["NUL in the service name", bad({ name: "rs\0ync" }), {}, "service", "control-character"],
  ["upper case in an extra name", bad({ extra: { "X-Note": ["a"] } }), {}, "X-Note", "extra-name-case"],
  // xinetd folds += / -= lines into sets.
  ["repeated item in +=", bad({ onlyFrom: { add: ["10.0.0.1", "10.0.0.1"] } }), {}, "only_from", "duplicate-value"],
  [
    "item both added and removed",
    bad({ noAccess: { add: ["10.0.0.1"], remove: ["10.0.0.1"] } }),
    {},
    "no_access",
    "duplicate-value",
  ],
  ["repeated item in an extra +=", bad({ extra: { "x-note": { add: ["a", "a"] } } }), {}, "x-note", "duplicate-value"],
  // A trailing `\` reads as a continuation to humans and other tools.
  ["token ending in \\", bad({ serverArgs: ["--daemon\\"] }), {}, "server_args", "value-continuation"],
  ["token that is \\", bad({ user: "\\" }), {}, "user", "value-continuation"],
  ["service name ending in \\", bad({ name: "rsync\\" }), {}, "service", "value-continuation"],
  // Lines are limited to 16 KiB.
  ["line over 16 KiB", bad({ serverArgs: ["x".repeat(17_000)] }), {}, "server_args", "line-too-long"],
  [
    "extra line over 16 KiB",
    bad({ extra: { "x-note": Array.from({ length: 3000 }, () => "abcdef") } }),
    {},
    "x-note",
    "line-too-long",
  ],
];

for (const [title, model, options, field, rule] of CASES) {
  test(`bad input: ${title}`, () => {
    const problems = validateXinetdService(model, options);
    assert.ok(
      problems.some((p) => p.field === field && p.rule === rule),
      `expected ${field}/${rule} in ${JSON.stringify(problems)}`,
    );
  });
}

test("look-alikes xinetd reads as written are not refused: braces, +=, = and \\ inside tokens", () => {
  assert.deepEqual(
    validateXinetdService(bad({ serverArgs: ["}", "{", "+=", "a=b", "a\\b", "x{y}"], env: ["A=}"] })),
    [],
  );
  // env keeps repeated `+=` items (xinetd appends them), and `=` lists keep repeats too.
  assert.deepEqual(
    validateXinetdService(bad({ env: { add: ["A=1", "A=1"] }, onlyFrom: ["10.0.0.1", "10.0.0.1"] })),
    [],
  );
});

test("the valid base has no problems", () => {
  assert.deepEqual(validateXinetdService(base, { services, fileName: "rsync" }), []);
});

test("unknown attribute hint names the near attribute", () => {
  const [p] = validateXinetdService(bad({ extra: { "only-from": ["1.2.3.4"] } }));
  assert.equal(p!.severity, "warning");
  assert.match(p!.message, /`only_from`/);
});

test("every problem is reported at once", () => {
  const model = bad({ name: "my svc", socketType: "dgram", wait: undefined, port: -1, serverArgs: [], env: ["X"] });
  const found = validateXinetdService(model, { fileName: "svc.conf" }).map((p) => `${p.field}/${p.rule}`);
  assert.deepEqual(found.sort(), [
    "env/env-without-equals",
    "file name/file-name-skipped",
    "port/range",
    "server_args/empty-server-args",
    "service/invalid-name",
    "wait/dgram-needs-wait",
    "wait/mandatory",
  ]);
});

test("OrThrow throws a FormatError listing every problem", () => {
  assert.throws(
    () => validateXinetdServiceOrThrow(bad({ port: 70000, wait: undefined })),
    (e: unknown) => {
      assert.ok(e instanceof FormatError);
      assert.deepEqual(
        e.problems.map((p) => p.rule),
        ["range", "mandatory"],
      );
      return true;
    },
  );
  assert.deepEqual(validateXinetdServiceOrThrow(base), []);
});

test("document validation: syntax and model problems with positions", () => {
  const doc = parseXinetdDocument(
    "service rsync\n{\n\tport=873\n\tsocket_type = stream\n\twait = no\n\tuser = root\n}\n",
  );
  const found = validateXinetdDocument(doc).map((p) => `${p.field}/${p.rule}@${p.position?.line}`);
  assert.deepEqual(found, ["port/no-blank-before-operator@3", "server/mandatory@1"]);
});
