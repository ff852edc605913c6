// The doctor on lab hosts broken on purpose, one way at a time, as an operator would break them
// (chmod, a typo, stopping xinetd, a standalone daemon on the port, `disable = yes`, a flood, …):
// each break must make the doctor's JSON name its code, and the healthy host must show no error.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";

import { diagnoseRsyncHost, type Diagnosis, type FindingCode } from "../../src/doctor";
import { ConnectionPool } from "../../src/remote/ssh";
import { run, startLab, type Lab, type LabHost } from "../lab/lab";
import { labSkipReason } from "../lab/requirements";
import { breakHost, makeHealthy, RSYNC_CONF, SECRETS, SERVICE_FILE } from "./support";

const skip = labSkipReason();

describe("the doctor on broken lab hosts", { skip }, () => {
  let lab: Lab;
  let host: LabHost;
  const pool = new ConnectionPool();

  before(async () => {
    lab = await startLab({ hosts: 1 });
    host = lab.hosts[0]!;
  });
  after(async () => {
    await pool.closeAll();
    await lab?.stop();
  });
  beforeEach(async () => makeHealthy(host));

  const diagnose = (options: { probeFromHere?: boolean } = {}) =>
    diagnoseRsyncHost(
      { host: host.address, privateKey: lab.rootPrivateKey, hostKey: host.hostKeyLine },
      { pool, probeFromHere: options.probeFromHere ?? false },
    );
  const codes = (diagnosis: Diagnosis) => diagnosis.findings.map((f) => `${f.severity} ${f.code}`);
  const named = (diagnosis: Diagnosis, code: FindingCode) => {
    const found = diagnosis.findings.find((f) => f.code === code);
    assert.ok(found, `expected ${code}, got: ${JSON.stringify(codes(diagnosis))}`);
    return found;
  };

  test("a healthy host: served by xinetd, both modules listed and connected, no error, listed from here too", async () => {
    const diagnosis = await diagnose({ probeFromHere: true });
    assert.deepEqual(
      diagnosis.findings.filter((f) => f.severity === "error"),
      [],
    );
    assert.equal(diagnosis.server.launcher, "xinetd");
    assert.equal(diagnosis.server.configPath, RSYNC_CONF);
    assert.equal(diagnosis.server.configFrom, "launcher");
    assert.deepEqual(
      diagnosis.modules.map((m) => [m.name, m.listed, m.connect]),
      [
        ["pub", true, "ok"],
        ["backup", true, "ok"],
      ],
    );
    assert.equal(diagnosis.client?.outcome, "listed");
    assert.deepEqual(diagnosis.client?.modules, ["pub", "backup"]);
    assert.ok(diagnosis.logs.some((log) => log.source === "rsync:/var/log/rsync.log"));
  });

  test("the `.rsync.previous` copy a change leaves beside the service file is no finding", async () => {
    await breakHost(host, `cp ${SERVICE_FILE} /etc/xinetd.d/.rsync.previous`);
    const diagnosis = await diagnose();
    assert.deepEqual(codes(diagnosis), []);
    assert.equal(diagnosis.server.xinetdService?.file, SERVICE_FILE);
  });

  test("xinetd stopped: nothing-listening and xinetd-not-running", async () => {
    await breakHost(host, "service xinetd stop");
    const diagnosis = await diagnose();
    assert.equal(named(diagnosis, "nothing-listening").severity, "error");
    assert.equal(named(diagnosis, "xinetd-not-running").severity, "error");
    assert.equal(diagnosis.server.launcher, "none");
  });

  test("`disable = yes`: xinetd-service-disabled, naming the file", async () => {
    await breakHost(host, `sed -i 's/disable = no/disable = yes/' ${SERVICE_FILE} && service xinetd reload`);
    const found = named(await diagnose(), "xinetd-service-disabled");
    assert.equal(found.severity, "error");
    assert.match(found.evidence.join("\n"), /disable = yes/);
  });

  test("a service file named rsync.conf: xinetd-service-not-loaded (includedir skips it)", async () => {
    await breakHost(host, `mv ${SERVICE_FILE} ${SERVICE_FILE}.conf && service xinetd reload`);
    const found = named(await diagnose(), "xinetd-service-not-loaded");
    assert.equal(found.severity, "error");
    assert.match(found.message, /skips/);
  });

  test("a bad value in the service: xinetd-service-not-loaded with xinetd's own log line", async () => {
    await breakHost(host, `sed -i 's/wait = no/wait = maybe/' ${SERVICE_FILE} && service xinetd reload`);
    const found = named(await diagnose(), "xinetd-service-not-loaded");
    assert.match(found.evidence.join("\n"), /Bad value for wait: maybe \[file=\/etc\/xinetd\.d\/rsync\] \[line=6\]/);
  });

  test("a duplicate id in another file: xinetd-service-not-loaded naming both files", async () => {
    await breakHost(host, `cp ${SERVICE_FILE} /etc/xinetd.d/arsync && service xinetd reload`);
    const found = named(await diagnose(), "xinetd-service-not-loaded");
    assert.equal(found.severity, "error");
    assert.match(
      found.evidence.join("\n"),
      /id `rsync` is also used by `service rsync` \(\/etc\/xinetd\.d\/a?rsync:1\)/,
    );
  });

  test("a cps flood: xinetd-cps-deactivated with xinetd's Deactivating line", async () => {
    await breakHost(host, `sed -i 's/^}/\\tcps = 2 60\\n}/' ${SERVICE_FILE} && service xinetd reload`);
    await Promise.all(
      Array.from({ length: 8 }, () =>
        run(["rsync", "--contimeout=3", `rsync://${host.address}/`], { timeoutMs: 10_000 }),
      ),
    );
    const diagnosis = await diagnose();
    const found = named(diagnosis, "xinetd-cps-deactivated");
    assert.equal(found.severity, "error");
    assert.match(found.evidence[0]!, /Deactivating service rsync due to excessive incoming connections/);
  });

  test("a standalone rsync --daemon on the port: standalone-daemon, and xinetd's bind failure", async () => {
    await breakHost(
      host,
      `service xinetd stop && rsync --daemon --config=${RSYNC_CONF} </dev/null && ` +
        "for i in $(seq 100); do ss -Hltnp 'sport = :873' | grep -q rsync && break; sleep 0.05; done && service xinetd start",
    );
    const diagnosis = await diagnose();
    assert.equal(diagnosis.server.launcher, "standalone");
    const found = named(diagnosis, "standalone-daemon");
    assert.equal(found.severity, "error");
    assert.match(found.evidence.join("\n"), /rsync --daemon --config=\/etc\/rsyncd\/rsyncd\.conf/);
  });

  test("rsyncd.conf removed: config-missing", async () => {
    await breakHost(host, `rm ${RSYNC_CONF}`);
    assert.equal(named(await diagnose(), "config-missing").severity, "error");
  });

  test("typos in rsyncd.conf: config-invalid, with line numbers and the nearest name", async () => {
    await breakHost(host, `sed -i 's/read only = no/read_only = no/' ${RSYNC_CONF}`);
    const found = named(await diagnose(), "config-invalid");
    assert.match(found.evidence.join("\n"), /rsyncd\.conf:13:\d+: .*read_only.*Did you mean `read only`\?/);
  });

  test("a module's directory gone: module-path-missing and module-connect-failed with rsync's @ERROR", async () => {
    await breakHost(host, "mv /srv/pub /srv/pub.gone");
    const diagnosis = await diagnose();
    assert.equal(named(diagnosis, "module-path-missing").severity, "error");
    assert.match(named(diagnosis, "module-connect-failed").evidence.join("\n"), /@ERROR: chroot failed/);
  });

  test("a module's directory chmod 700: module-path-unreadable by nobody", async () => {
    await breakHost(host, "chmod 700 /srv/pub");
    const found = named(await diagnose(), "module-path-unreadable");
    assert.match(found.message, /`nobody`/);
  });

  test("the secrets file removed: secrets-file-missing", async () => {
    await breakHost(host, `rm ${SECRETS}`);
    assert.equal(named(await diagnose(), "secrets-file-missing").severity, "error");
  });

  test("the secrets file chmod 644: secrets-file-mode, and the failed login", async () => {
    await breakHost(host, `chmod 644 ${SECRETS}`);
    const diagnosis = await diagnose();
    assert.match(named(diagnosis, "secrets-file-mode").message, /mode 644/);
    assert.match(named(diagnosis, "module-connect-failed").evidence.join("\n"), /@ERROR: auth failed on module backup/);
  });

  test("an auth user without a line: secrets-user-missing", async () => {
    await breakHost(host, `sed -i 's/auth users = backup/auth users = backup, alice/' ${RSYNC_CONF}`);
    assert.match(named(await diagnose(), "secrets-user-missing").message, /`alice`/);
  });

  test("a secrets file with CRLF line ends: secrets-file-crlf", async () => {
    await breakHost(host, `printf 'backup:s3cret\\r\\n' > ${SECRETS}`);
    assert.equal(named(await diagnose(), "secrets-file-crlf").severity, "error");
  });

  test("`use chroot = yes` with xinetd `user = nobody`: chroot-unavailable", async () => {
    await breakHost(
      host,
      `sed -i 's/user = root/user = nobody/' ${SERVICE_FILE} && sed -i 's/^port = 873/port = 873\\nuse chroot = yes/' ` +
        `${RSYNC_CONF} && chown nobody /var/log/rsync.log && service xinetd reload`,
    );
    const diagnosis = await diagnose();
    assert.match(named(diagnosis, "chroot-unavailable").message, /runs as `nobody`/);
    assert.match(JSON.stringify(diagnosis.findings), /@ERROR: chroot failed/);
  });

  test("`log file` in a directory that does not exist: log-file-unwritable", async () => {
    await breakHost(host, `sed -i 's#^log file = .*#log file = /var/log/gone/rsync.log#' ${RSYNC_CONF}`);
    assert.match(named(await diagnose(), "log-file-unwritable").message, /does not exist/);
  });

  test("`flags = IPv6` with IPv6 disabled on every interface: ipv6-unavailable", async () => {
    await breakHost(host, "sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1");
    assert.equal(named(await diagnose(), "ipv6-unavailable").severity, "warning");
  });

  test("a module whose pre-xfer exec fails: module-connect-failed with the daemon's log line", async () => {
    await breakHost(
      host,
      `sed -i 's#^\\tcomment = public files#\\tcomment = public files\\n\\tpre-xfer exec = /bin/false#' ${RSYNC_CONF}`,
    );
    const found = named(await diagnose(), "module-connect-failed");
    assert.match(found.message, /module `pub`/);
    assert.equal(found.severity, "error");
    // The daemon hangs up on the client; its own log says why.
    assert.match(found.evidence.join("\n"), /requested action not supported \(code 4\)/);
  });

  test("`only_from = 127.0.0.1`: refused-here-answers-on-host, told apart from a dead server", async () => {
    await breakHost(host, `sed -i 's/^}/\\tonly_from = 127.0.0.1\\n}/' ${SERVICE_FILE} && service xinetd reload`);
    const diagnosis = await diagnose({ probeFromHere: true });
    const found = named(diagnosis, "refused-here-answers-on-host");
    assert.equal(found.severity, "error");
    assert.notEqual(diagnosis.client?.outcome, "listed");
    assert.ok(!diagnosis.findings.some((f) => f.code === "nothing-listening"));
  });

  test("read-only: a diagnosis leaves every file and xinetd as they were", async () => {
    const snapshot = () =>
      host.exec(
        // Directories' times aside: the doctor's scratch directory in /tmp comes and goes.
        "find /etc/xinetd.d /etc/rsyncd /srv /var/log /tmp -xdev \\( -type d -printf '%p %m\\n' \\) -o " +
          "-printf '%p %m %s %T@\\n' | grep -v -e rsync.log -e xinetd.log | sort; cat /run/xinetd.pid",
      );
    const before = await snapshot();
    await diagnose();
    assert.equal((await snapshot()).stdout, before.stdout);
  });
});
