// The doctor on one mixed lab: a namespace host, a Debian 12 and a Debian 13 systemd host, each made
// healthy (rsync under xinetd) before every test and broken by hand in a few key ways. On systemd
// hosts xinetd's evidence comes from the journal; there, rsync is also socket-activated by hand as an
// operator would (`rsyncd.socket` + `rsyncd@.service`), then broken.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";

import { diagnoseRsyncHost, type Diagnosis, type FindingCode } from "../../src/doctor";
import { ConnectionPool } from "../../src/remote/ssh";
import { run, startLab, type AnyLabHost, type HostKind, type Lab } from "../lab/lab";
import { labSkipReason } from "../lab/requirements";
import { prepareForRsync } from "../support/program-resources";
import {
  breakHost,
  makeHealthy,
  RSYNC_CONF,
  SERVICE_FILE,
  SERVICE_TEMPLATE,
  setIpv6Disabled,
  SOCKET_UNIT,
} from "./support";

const skip = labSkipReason();
const KINDS: readonly HostKind[] = ["namespace", "debian12", "debian13"];
const SQUATTER_PID = "/run/doctor-squatter.pid";

// A program that is neither rsync nor xinetd on port 873: perl (every kind has it) answering "hello".
const START_SQUATTER =
  "service xinetd stop && setsid perl -MIO::Socket::INET -e '" +
  "$s = IO::Socket::INET->new(LocalPort => 873, Listen => 5, ReuseAddr => 1) or die $!; " +
  `open(P, ">${SQUATTER_PID}"); print P "$$\\n"; close P; ` +
  'while ($c = $s->accept) { print $c "hello\\n"; close $c }\' </dev/null >/dev/null 2>&1 & ' +
  "for i in $(seq 100); do ss -Hltnp 'sport = :873' | grep -q perl && break; sleep 0.05; done && service xinetd start";

// What an operator writes to serve rsync by socket activation instead of xinetd.
const SOCKET_ACTIVATE = `set -e
sed -i 's/disable = no/disable = yes/' ${SERVICE_FILE} && systemctl reload xinetd
cat > /etc/systemd/system/${SOCKET_UNIT} <<'END'
[Unit]
Description=rsync daemon socket

[Socket]
ListenStream=873
Accept=yes

[Install]
WantedBy=sockets.target
END
cat > /etc/systemd/system/${SERVICE_TEMPLATE} <<'END'
[Unit]
Description=rsync daemon for one connection

[Service]
ExecStart=/usr/bin/rsync --daemon --config=${RSYNC_CONF}
StandardInput=socket
StandardError=journal
END
systemctl daemon-reload && systemctl enable --now ${SOCKET_UNIT}
`;

describe("the doctor on namespace, debian12 and debian13 hosts", { skip }, () => {
  let lab: Lab<AnyLabHost>;
  const pool = new ConnectionPool();

  before(async () => {
    lab = await startLab({ hosts: KINDS.map((kind) => ({ kind })) });
    for (const host of lab.hosts) await prepareForRsync(host);
  });
  after(async () => {
    await pool.closeAll();
    await lab?.stop();
  });

  const codes = (diagnosis: Diagnosis) => diagnosis.findings.map((f) => `${f.severity} ${f.code}`);
  const named = (diagnosis: Diagnosis, code: FindingCode) => {
    const found = diagnosis.findings.find((f) => f.code === code);
    assert.ok(found, `expected ${code}, got: ${JSON.stringify(codes(diagnosis))}`);
    return found;
  };
  const errors = (diagnosis: Diagnosis) => diagnosis.findings.filter((f) => f.severity === "error");
  const logOf = (diagnosis: Diagnosis, source: string) =>
    (diagnosis.logs.find((log) => log.source === source)?.lines ?? []).join("\n");

  for (const [index, kind] of KINDS.entries()) {
    describe(kind, () => {
      const host = () => lab.hosts[index]!;
      const systemd = kind !== "namespace";
      /** Where xinetd's lines come from: its `-filelog` file on a namespace host, the journal on systemd hosts. */
      const xinetdLog = systemd ? "xinetd:journal" : "xinetd:/var/log/xinetd.log";
      const diagnose = (probeFromHere = false) =>
        diagnoseRsyncHost(
          { host: host().address, privateKey: lab.rootPrivateKey, hostKey: host().hostKeyLine },
          { pool, probeFromHere },
        );
      beforeEach(async () => makeHealthy(host()));

      test("healthy (rsync under xinetd): no error, both modules connected, listed from here", async () => {
        const diagnosis = await diagnose(true);
        assert.deepEqual(errors(diagnosis), []);
        assert.equal(diagnosis.server.launcher, "xinetd");
        assert.equal(diagnosis.server.configPath, RSYNC_CONF);
        assert.deepEqual(
          diagnosis.modules.map((m) => [m.name, m.listed, m.connect]),
          [
            ["pub", true, "ok"],
            ["backup", true, "ok"],
          ],
        );
        assert.deepEqual(diagnosis.client?.modules, ["pub", "backup"]);
        assert.match(logOf(diagnosis, xinetdLog), /Started working: \d+ available service/);
        assert.deepEqual(
          diagnosis.logs.map((log) => log.source).filter((source) => source.startsWith("xinetd:")),
          [xinetdLog],
        );
      });

      test("xinetd stopped: xinetd-not-running, and on systemd hosts its unit's state", async () => {
        await breakHost(host(), "service xinetd stop");
        const diagnosis = await diagnose();
        assert.equal(named(diagnosis, "nothing-listening").severity, "error");
        const found = named(diagnosis, "xinetd-not-running");
        if (systemd) {
          assert.match(found.evidence.join("\n"), /xinetd\.service: ActiveState=inactive/);
          assert.match(found.fix, /systemctl enable --now xinetd/);
        } else {
          assert.match(found.fix, /service xinetd start/);
        }
      });

      test("a bad value in the service: xinetd-service-not-loaded with xinetd's own line", async () => {
        await breakHost(host(), `sed -i 's/wait = no/wait = maybe/' ${SERVICE_FILE} && service xinetd reload`);
        const diagnosis = await diagnose();
        const found = named(diagnosis, "xinetd-service-not-loaded");
        assert.equal(found.severity, "error");
        const line = /Bad value for wait: maybe \[file=\/etc\/xinetd\.d\/rsync\] \[line=6\]/;
        assert.match(found.evidence.join("\n"), line);
        assert.match(logOf(diagnosis, xinetdLog), line);
      });

      test("perl holds port 873: port-held-by-other, xinetd's bind failure, not-answering-here", async () => {
        await breakHost(host(), START_SQUATTER);
        const diagnosis = await diagnose(true);
        assert.equal(diagnosis.server.launcher, "other");
        const found = named(diagnosis, "port-held-by-other");
        assert.equal(found.severity, "error");
        assert.match(found.message, /held by `perl`/);
        assert.match(found.evidence.join("\n"), /bind failed/);
        // The greeting from here reaches perl, which is no rsync daemon; the host's own listing fails too.
        assert.equal(diagnosis.client?.outcome, "error");
        assert.match(diagnosis.client?.detail ?? "", /not an rsync daemon: it sent "hello"/);
        assert.equal(named(diagnosis, "not-answering-here").severity, "warning");
        assert.ok(!diagnosis.findings.some((f) => f.code === "refused-here-answers-on-host"));
      });

      test("nothing answers from here nor on the host: not-answering-here, not refused-here-answers-on-host", async () => {
        // `service xinetd stop` can return while the listener is still closing: wait until it is gone.
        await breakHost(
          host(),
          "service xinetd stop\n" +
            "for i in $(seq 100); do ss -Hltn 'sport = :873' | grep -q . || exit 0; sleep 0.05; done; exit 1",
        );
        const diagnosis = await diagnose(true);
        assert.equal(diagnosis.client?.outcome, "refused");
        const found = named(diagnosis, "not-answering-here");
        assert.equal(found.severity, "warning");
        assert.match(found.evidence.join("\n"), /from here: refused/);
        assert.ok(!diagnosis.findings.some((f) => f.code === "refused-here-answers-on-host"));
      });

      test("`flags = IPv6` with IPv6 disabled on every interface: ipv6-unavailable (warning)", async () => {
        await setIpv6Disabled(host(), true);
        assert.equal(named(await diagnose(), "ipv6-unavailable").severity, "warning");
      });

      if (!systemd) return;

      test("socket-activated by hand: launcher systemd-socket, its service's --config, no error", async () => {
        await breakHost(host(), SOCKET_ACTIVATE);
        const diagnosis = await diagnose(true);
        assert.deepEqual(errors(diagnosis), []);
        assert.equal(diagnosis.server.launcher, "systemd-socket");
        assert.deepEqual(diagnosis.server.unit, { name: SOCKET_UNIT, active: "active", service: SERVICE_TEMPLATE });
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
      });

      test("the socket stopped: socket-unit-inactive, and no xinetd finding for the disabled entry", async () => {
        await breakHost(host(), `${SOCKET_ACTIVATE}systemctl stop ${SOCKET_UNIT}\n`);
        const diagnosis = await diagnose();
        const found = named(diagnosis, "socket-unit-inactive");
        assert.equal(found.severity, "error");
        assert.match(found.evidence.join("\n"), /rsyncd\.socket: ActiveState=inactive .*UnitFileState=enabled/);
        assert.match(found.fix, /systemctl enable --now rsyncd\.socket/);
        assert.ok(
          !diagnosis.findings.some((f) => f.code === "xinetd-service-disabled"),
          JSON.stringify(codes(diagnosis)),
        );
        assert.equal(diagnosis.server.configPath, RSYNC_CONF);
      });

      test("the socket on an address the host lacks: socket-unit-inactive (failed) with the journal's line", async () => {
        await breakHost(
          host(),
          `${SOCKET_ACTIVATE}sed -i 's/^ListenStream=873/ListenStream=10.9.9.9:873/' /etc/systemd/system/${SOCKET_UNIT}\n` +
            `systemctl daemon-reload && ! systemctl restart ${SOCKET_UNIT} 2>/dev/null\n`,
        );
        const diagnosis = await diagnose();
        const found = named(diagnosis, "socket-unit-inactive");
        assert.match(found.message, /failed to/);
        assert.match(
          found.evidence.join("\n"),
          /rsyncd\.socket: Failed to create listening socket \(10\.9\.9\.9:873\): Cannot assign requested address/,
        );
        assert.match(found.fix, /systemctl reset-failed rsyncd\.socket/);
      });

      test("the socket's service names a missing rsyncd.conf: config-missing, the instances' journal lines", async () => {
        await breakHost(
          host(),
          `${SOCKET_ACTIVATE}sed -i 's#--config=.*#--config=/etc/rsyncd/gone.conf#' /etc/systemd/system/${SERVICE_TEMPLATE}\n` +
            "systemctl daemon-reload\n",
        );
        // A user's attempt, as before anyone calls the operator: it starts an instance, which fails.
        // journald stores the instance's own message a moment after systemd's: wait until it has it.
        // One attempt in about five left no instance line within 5 s (a socket just restarted by the
        // previous test may refuse a trigger), so the user tries again, at most three times.
        let stored = false;
        for (let attempt = 0; attempt < 3 && !stored; attempt++) {
          const tried = await run(["rsync", "--contimeout=5", `rsync://${host().address}/`], { timeoutMs: 15_000 });
          assert.notEqual(tried.code, 0);
          const wait = await host().exec(
            "for i in $(seq 100); do journalctl -q -u 'rsyncd@*' | grep -q gone.conf && exit 0; sleep 0.05; done; exit 1",
          );
          stored = wait.code === 0;
        }
        if (!stored) {
          const journal = await host().exec("journalctl -q --no-pager -n 40");
          assert.fail(`no rsyncd@ instance line naming gone.conf after 3 attempts; the journal:\n${journal.stdout}`);
        }
        const diagnosis = await diagnose();
        assert.equal(diagnosis.server.launcher, "systemd-socket");
        assert.equal(diagnosis.server.configPath, "/etc/rsyncd/gone.conf");
        assert.equal(named(diagnosis, "config-missing").severity, "error");
        assert.match(logOf(diagnosis, "rsync:journal"), /gone\.conf/);
      });
    });
  }
});
