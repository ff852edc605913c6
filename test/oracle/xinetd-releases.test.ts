/**
 * The xinetd oracles against Debian 12's xinetd 2.3.15.3 and Debian 13's 2.3.15.4, each run inside
 * a systemd lab host of that release (its binary, users and /etc/services): the oracle suites pass
 * there too, and one set of probe files shows exactly where the two releases read a file differently.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, describe, test } from "node:test";

import { startLab, type AnyLabHost, type Lab, type SystemdLabHost } from "../lab/lab";
import { labSkipReason } from "../lab/requirements";
import { xinetdVerdict, type XinetdOptions } from "../support/xinetd-oracle";

const ORACLE_SUITES = [
  "test/oracle/xinetd-codec.test.ts",
  "test/oracle/harness.test.ts",
  "test/oracle/format-guard.test.ts",
];

const service = (name: string, lines: string[]) => `service ${name}\n{\n${lines.map((l) => `\t${l}\n`).join("")}}\n`;
const CAT = ["type = UNLISTED", "socket_type = stream", "wait = no", "user = nobody", "server = /bin/cat"];

/** Files where a release difference could hide: each is one run of xinetd, its verdict compared. */
const PROBES: Record<string, { content: string; options?: XinetdOptions }> = {
  plain: { content: service("p", [...CAT, "port = 7001"]) },
  "dgram without wait": {
    content: service("p", [
      "type = UNLISTED",
      "socket_type = dgram",
      "wait = no",
      "user = nobody",
      "server = /bin/cat",
      "port = 7002",
    ]),
  },
  "dgram with wait": {
    content: service("p", [
      "type = UNLISTED",
      "socket_type = dgram",
      "wait = yes",
      "user = nobody",
      "server = /bin/cat",
      "port = 7003",
    ]),
  },
  "unknown attribute": { content: service("p", [...CAT, "port = 7004", "colour = blue"]) },
  mdns: { content: service("p", [...CAT, "port = 7005", "mdns = yes"]) },
  "redirect without user": {
    content: service("p", [
      "type = UNLISTED",
      "socket_type = stream",
      "wait = no",
      "port = 7006",
      "redirect = 127.0.0.1 22",
    ]),
  },
  "env -=": { content: service("p", [...CAT, "port = 7007", "env -= A=1"]) },
  "internal servers": { content: service("servers", ["type = INTERNAL", "socket_type = stream", "wait = no"]) },
  "listed with another port": {
    content: service("rsync", [
      "socket_type = stream",
      "wait = no",
      "user = root",
      "server = /usr/bin/rsync",
      "port = 18222",
    ]),
  },
  "unlisted without port": { content: service("p", CAT) },
  "IPv6 and v6only": { content: service("p", [...CAT, "port = 7008", "flags = IPv6", "v6only = yes"]) },
  "CRLF value": { content: service("p", [...CAT, "port = 7009", "log_on_success = PID\r"]) },
  "trailing comment": { content: service("p", [...CAT, "port = 7010", "log_on_success += PID # note"]) },
  "second log_type": {
    content: service("p", [...CAT, "port = 7011", "log_type = SYSLOG daemon", "log_type = SYSLOG authpriv"]),
  },
  "deny_time and SENSOR": { content: service("p", [...CAT, "port = 7012", "flags = SENSOR", "deny_time = 5"]) },
  "bad defaults": { content: service("p", [...CAT, "port = 7013"]), options: { defaults: "\tinstances = many" } },
  "defaults with only_from": {
    content: service("p", [...CAT, "port = 7014"]),
    options: { defaults: "\tonly_from = 127.0.0.1" },
  },
  "TCPMUX without tcpmux": {
    content: service("p", ["type = TCPMUX", "socket_type = stream", "wait = no", "user = nobody", "server = /bin/cat"]),
  },
  "no blank before =": { content: service("p", [...CAT, "port=7015"]) },
  "max_load and cps": { content: service("p", [...CAT, "port = 7016", "max_load = 2.5", "cps = 10 5"]) },
  rlimits: {
    content: service("p", [...CAT, "port = 7017", "rlimit_as = 64M", "rlimit_cpu = 10", "rlimit_files = 128"]),
  },
  access_times: { content: service("p", [...CAT, "port = 7018", "access_times = 00:00-23:59"]) },
  "group and umask": { content: service("p", [...CAT, "port = 7019", "group = nogroup", "umask = 022"]) },
  "banner missing": { content: service("p", [...CAT, "port = 7020", "banner = /nonexistent"]) },
  libwrap: { content: service("p", [...CAT, "port = 7021", "libwrap = p"]) },
};

/** What a release made of a probe: started or not, and its problems without pids, times and paths. */
interface Reading {
  started: boolean;
  problems: string[];
}

/**
 * Where the releases differ, as measured (README, "xinetd 2.3.15.3 and 2.3.15.4"). Any other
 * difference, or one of these going away, fails the test.
 */
const KNOWN_DIFFERENCES = ["dgram without wait"];

describe(
  "xinetd 2.3.15.3 (Debian 12) and 2.3.15.4 (Debian 13) as oracles",
  { skip: labSkipReason(["debian12", "debian13"]) },
  () => {
    let lab: Lab<AnyLabHost>;
    let hosts: SystemdLabHost[];

    before(async () => {
      lab = await startLab({ hosts: [{ kind: "debian12" }, { kind: "debian13" }] });
      hosts = lab.hosts.filter((host): host is SystemdLabHost => host.kind !== "namespace");
    });

    after(async () => {
      await lab?.stop();
    });

    test("the hosts run the releases the notes name", async () => {
      const versions = await Promise.all(hosts.map((host) => host.exec("xinetd -version 2>&1")));
      assert.deepEqual(
        versions.map((result) => /\d+\.\d+\.\d+\.\d+/.exec(result.stdout)?.[0]),
        ["2.3.15.3", "2.3.15.4"],
      );
    });

    for (const index of [0, 1]) {
      test(`the xinetd oracle suites pass against ${index === 0 ? "debian12" : "debian13"}'s xinetd`, () => {
        const host = hosts[index]!;
        const result = spawnSync(
          process.execPath,
          ["--import", "tsx", "--test", "--test-reporter=tap", ...ORACLE_SUITES],
          {
            encoding: "utf8",
            // Without NODE_TEST_CONTEXT the child reports as a top-level run (TAP), not to this runner.
            env: { ...withoutTestContext(process.env), XINETD_ORACLE_HOST_PID: String(host.initPid) },
            timeout: 300_000,
          },
        );
        const failures = result.stdout.split("\n").filter((line) => /^\s*not ok /.test(line));
        assert.equal(result.status, 0, `${host.kind}: ${failures.join("\n")}\n${result.stdout.slice(-4000)}`);
        assert.match(result.stdout, /^# fail 0$/m);
        assert.match(result.stdout, /^# pass [1-9]\d*$/m, "the suites ran");
      });
    }

    test("the releases read every probe alike except the known differences", async () => {
      const readings = async (host: SystemdLabHost): Promise<Record<string, Reading>> => {
        const entries: [string, Reading][] = [];
        for (const [name, probe] of Object.entries(PROBES)) {
          const verdict = await xinetdVerdict([{ name: "probe", content: probe.content }], {
            ...probe.options,
            hostPid: host.initPid,
          });
          entries.push([name, { started: verdict.available.length > 0, problems: verdict.problems }]);
        }
        return Object.fromEntries(entries);
      };
      const [old, current] = [await readings(hosts[0]!), await readings(hosts[1]!)];
      const differing = Object.keys(PROBES).filter(
        (name) => JSON.stringify(old[name]) !== JSON.stringify(current[name]),
      );
      const shown = differing.map(
        (name) => `${name}: 2.3.15.3 ${JSON.stringify(old[name])} / 2.3.15.4 ${JSON.stringify(current[name])}`,
      );
      assert.deepEqual(differing, KNOWN_DIFFERENCES, shown.join("\n"));
      assert.deepEqual(
        [old["dgram without wait"]?.started, current["dgram without wait"]?.started],
        [true, false],
        "2.3.15.4 refuses a dgram service that does not wait; 2.3.15.3 runs it",
      );
    });
  },
);

function withoutTestContext(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { NODE_TEST_CONTEXT: _context, ...rest } = env;
  return rest;
}
