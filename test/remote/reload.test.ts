import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { changeXinetdService, readRemoteFile, RemoteError, XinetdReloader } from "../../src/remote";
import { ConnectionPool } from "../../src/remote/ssh";
import { HOST_KINDS, run, startLab, type AnyLabHost, type HostKind, type Lab } from "../lab/lab";
import { labSkipReason } from "../lab/requirements";
import { prepareForRsync, xinetdReloads } from "../support/program-resources";
import { countingRunner, sshRunner } from "./support";

const RSYNC_SERVICE = "/etc/xinetd.d/rsync";
const RSYNC_CONF = "/etc/rsyncd/rsyncd.conf";
const STANDALONE_PID_FILE = "/run/rsyncd-standalone.pid";
const RSYNCD_CONF_TEXT = "[pub]\n\tpath = /srv\n\tcomment = public files\n";

/** What `reload: "auto"` picks on each kind of host. */
const DETECTED_STRATEGY: Record<HostKind, string> = {
  namespace: "service",
  debian12: "systemctl",
  debian13: "systemctl",
};

for (const kind of HOST_KINDS) {
  const title = "reloading xinetd on a lab host";
  describe(kind === "namespace" ? title : `${title} (${kind})`, { skip: labSkipReason([kind]) }, () => {
    reloadSuite(kind);
  });
}

function reloadSuite(kind: HostKind): void {
  let lab: Lab<AnyLabHost>;
  let host: AnyLabHost;
  const pool = new ConnectionPool();

  before(async () => {
    lab = await startLab({ hosts: 1, kind });
    host = lab.hosts[0]!;
    await prepareForRsync(host);
    await host.exec(["sh", "-c", `cat > ${RSYNC_CONF}`], { input: RSYNCD_CONF_TEXT });
  });

  after(async () => {
    await pool.closeAll();
    await lab?.stop();
  });

  const reconfigurations = () => xinetdReloads(host);
  const listModules = () => run(["rsync", "--contimeout=5", `rsync://${host.address}/`]);

  test("an rsync service under xinetd: changed, reloaded, verified listening, and it answers", async () => {
    const runner = sshRunner(lab, host, pool);
    const result = await changeXinetdService(runner, RSYNC_SERVICE, () => rsyncService("/usr/bin/rsync"));
    assert.equal(result.change.validation.method, "host");
    assert.equal(result.reload?.strategy, DETECTED_STRATEGY[kind]);
    assert.deepEqual(
      result.reload?.services.map((s) => [s.name, s.port, s.state]),
      [["rsync", 873, "listening"]],
    );
    const listed = await listModules();
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^pub\s+public files$/m);
  });

  test("a broken candidate (server not executable) leaves the host unchanged and rsync answering", async () => {
    const runner = sshRunner(lab, host, pool);
    const before = await readRemoteFile(runner, RSYNC_SERVICE);
    const reloads = await reconfigurations();
    await assert.rejects(
      changeXinetdService(runner, RSYNC_SERVICE, () => rsyncService("/etc/passwd")),
      (error: unknown) =>
        error instanceof RemoteError &&
        /Server \/etc\/passwd is not executable \[file=\/etc\/xinetd\.d\/rsync\]/.test(error.message),
    );
    await assert.rejects(
      changeXinetdService(runner, RSYNC_SERVICE, () =>
        rsyncService("/usr/bin/rsync").replace("wait = no", "wait = maybe"),
      ),
      (error: Error) => error.name === "FormatError" && /wait/.test(error.message),
    );
    assert.deepEqual(await readRemoteFile(runner, RSYNC_SERVICE), before);
    assert.equal(await reconfigurations(), reloads, "no reload happened");
    const listed = await listModules();
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^pub\s/m);
  });

  test("many services changed in parallel: exactly one reload, every operation gets the outcome", async () => {
    const runner = countingRunner(sshRunner(lab, host, pool));
    const reloader = new XinetdReloader(runner);
    const ports = Array.from({ length: 12 }, (_, i) => 17400 + i);
    const reloads = await reconfigurations();
    const results = await Promise.all(
      ports.map((port) => reloader.changeService(`/etc/xinetd.d/echo${port}`, () => echoService(`echo-${port}`, port))),
    );
    assert.equal(await reconfigurations(), reloads + 1);
    for (const [i, result] of results.entries()) {
      assert.equal(result.reload?.batchSize, ports.length);
      assert.deepEqual(
        result.reload?.services.map((s) => [s.port, s.state]),
        [[ports[i], "listening"]],
      );
    }
    // 12 changes, one host detection, one reload-and-verify.
    assert.equal(runner.calls, ports.length + 2);
  });

  test("a reload that fails verification rolls back and carries xinetd's own log line", async () => {
    const runner = sshRunner(lab, host, pool);
    // A standalone rsync daemon on 17500 makes the xinetd service that wants that port fail to bind.
    // Node's pipes are sockets, which rsync --daemon takes for an inetd connection: give it /dev/null.
    const standalone = await host.exec(
      `rsync --daemon --port=17500 --config=${RSYNC_CONF} --dparam=pidfile=${STANDALONE_PID_FILE} </dev/null >/dev/null 2>&1`,
    );
    assert.equal(standalone.code, 0, standalone.stderr);
    try {
      const reloads = await reconfigurations();
      await assert.rejects(
        changeXinetdService(runner, "/etc/xinetd.d/rsync-alt", () => rsyncService("/usr/bin/rsync", 17500)),
        (error: unknown) => {
          assert.ok(error instanceof RemoteError);
          assert.match(error.message, /bind failed \(Address already in use \(errno = 98\)\)\. service = rsync-alt/);
          assert.match(
            error.message,
            /held by a standalone rsync daemon \(pid \d+\), but rsync is meant to run under xinetd/,
          );
          assert.match(error.message, /rolled back \(\/etc\/xinetd\.d\/rsync-alt restored; xinetd reloaded/);
          return true;
        },
      );
      assert.deepEqual(await readRemoteFile(runner, "/etc/xinetd.d/rsync-alt"), { exists: false });
      assert.equal(await reconfigurations(), reloads + 2, "the reload, then the one after the rollback");
      const listed = await listModules();
      assert.equal(listed.code, 0, "the standalone daemon was not sent a HUP, and xinetd still serves 873");
    } finally {
      await host.exec(`kill "$(cat ${STANDALONE_PID_FILE})"`);
    }
  });
}

function rsyncService(server: string, port?: number): string {
  const name = port === undefined ? "rsync" : "rsync-alt";
  const unlisted = port === undefined ? "" : `\ttype = UNLISTED\n\tport = ${port}\n`;
  return (
    `service ${name}\n{\n${unlisted}\tsocket_type = stream\n\twait = no\n\tuser = root\n\tserver = ${server}\n` +
    `\tserver_args = --daemon --config=${RSYNC_CONF}\n\tdisable = no\n}\n`
  );
}

function echoService(id: string, port: number): string {
  return `service echo\n{\n\ttype = INTERNAL UNLISTED\n\tid = ${id}\n\tsocket_type = stream\n\tprotocol = tcp\n\tport = ${port}\n\twait = no\n}\n`;
}
