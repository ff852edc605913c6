/**
 * The real xinetd judges the codec: every file the renderer or the editor produces here, from
 * models the validator accepts, must be a service xinetd starts; and files the validator rejects
 * must not be. All files of a case go through one xinetd run (one bad file only drops itself).
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";
import fc from "fast-check";
import {
  applyXinetdService,
  errorsOf,
  parseServicesTable,
  parseXinetdDocument,
  readXinetdService,
  renderXinetdDocument,
  renderXinetdService,
  validateXinetdDocument,
  validateXinetdService,
  type XinetdServiceModel,
} from "../../src/formats";
import { requireRoot } from "../support/requirements";
import { xinetdVerdict, type XinetdFile } from "../support/xinetd-oracle";

const TOOLS = ["xinetd", "unshare", "ip", "mount"];
const services = parseServicesTable(readFileSync("/etc/services", "utf8"));

const APPENDIX = `service rsync
{
        disable = no
        flags           = IPv6
        socket_type     = stream
        wait            = no
        user            = root
        server          = /usr/bin/rsync
        server_args     = --daemon   --config=/etc/rsyncd/rsyncd.conf
        log_on_failure  += USERID
}
`;

/** Hand-made models covering each attribute family once. */
const HAND_MADE: XinetdServiceModel[] = [
  readXinetdService(parseXinetdDocument(APPENDIX)).model,
  {
    name: "rsync-alt",
    type: ["UNLISTED"],
    port: 18222,
    socketType: "stream",
    protocol: "tcp",
    wait: false,
    user: "root",
    group: "root",
    server: "/usr/bin/rsync",
    serverArgs: ["--daemon", "--config=/etc/rsyncd/alt.conf"],
    flags: ["REUSE", "IPv4"],
    instances: 30,
    perSource: 5,
    cps: [50, 10],
    maxLoad: 4.5,
    nice: 10,
    umask: "022",
    logType: { kind: "FILE", path: "/var/log/rsync-xinetd.log", softLimit: "10M", hardLimit: "20M" },
    logOnSuccess: ["PID", "HOST", "DURATION", "EXIT"],
    logOnFailure: { add: ["USERID", "ATTEMPT"] },
    onlyFrom: ["127.0.0.1", "10.0.0.0/8", "192.168.1.{1,2}"],
    noAccess: { add: ["10.9.9.9"] },
    accessTimes: ["06:00-23:30"],
    env: { add: ["RSYNC_TEST=1"] },
    passenv: ["PATH"],
    bind: "127.0.0.1",
    rlimitAs: "512M",
    rlimitCpu: 600,
    rlimitData: "UNLIMITED",
    rlimitFiles: 1024,
    rlimitRss: "64M",
    rlimitStack: "8M",
    denyTime: 5,
    serviceId: "rsync-alt-stream",
    groups: true,
    bannerFail: "/etc/issue.net",
  },
  {
    name: "echo",
    type: ["INTERNAL", "UNLISTED"],
    serviceId: "echo-stream",
    port: 17007,
    socketType: "stream",
    wait: false,
  },
  {
    name: "daytime",
    type: ["INTERNAL", "UNLISTED"],
    port: 17013,
    socketType: "dgram",
    protocol: "udp",
    wait: true,
    user: "root",
  },
  {
    name: "forward",
    type: ["UNLISTED"],
    port: 17873,
    socketType: "stream",
    wait: false,
    user: "nobody",
    redirect: { host: "127.0.0.1", port: 873 },
    logOnSuccess: ["PID", "TRAFFIC"],
  },
  {
    name: "rsync-syslog",
    type: ["UNLISTED"],
    port: 17874,
    socketType: "stream",
    wait: false,
    user: "nobody",
    server: "/usr/bin/rsync",
    serverArgs: ["--daemon"],
    logType: { kind: "SYSLOG", facility: "daemon", level: "info" },
    denyTime: "NEVER",
    instances: "UNLIMITED",
    v6only: false,
  },
];

/** Models that validate, built from values this host can serve (users, servers, addresses). */
const daemonReadyModel = (index: number): fc.Arbitrary<XinetdServiceModel> =>
  fc.record(
    {
      name: fc.constant(`gen${index}`),
      type: fc.constant(["UNLISTED"]),
      port: fc.constant(20000 + index),
      socketType: fc.constant("stream" as const),
      wait: fc.constant(false),
      user: fc.constantFrom("root", "nobody", "daemon"),
      group: fc.constantFrom("root", "nogroup"),
      server: fc.constantFrom("/usr/bin/rsync", "/bin/cat"),
      serverArgs: fc.array(fc.stringMatching(/^--?[a-z][a-z0-9=/_.-]{0,12}$/), { minLength: 1, maxLength: 3 }),
      flags: fc.subarray(["REUSE", "NODELAY", "KEEPALIVE", "NOLIBWRAP"], { minLength: 1 }),
      instances: fc.oneof(fc.integer({ min: 1, max: 500 }), fc.constant("UNLIMITED" as const)),
      perSource: fc.integer({ min: 1, max: 50 }),
      cps: fc.tuple(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 60 })),
      logOnSuccess: fc.oneof(
        fc.subarray(["PID", "HOST", "USERID", "EXIT", "DURATION"], { minLength: 1 }),
        fc.record({ add: fc.subarray(["PID", "HOST", "EXIT"], { minLength: 1 }) }),
      ),
      logOnFailure: fc.oneof(
        fc.subarray(["HOST", "USERID", "ATTEMPT"], { minLength: 1 }),
        fc.record({ add: fc.subarray(["HOST", "USERID"], { minLength: 1 }) }),
      ),
      onlyFrom: fc.subarray(["127.0.0.1", "10.0.0.0/8", "::1", "localhost"], { minLength: 1 }),
      accessTimes: fc.constantFrom(["00:00-23:59"], ["07:00-12:00", "13:00-19:00"]),
      env: fc.array(fc.stringMatching(/^[A-Z]{1,6}=[a-z0-9]{0,6}$/), { minLength: 1, maxLength: 2 }),
      nice: fc.integer({ min: -10, max: 19 }),
      umask: fc.constantFrom("022", "027", "077", "0002"),
      rlimitAs: fc.constantFrom("256M", "UNLIMITED", "65536K"),
      denyTime: fc.oneof(fc.integer({ min: 1, max: 60 }), fc.constantFrom("FOREVER" as const, "NEVER" as const)),
      maxLoad: fc.constantFrom(2, 7.5, 20),
    },
    { requiredKeys: ["name", "type", "port", "socketType", "wait", "user", "server"] },
  );

function assertValid(model: XinetdServiceModel, fileName = model.name): void {
  const errors = errorsOf(validateXinetdService(model, { services, fileName }));
  assert.deepEqual(errors, [], `the test's own model must validate: ${JSON.stringify(model)}`);
}

async function assertAllAvailable(files: XinetdFile[], expectedNames: string[]): Promise<void> {
  const verdict = await xinetdVerdict(files);
  assert.deepEqual([...verdict.available].sort(), [...expectedNames].sort(), `xinetd log:\n${verdict.log}`);
  assert.deepEqual(
    verdict.problems.filter((p) => p.startsWith("ERROR")),
    [],
    verdict.log,
  );
}

test("xinetd starts every service the renderer writes from a valid model (hand-made and 40 generated)", async (t) => {
  if (!requireRoot(t, TOOLS)) return;
  // JSON copy: fast-check builds records without a prototype, which deepEqual would count as a difference.
  const generated = Array.from(
    { length: 40 },
    (_, i) =>
      JSON.parse(
        JSON.stringify(fc.sample(daemonReadyModel(i), { numRuns: 1, seed: 4242 + i })[0]),
      ) as XinetdServiceModel,
  );
  const models = [...HAND_MADE, ...generated];
  for (const model of models) assertValid(model);
  const files = models.map((m) => ({ name: m.name, content: renderXinetdService(m) }));
  for (const [i, file] of files.entries()) {
    assert.deepEqual(
      readXinetdService(parseXinetdDocument(file.content)).model,
      models[i],
      "rendered file reads back as its model",
    );
  }
  await assertAllAvailable(
    files,
    models.map((m) => m.name),
  );
});

test("the appendix file, its re-render and an edit of it are all accepted by xinetd", async (t) => {
  if (!requireRoot(t, TOOLS)) return;
  const model = readXinetdService(parseXinetdDocument(APPENDIX)).model;
  // The copies run beside the original, so they are UNLISTED on ports of their own.
  const rerendered = renderXinetdService({ ...model, name: "rsync2", type: ["UNLISTED"], port: 10873 });
  const edited = renderXinetdDocument(
    applyXinetdService(parseXinetdDocument(APPENDIX), {
      ...model,
      name: "rsync3",
      type: ["UNLISTED"],
      port: 10874,
      logOnFailure: { add: ["USERID", "HOST"] },
      instances: 20,
    }),
  );
  const kept = new Set(edited.split("\n"));
  assert.deepEqual(
    APPENDIX.split("\n").filter((line) => !kept.has(line)),
    ["service rsync", "        log_on_failure  += USERID"],
    "only the renamed header and the changed attribute are rewritten",
  );
  await assertAllAvailable(
    [
      { name: "rsync", content: APPENDIX },
      { name: "rsync2", content: rerendered },
      { name: "rsync3", content: edited },
    ],
    ["rsync", "rsync2", "rsync3"],
  );
});

test("Debian's shipped service files, enabled through applyXinetdService: xinetd starts exactly those the validator passes", async (t) => {
  if (!requireRoot(t, TOOLS)) return;
  const files: XinetdFile[] = [];
  const acceptedIds = new Set<string>();
  const rejectedNames = new Set<string>();
  for (const fileName of readdirSync("/etc/xinetd.d").sort()) {
    const text = readFileSync(`/etc/xinetd.d/${fileName}`, "utf8");
    let doc = parseXinetdDocument(text);
    const names = doc.blocks.filter((b) => b.kind === "service").map((b) => b.name!);
    for (const name of names) doc = applyXinetdService(doc, { ...readXinetdService(doc, name).model, disable: false });
    const out = renderXinetdDocument(doc);
    const before = text.split("\n");
    const changed = out.split("\n").filter((line, i) => line !== before[i]);
    assert.ok(
      changed.every((line) => /^\s*disable\s+=\s+no$/.test(line)),
      `only disable lines change in ${fileName}: ${changed.join(" | ")}`,
    );
    for (const block of doc.blocks.filter((b) => b.kind === "service")) {
      const { model } = readXinetdService(doc, block.name);
      const errors = errorsOf(validateXinetdService(model, { services, fileName }));
      // Debian ships `servers` and `services`, INTERNAL services this xinetd build no longer has.
      if (errors.length > 0) {
        assert.deepEqual(
          errors.map((p) => p.rule),
          ["no-such-internal-service"],
          fileName,
        );
        rejectedNames.add(model.name);
      } else {
        acceptedIds.add(model.serviceId ?? model.name);
      }
    }
    files.push({ name: fileName, content: out });
  }
  assert.ok(acceptedIds.size >= 10 && rejectedNames.size === 2, `${[...acceptedIds]} / ${[...rejectedNames]}`);
  const verdict = await xinetdVerdict(files);
  // Debian ships the id `chargen-dgram` (and its kin) in two files; xinetd keeps one per id.
  assert.deepEqual([...new Set(verdict.ids)].sort(), [...acceptedIds].sort(), verdict.log);
  assert.ok(
    verdict.available.every((name) => !rejectedNames.has(name)),
    verdict.log,
  );
});

/** Files the validator rejects, each with the field and rule it must name; xinetd must not start them. */
const REJECTED: Array<[string, string, string, string]> = [
  [
    "no blank before the operator",
    "no-blank-op",
    "service no-blank-op\n{\n\ttype = UNLISTED\n\tport=18001\n\tsocket_type = stream\n\twait = no\n\tuser = root\n\tserver = /usr/bin/rsync\n}\n",
    "no-blank-before-operator",
  ],
  [
    "bad socket_type",
    "bad-socket",
    "service bad-socket\n{\n\ttype = UNLISTED\n\tport = 18002\n\tsocket_type = streams\n\twait = no\n\tuser = root\n\tserver = /usr/bin/rsync\n}\n",
    "enum",
  ],
  [
    "not in /etc/services",
    "backup",
    "service backup\n{\n\tsocket_type = stream\n\twait = no\n\tuser = root\n\tserver = /usr/bin/rsync\n}\n",
    "not-in-services",
  ],
  [
    "port differs from /etc/services",
    "rsync",
    "service rsync\n{\n\tport = 18222\n\tsocket_type = stream\n\twait = no\n\tuser = root\n\tserver = /usr/bin/rsync\n}\n",
    "port-mismatch",
  ],
  [
    "wait missing",
    "no-wait",
    "service no-wait\n{\n\ttype = UNLISTED\n\tport = 18003\n\tsocket_type = stream\n\tuser = root\n\tserver = /usr/bin/rsync\n}\n",
    "mandatory",
  ],
  [
    "trailing comment",
    "trailing",
    "service trailing\n{\n\ttype = UNLISTED\n\tport = 18004\n\tsocket_type = stream\n\twait = no # never\n\tuser = root\n\tserver = /usr/bin/rsync\n}\n",
    "trailing-comment",
  ],
  [
    "brace on the header line",
    "brace",
    "service brace {\n\ttype = UNLISTED\n\tport = 18005\n\tsocket_type = stream\n\twait = no\n\tuser = root\n\tserver = /usr/bin/rsync\n}\n",
    "brace-on-header-line",
  ],
  [
    "empty server_args",
    "empty-args",
    "service empty-args\n{\n\ttype = UNLISTED\n\tport = 18006\n\tsocket_type = stream\n\twait = no\n\tuser = root\n\tserver = /usr/bin/rsync\n\tserver_args =\n}\n",
    "empty-server-args",
  ],
  [
    "CRLF line endings",
    "crlf",
    "service crlf\r\n{\r\n\ttype = UNLISTED\r\n\tport = 18007\r\n\tsocket_type = stream\r\n\twait = no\r\n\tuser = root\r\n\tserver = /usr/bin/rsync\r\n}\r\n",
    "carriage-return",
  ],
  [
    "file name with a dot",
    "rsync.conf",
    "service dotted\n{\n\ttype = UNLISTED\n\tport = 18008\n\tsocket_type = stream\n\twait = no\n\tuser = root\n\tserver = /usr/bin/rsync\n}\n",
    "file-name-skipped",
  ],
  [
    "file name ending in ~",
    "tilde~",
    "service tilde\n{\n\ttype = UNLISTED\n\tport = 18009\n\tsocket_type = stream\n\twait = no\n\tuser = root\n\tserver = /usr/bin/rsync\n}\n",
    "file-name-skipped",
  ],
  [
    "UNLISTED without a port",
    "no-port",
    "service no-port\n{\n\ttype = UNLISTED\n\tsocket_type = stream\n\twait = no\n\tuser = root\n\tserver = /usr/bin/rsync\n}\n",
    "mandatory",
  ],
];

test("files the validator rejects are files xinetd does not start (same verdict, one run)", async (t) => {
  if (!requireRoot(t, TOOLS)) return;
  for (const [title, fileName, content, rule] of REJECTED) {
    const doc = parseXinetdDocument(content);
    const errors = errorsOf(validateXinetdDocument(doc, { services, fileName }));
    assert.ok(
      errors.some((p) => p.rule === rule),
      `${title}: expected rule ${rule}, got ${JSON.stringify(errors)}`,
    );
  }
  const verdict = await xinetdVerdict(REJECTED.map(([, name, content]) => ({ name, content })));
  assert.deepEqual(verdict.available, [], `xinetd started some of the rejected files:\n${verdict.log}`);
});
