// `pulumi-xinetd doctor` end to end: the built bin against a lab host, as an operator runs it.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";

import type { Diagnosis } from "../../src/doctor";
import { startLab, type Lab, type LabHost } from "../lab/lab";
import { labSkipReason } from "../lab/requirements";
import { breakHost, makeHealthy, RSYNC_CONF } from "./support";

const skip = labSkipReason();
const BIN = path.resolve(__dirname, "../../dist/cli.js");

describe("pulumi-xinetd doctor, the command", { skip }, () => {
  let lab: Lab;
  let host: LabHost;

  before(async () => {
    lab = await startLab({ hosts: 1 });
    host = lab.hosts[0]!;
    await makeHealthy(host);
  });
  after(async () => lab?.stop());

  const doctor = (...args: string[]) =>
    spawnSync(
      process.execPath,
      [BIN, "doctor", host.address, "--identity", lab.rootKeyPath, "--known-hosts", lab.knownHostsPath, ...args],
      { encoding: "utf8", timeout: 120_000 },
    );

  test("a healthy host: exit 0, says what serves the port", () => {
    const result = doctor();
    assert.equal(result.status, 0, result.stderr + result.stdout);
    assert.match(result.stdout, /served by: xinetd \(pid \d+\), service `rsync` in \/etc\/xinetd\.d\/rsync/);
    assert.match(result.stdout, /from here: listed 2 module\(s\)/);
    assert.match(result.stdout, /0 error\(s\)/);
  });

  test("a broken host: exit 1, errors before warnings, each with evidence and a fix; --json has the shape", async () => {
    await breakHost(
      host,
      `mv /srv/pub /srv/pub.gone && sed -i 's#^log file = .*#log file = /var/log/gone/rsync.log#' ${RSYNC_CONF}`,
    );
    const human = doctor();
    assert.equal(human.status, 1, human.stderr);
    const error = human.stdout.indexOf("ERROR module-path-missing:");
    const warning = human.stdout.indexOf("WARNING log-file-unwritable:");
    assert.ok(error > 0 && warning > error, human.stdout);
    assert.match(
      human.stdout.slice(error),
      /\n {4}\| \/srv\/pub: no such file or directory\n {2}fix: Create the directory/,
    );

    const json = doctor("--json");
    assert.equal(json.status, 1, json.stderr);
    const diagnosis = JSON.parse(json.stdout) as Diagnosis;
    assert.equal(diagnosis.host, host.address);
    assert.equal(diagnosis.port, 873);
    assert.equal(diagnosis.server.launcher, "xinetd");
    assert.deepEqual(
      diagnosis.modules.map((m) => m.name),
      ["pub", "backup"],
    );
    const severities = diagnosis.findings.map((f) => f.severity);
    const firstNonError = severities.findIndex((severity) => severity !== "error");
    assert.ok(firstNonError > 0 && !severities.slice(firstNonError).includes("error"), severities.join(" "));
    for (const item of diagnosis.findings) {
      assert.deepEqual(Object.keys(item).sort(), ["code", "evidence", "fix", "message", "severity"]);
    }
    assert.ok(diagnosis.findings.some((f) => f.code === "module-path-missing"));
    await makeHealthy(host);
  });

  test("an unknown host key: exit 2, the host-key refusal, nothing examined", () => {
    const result = spawnSync(
      process.execPath,
      [BIN, "doctor", host.address, "--identity", lab.rootKeyPath, "--known-hosts", "/dev/null", "--json"],
      { encoding: "utf8", timeout: 60_000 },
    );
    assert.equal(result.status, 2);
    assert.equal(result.stdout, "");
    assert.match(result.stderr, /could not examine .*not in any known_hosts|host key/i);
  });
});
