// SystemdSocketService's check and diff without a host: what is refused (naming the property),
// what the checked inputs hold (as refresh reads them back), and which changes replace.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { systemdSocketService, type Props } from "../../src/provider";
import { UNKNOWN } from "../../src/provider/props";

// A connection that resolves but points nowhere: check must never dial it.
const connection = { host: "192.0.2.1", privateKey: "not used by check" };
const BASE: Props = { connection, serviceName: "pxecho", port: 7000, server: "/bin/cat" };

function failuresOf(news: Props): string[] {
  return systemdSocketService
    .check({}, { ...BASE, ...news })
    .failures.map((failure) => failure.property)
    .sort();
}

describe("SystemdSocketService check", () => {
  const refused: Array<[string, Props, string[]]> = [
    [
      "xinetd attributes systemd cannot express, by name",
      { banner: "/etc/issue", accessTimes: ["8:00-17:00"] },
      ["accessTimes", "banner"],
    ],
    ["redirect and maxLoad", { redirect: { host: "10.0.0.2", port: 7 }, maxLoad: 2 }, ["maxLoad", "redirect"]],
    ["a raw socket", { socketType: "raw" }, ["socketType"]],
    ["a dgram socket without wait", { socketType: "dgram" }, ["wait"]],
    ["instances with wait: true", { wait: true, instances: 5 }, ["instances"]],
    ["onlyFrom with noAccess", { onlyFrom: ["10.0.0.0/8"], noAccess: ["10.1.0.0/16"] }, ["noAccess"]],
    ["a host name in onlyFrom", { onlyFrom: ["example.com"] }, ["onlyFrom"]],
    ["an xinetd flag without equivalent", { flags: ["SENSOR"] }, ["flags"]],
    ["a relative server", { server: "cat" }, ["server"]],
    ["a setting of a typed field in extra", { extra: { socket: { ListenStream: "80" } } }, ["extra"]],
    ["an unknown property", { colour: "blue" }, ["colour"]],
    ["a unit name systemd refuses", { serviceName: "a/b" }, ["serviceName"]],
    ["a missing port", { port: undefined }, ["port"]],
    ["a relative unitDir", { unitDir: "etc/systemd" }, ["unitDir"]],
  ];
  for (const [what, news, properties] of refused) {
    test(`refuses ${what}`, () => assert.deepEqual(failuresOf(news), properties));
  }

  test("accepts a full service, with cps as its documented approximation", () => {
    assert.deepEqual(
      failuresOf({
        flags: ["IPv6", "KEEPALIVE", "REUSE"],
        v6only: true,
        bind: "::1",
        user: "nobody",
        group: "nogroup",
        serverArgs: ["-u", "a b"],
        onlyFrom: ["::1/128", "localhost"],
        instances: 10,
        perSource: 2,
        cps: 50,
        env: ["LANG=C"],
        nice: 5,
        umask: "022",
        rlimitFiles: 1024,
        rlimitAs: "64M",
        extra: { service: { ProtectSystem: "full" }, socket: { Backlog: ["16"] } },
      }),
      [],
    );
  });

  test("the checked inputs are what refresh reads back: defaults, the serverArgs line split, umask, limits, extra lists", () => {
    const { inputs } = systemdSocketService.check(
      {},
      {
        ...BASE,
        serverArgs: "--daemon  --config=/etc/x.conf",
        umask: "22",
        rlimitAs: "1K",
        extra: { service: { A: "b" } },
      },
    );
    assert.equal(inputs.unitDir, "/etc/systemd/system");
    assert.equal(inputs.wait, false);
    assert.equal(inputs.socketType, "stream");
    assert.deepEqual(inputs.serverArgs, ["--daemon", "--config=/etc/x.conf"]);
    assert.equal(inputs.umask, "0022");
    assert.equal(inputs.rlimitAs, 1024);
    assert.deepEqual(inputs.extra, { service: { A: ["b"] } });
  });

  test("an unknown input (preview) is not judged, and the others are left as given", () => {
    const { inputs, failures } = systemdSocketService.check({}, { ...BASE, port: UNKNOWN, umask: "22" });
    assert.deepEqual(failures, []);
    assert.equal(inputs.umask, "22");
  });
});

describe("SystemdSocketService diff", () => {
  const olds = systemdSocketService.check({}, BASE).inputs;
  const cases: Array<[string, Props, { changes: boolean; replaces: string[]; deleteBeforeReplace: boolean }]> = [
    ["nothing", {}, { changes: false, replaces: [], deleteBeforeReplace: false }],
    ["the port: an update", { port: 7001 }, { changes: true, replaces: [], deleteBeforeReplace: false }],
    [
      "wait: an update (the other service unit goes)",
      { wait: true },
      { changes: true, replaces: [], deleteBeforeReplace: false },
    ],
    [
      "the name: a replacement",
      { serviceName: "other" },
      { changes: true, replaces: ["serviceName"], deleteBeforeReplace: false },
    ],
    [
      "the unit directory: a replacement",
      { unitDir: "/run/systemd/system" },
      { changes: true, replaces: ["unitDir"], deleteBeforeReplace: false },
    ],
    ["adopt alone: nothing", { adopt: true }, { changes: false, replaces: [], deleteBeforeReplace: false }],
  ];
  for (const [what, change, expected] of cases) {
    test(`changing ${what}`, () => {
      const news = systemdSocketService.check(olds, { ...BASE, ...change }).inputs;
      assert.deepEqual(
        systemdSocketService.diff("id", { ...olds, socketPath: "/x", schemaVersion: 1 }, news),
        expected,
      );
    });
  }

  test("a state whose outcome is unknown (no socketPath) asks for an update", () => {
    assert.equal(systemdSocketService.diff("id", { ...olds, schemaVersion: 1 }, olds).changes, true);
  });
});
