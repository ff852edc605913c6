/**
 * The socket-service model as units and back, the xinetd migration, drop-ins merged as systemd
 * merges them, and edits of existing unit files that touch only the lines that change.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import {
  applySystemdSocketService,
  normalizeSystemdSocketService,
  parseUnitDocument,
  readSystemdSocketService,
  readUnitDocument,
  readUnitWithDropIns,
  renderSystemdSocketService,
  systemdSocketServiceFromXinetd,
  validateSystemdSocketService,
  type SystemdSocketServiceModel,
} from "../../../src/formats/systemd";
import type { XinetdServiceModel } from "../../../src/formats/xinetd";

const FIXTURES = join(__dirname, "../../fixtures/systemd");
const fixture = (name: string) => readFileSync(join(FIXTURES, name), "utf8");

const RSYNC: SystemdSocketServiceModel = {
  name: "rsyncd",
  port: 873,
  user: "root",
  server: "/usr/bin/rsync",
  serverArgs: ["--daemon"],
};

function lines(text: string): string[] {
  return text.split("\n");
}

const mappingCases: Array<[string, Partial<SystemdSocketServiceModel>, string[], string[]]> = [
  [
    "wait: false is Accept=yes on IPv4 by default",
    {},
    ["ListenStream=0.0.0.0:873", "Accept=yes"],
    ["StandardInput=socket", "ExecStart=-/usr/bin/rsync --daemon"],
  ],
  ["wait: true is Accept=no", { wait: true }, ["Accept=no"], []],
  [
    "IPv6 is dual stack, v6only ipv6-only",
    { flags: ["IPv6"], v6only: true },
    ["ListenStream=[::]:873", "BindIPv6Only=ipv6-only"],
    [],
  ],
  ["bind is the listen address", { bind: "192.0.2.7" }, ["ListenStream=192.0.2.7:873"], []],
  ["dgram listens for datagrams", { socketType: "dgram", wait: true }, ["ListenDatagram=0.0.0.0:873"], []],
  [
    "onlyFrom allows and denies the rest",
    { onlyFrom: ["10.0.0.0/8", "::1"] },
    ["IPAddressAllow=10.0.0.0/8", "IPAddressAllow=::1", "IPAddressDeny=any"],
    [],
  ],
  ["noAccess denies", { noAccess: ["192.0.2.0/24"] }, ["IPAddressDeny=192.0.2.0/24"], []],
  [
    "instances, perSource, cps",
    { instances: 30, perSource: 5, cps: 50 },
    ["MaxConnections=30", "MaxConnectionsPerSource=5", "TriggerLimitIntervalSec=1s", "TriggerLimitBurst=50"],
    [],
  ],
  ["KEEPALIVE and NODELAY", { flags: ["KEEPALIVE", "NODELAY", "REUSE"] }, ["KeepAlive=yes", "NoDelay=yes"], []],
  [
    "NAMEINARGS passes argv[0]",
    { flags: ["NAMEINARGS"], serverArgs: ["rsyncd", "--daemon"] },
    [],
    ["ExecStart=-@/usr/bin/rsync rsyncd --daemon"],
  ],
  [
    "env, nice, umask, limits",
    { env: ["LANG=C", "X=a b"], nice: 5, umask: "022", rlimitAs: "64M", rlimitCpu: "UNLIMITED", rlimitFiles: "1K" },
    [],
    [
      "Environment=LANG=C",
      'Environment="X=a b"',
      "Nice=5",
      "UMask=0022",
      "LimitAS=67108864",
      "LimitCPU=infinity",
      "LimitNOFILE=1024",
    ],
  ],
  ["group", { group: "nogroup" }, [], ["Group=nogroup"]],
  [
    "extra settings go to their section",
    { extra: { service: { ProtectSystem: "full" }, socket: { Backlog: "16" } } },
    ["Backlog=16"],
    ["ProtectSystem=full"],
  ],
];

test("a model maps onto the socket and service units", async (t) => {
  for (const [title, change, socketLines, serviceLines] of mappingCases) {
    await t.test(title, () => {
      const model = { ...RSYNC, ...change } as SystemdSocketServiceModel;
      assert.deepEqual(validateSystemdSocketService(model), []);
      const units = renderSystemdSocketService(model);
      assert.equal(units.names.service, model.wait ? "rsyncd.service" : "rsyncd@.service");
      for (const line of socketLines) assert.ok(lines(units.socket).includes(line), `${line} in\n${units.socket}`);
      for (const line of serviceLines) assert.ok(lines(units.service).includes(line), `${line} in\n${units.service}`);
      const back = readSystemdSocketService(
        model.name,
        readUnitDocument(parseUnitDocument(units.socket)).reading,
        readUnitDocument(parseUnitDocument(units.service)).reading,
      );
      assert.deepEqual(back.unreadable, []);
      assert.deepEqual(back.model, normalizeSystemdSocketService(model));
    });
  }
});

const refusals: Array<[string, Partial<SystemdSocketServiceModel>, string, string]> = [
  ["raw sockets", { socketType: "raw" as never }, "socketType", "no-systemd-equivalent"],
  ["an unknown flag", { flags: ["SENSOR"] }, "flags[0]", "no-systemd-equivalent"],
  ["unlimited instances", { instances: "UNLIMITED" as never }, "instances", "no-systemd-equivalent"],
  ["instances with wait: true", { wait: true, instances: 3 }, "instances", "no-systemd-equivalent"],
  [
    "onlyFrom with noAccess",
    { onlyFrom: ["10.0.0.0/8"], noAccess: ["10.1.0.0/16"] },
    "noAccess",
    "no-systemd-equivalent",
  ],
  ["a host name in onlyFrom", { onlyFrom: ["example.com"] }, "onlyFrom[0]", "not-an-address"],
  ["a host name as bind", { bind: "localhost" }, "bind", "bind-not-address"],
  ["v6only without IPv6", { v6only: true }, "v6only", "v6only-needs-ipv6"],
  ["a relative server", { server: "rsync" }, "server", "absolute-path"],
  ["a `$` in the server path", { server: "/opt/$x/bin" }, "server", "dollar-in-server"],
  ["a line break in an argument", { serverArgs: ["a\nb"] }, "serverArgs[0]", "control-character"],
  ["a description ending in `\\`", { description: "x\\" }, "description", "value-continuation"],
  ["an extra value with outer blanks", { extra: { service: { Foo: " x" } } }, "extra.service.Foo", "outer-whitespace"],
  [
    "an extra setting the fields write",
    { extra: { service: { ExecStart: "/bin/sh" } } },
    "extra.service.ExecStart",
    "known-setting-in-extra",
  ],
  ["a blank in the user", { user: "root x" }, "user", "blank-in-value"],
  ["a bad env name", { env: ["1A=b"] }, "env[0]", "env-name"],
  ["dgram with wait: false", { socketType: "dgram" }, "wait", "dgram-needs-wait"],
  ["an `@` in the name", { name: "a@b" }, "name", "invalid-unit-name"],
  // Found by the hostile suite: `-hsd02.socket` passed check, then systemctl read it as options at create.
  ["a leading `-` in the name", { name: "-x" }, "name", "invalid-unit-name"],
];

test("validation refuses what systemd cannot express or would misread, naming field and rule", async (t) => {
  for (const [title, change, field, rule] of refusals) {
    await t.test(title, () => {
      const found = validateSystemdSocketService({ ...RSYNC, ...change } as SystemdSocketServiceModel);
      assert.ok(
        found.some((p) => p.field === field && p.rule === rule),
        JSON.stringify(found),
      );
    });
  }
});

test("the seed's xinetd rsync service migrates; log attributes warn, cps approximates", () => {
  const xinetd: XinetdServiceModel = {
    name: "rsync",
    socketType: "stream",
    wait: false,
    user: "root",
    server: "/usr/bin/rsync",
    serverArgs: ["--daemon"],
    flags: ["IPv6"],
    logOnFailure: { add: ["USERID"] },
    cps: [50, 10],
    onlyFrom: ["0.0.0.0"],
  };
  const { model, problems } = systemdSocketServiceFromXinetd(xinetd, {
    services: new Map([["rsync", new Map([["tcp", 873]])]]),
  });
  assert.deepEqual(
    problems.filter((p) => p.severity === "error"),
    [],
  );
  assert.deepEqual(
    problems.map((p) => [p.field, p.rule]),
    [
      ["log_on_failure", "no-systemd-equivalent"],
      ["cps", "approximation"],
    ],
  );
  assert.equal(model.port, 873);
  assert.equal(model.cps, 50);
  assert.deepEqual(model.onlyFrom, ["any"]);
  const units = renderSystemdSocketService(model);
  assert.ok(units.socket.includes("ListenStream=[::]:873\n"));
});

test("xinetd attributes without an equivalent are refused naming them", () => {
  const { problems } = systemdSocketServiceFromXinetd({
    name: "x",
    socketType: "raw",
    wait: false,
    user: "root",
    server: "/bin/true",
    port: 9,
    redirect: { host: "h", port: 1 },
    accessTimes: ["8:00-17:00"],
    banner: "/etc/banner",
    instances: "UNLIMITED",
    onlyFrom: { add: ["10.0.0.1"] },
  });
  const fields = problems.filter((p) => p.rule === "no-systemd-equivalent").map((p) => p.field);
  for (const field of ["redirect", "access_times", "banner", "socket_type", "instances", "only_from"])
    assert.ok(fields.includes(field), `${field} in ${fields.join(", ")}`);
});

test("upstream-style rsync units read as the model they mean; the rest is reported", () => {
  const socket = readUnitDocument(parseUnitDocument(fixture("rsync.socket"))).reading;
  const service = readUnitDocument(parseUnitDocument(fixture("rsync@.service"))).reading;
  const { model, unreadable, unmanaged } = readSystemdSocketService("rsync", socket, service);
  assert.equal(model.server, "/usr/bin/rsync");
  assert.deepEqual(model.serverArgs, ["--daemon"]);
  assert.equal(model.port, 873);
  assert.deepEqual(model.flags, ["IPv6"]);
  assert.equal(model.wait, false);
  assert.deepEqual(model.extra?.service, {
    StandardOutput: ["inherit"],
    StandardError: ["journal"],
    ProtectSystem: ["full"],
    PrivateDevices: ["on"],
    NoNewPrivileges: ["on"],
  });
  // A bare port depends on the host's bindv6only; the reading says so instead of guessing.
  assert.deepEqual(
    unreadable.map((u) => u.setting),
    ["Description", "BindIPv6Only"],
  );
  assert.deepEqual(unmanaged, ["[Unit] Conflicts", "[Unit] After"]);
});

test("drop-ins apply in file-name order: later ones override, an empty assignment resets", () => {
  const units = renderSystemdSocketService({ ...RSYNC, instances: 10, onlyFrom: ["10.0.0.0/8"] });
  const dropIns = [
    { name: "b-port.conf", doc: parseUnitDocument("[Socket]\nListenStream=\nListenStream=0.0.0.0:8873\n") },
    { name: "a-max.conf", doc: parseUnitDocument("[Socket]\nMaxConnections=99\nIPAddressAllow=192.0.2.1\n") },
    { name: "c-max.conf", doc: parseUnitDocument("[Socket]\nMaxConnections=20\n") },
    { name: "ignored.conf~", doc: parseUnitDocument("[Socket]\nMaxConnections=1\n") },
  ];
  const socket = readUnitWithDropIns(parseUnitDocument(units.socket), dropIns).reading;
  const service = readUnitDocument(parseUnitDocument(units.service)).reading;
  const { model } = readSystemdSocketService("rsyncd", socket, service);
  assert.equal(model.port, 8873);
  assert.equal(model.instances, 20);
  assert.deepEqual(model.onlyFrom, ["10.0.0.0/8", "192.0.2.1"]);
});

test("an edit keeps comments and unchanged lines byte for byte and rewrites only what changed", () => {
  const model: SystemdSocketServiceModel = { ...RSYNC, instances: 10 };
  const first = renderSystemdSocketService(model);
  const handEdited = `# managed, but commented by hand\n${first.socket.replace("Accept=yes\n", "Accept=yes\n; a note\n")}`;
  const next = applySystemdSocketService(
    { socket: parseUnitDocument(handEdited), service: parseUnitDocument(first.service) },
    { ...model, instances: 20 },
  );
  assert.equal(next.socket, handEdited.replace("MaxConnections=10", "MaxConnections=20"));
  assert.equal(next.service, first.service);
  const same = applySystemdSocketService(
    { socket: parseUnitDocument(handEdited), service: parseUnitDocument(first.service) },
    model,
  );
  assert.equal(same.socket, handEdited);
});

// Values are compared as systemd's raw text: a continuation is kept when its joined text is the one wanted.
test("an edit keeps a hand-written line's spacing and a continued value it leaves alone", () => {
  const socket =
    "[Socket]\nListenStream = 0.0.0.0:873\nAccept=yes\nMaxConnections = 5\n\n[Install]\nWantedBy=sockets.target\n";
  const service =
    "[Service]\nExecStart=-/usr/bin/rsync\\\n# a comment inside\n--daemon\nStandardInput=socket\nUser=root\n";
  const next = applySystemdSocketService(
    { socket: parseUnitDocument(socket), service: parseUnitDocument(service) },
    { ...RSYNC, instances: 7 },
  );
  assert.equal(next.socket, socket.replace("MaxConnections = 5", "MaxConnections = 7"));
  assert.equal(next.service, service);
});
