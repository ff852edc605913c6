// RsyncServer's launchers through the real dynamic-provider host, on real Debian 12 and 13 hosts:
// the launcher children registered as RsyncServer registers them (XinetdService `<name>-xinetd`,
// SystemdSocketService `<name>-systemd`, each with the `handover` input) and driven in the order
// the engine drives a launcher change (the new child's create, then the old child's delete). A
// real rsync client lists the modules through socket activation; a client asking for rsync's
// greeting every 5 ms measures the gap of each switch; a launcher that does not answer is rolled
// back with the old one answering; drift by hand edit and drop-in; destroy leaves nothing.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, describe, test } from "node:test";

import { startLab, type AnyLabHost, type Lab } from "../lab/lab";
import { labSkipReason } from "../lab/requirements";
import { greets, startProber } from "../support/answer-prober";
import { fieldDrift, ProgramResource, providerTexts, type ProviderTexts } from "../support/program-resources";
import { ProviderHostError, startProviderHost, type PropertyBag, type ProviderHost } from "../support/provider-host";

const KINDS = ["debian12", "debian13"] as const;
const skip = labSkipReason([...KINDS]);

const PORT = 873;
const CONF = "/etc/rsyncd/launcher.conf";
const UNIT_DIR = "/etc/systemd/system";
const XINETD_FILE = "/etc/xinetd.d/rsync";
/** Under one second is the target; the assertion leaves room for a loaded machine. */
const GAP_LIMIT_MS = 3000;

describe("RsyncServer's launcher switch on real systemd hosts", { skip }, () => {
  let lab: Lab<AnyLabHost>;
  let host: ProviderHost;
  let texts: ProviderTexts;

  before(async () => {
    texts = await providerTexts();
    lab = await startLab({ hosts: KINDS.map((kind) => ({ kind })) });
    host = await startProviderHost();
  });

  after(async () => {
    await host?.stop();
    await lab?.stop();
  });

  for (const [index, kind] of KINDS.entries()) {
    test(`${kind}: socket activation, both switches with their gap, rollbacks, drift, destroy`, async (t) => {
      const target = lab.hosts[index]!;
      const sh = async (script: string): Promise<string> => {
        const result = await target.exec(["sh", "-c", script]);
        assert.equal(result.code, 0, result.stderr);
        return result.stdout;
      };
      const exists = async (path: string) => (await sh(`test -e ${path} && echo yes || echo no`)).trim() === "yes";
      const listModules = () =>
        spawnSync("rsync", ["--contimeout=5", `rsync://${target.address}:${PORT}/`], {
          encoding: "utf8",
          timeout: 15_000,
        });
      const assertListed = (why: string) => {
        const listing = listModules();
        assert.equal(listing.status, 0, `${why}: ${listing.stderr}`);
        assert.match(listing.stdout, /^pub\s+launched$/m, why);
      };
      await sh(
        `mkdir -p /etc/rsyncd /srv/pub && printf '[pub]\\n  path = /srv/pub\\n  comment = launched\\n' > ${CONF}`,
      );
      assert.equal(await sh(`ss -Hltn "sport = :${PORT}"`), "", "the port is free before the test");

      const connection = { host: target.address, privateKey: lab.rootPrivateKey, hostKey: target.hostKeyLine };
      const serverArgs = ["--daemon", `--config=${CONF}`];
      // As RsyncServer registers its launcher children (test/resources/registration.test.ts holds that).
      const xinetdInputs: PropertyBag = {
        connection,
        serviceName: "rsync",
        disable: false,
        socketType: "stream",
        wait: false,
        user: "root",
        server: "/usr/bin/rsync",
        serverArgs,
        logOnFailure: { add: ["USERID"] },
        handover: { port: PORT, systemd: { unitDir: UNIT_DIR, serviceName: "rsync", wait: false } },
      };
      const socketInputs: PropertyBag = {
        connection,
        serviceName: "rsync",
        port: PORT,
        socketType: "stream",
        wait: false,
        user: "root",
        server: "/usr/bin/rsync",
        serverArgs,
        handover: { port: PORT, xinetd: { path: XINETD_FILE } },
      };
      let generation = 0;
      const xinetdChild = () => new ProgramResource(host, "xinetdService", `srv${generation++}-${kind}-xinetd`, texts);
      const socketChild = () =>
        new ProgramResource(host, "systemdSocketService", `srv${generation++}-${kind}-systemd`, texts);
      /** A launcher change as the engine runs it: the new child's create while probing, then the old child's delete. */
      const switchTo = async (next: ProgramResource, inputs: PropertyBag, previous: ProgramResource, label: string) => {
        const prober = startProber(target.address, PORT);
        await new Promise((resolve) => setTimeout(resolve, 200));
        assert.equal(await next.up(inputs), "create");
        await new Promise((resolve) => setTimeout(resolve, 200));
        const gap = await prober.stop();
        await previous.destroy();
        t.diagnostic(
          `${kind} ${label}: longest gap ${gap.longestMs} ms (${gap.unanswered} of ${gap.attempts} attempts unanswered)`,
        );
        assert.ok(gap.attempts > 20, `the prober ran (${gap.attempts} attempts)`);
        assert.ok(gap.longestMs < GAP_LIMIT_MS, `${label}: gap ${gap.longestMs} ms`);
        return gap;
      };

      // launcher "xinetd" first (no socket on the host: the ordinary create).
      let xinetd = xinetdChild();
      assert.equal(await xinetd.up(xinetdInputs), "create");
      assertListed("under xinetd");

      // xinetd -> systemd: the socket's create takes the port over; xinetd's file is gone, then the
      // old child's delete finds nothing to do and removes the previous version the handover kept.
      let socket = socketChild();
      await switchTo(socket, socketInputs, xinetd, "xinetd -> systemd");
      assert.equal(await exists(XINETD_FILE), false);
      assert.equal(await exists("/etc/xinetd.d/.rsync.previous"), false);
      assert.equal((await sh("systemctl is-active rsync.socket")).trim(), "active");
      assertListed("through socket activation");
      assert.match(await sh("journalctl -q --no-pager -o cat -u 'rsync@*' | tail -n 20"), /rsync|Started/);

      // Drift: a hand edit of the socket unit, and a `systemctl edit` drop-in; the update restores both.
      const created = socket.outputs;
      await sh(`sed -i 's/^Accept=yes$/# by hand\\nAccept=yes\\nMaxConnections=9/' ${UNIT_DIR}/rsync.socket`);
      await sh(
        `mkdir -p ${UNIT_DIR}/rsync@.service.d && printf '[Service]\\nNice=7\\n' > ${UNIT_DIR}/rsync@.service.d/override.conf` +
          " && systemctl daemon-reload",
      );
      await socket.refresh();
      assert.deepEqual(
        fieldDrift(created, socket.outputs).map((drift) => [drift.property, drift.host]),
        [
          ["dropIns", [`${UNIT_DIR}/rsync@.service.d/override.conf`]],
          ["instances", 9],
          ["nice", 7],
        ],
      );
      assert.equal(await socket.up(socketInputs), "update");
      assert.doesNotMatch(await sh(`cat ${UNIT_DIR}/rsync.socket`), /MaxConnections/);
      assert.equal(await exists(`${UNIT_DIR}/rsync@.service.d/override.conf`), false);
      await socket.refresh();
      assert.equal((await socket.drift()).changes, "none");

      // A broken change is refused on the host; the socket keeps answering.
      const refused = await socket.up({ ...socketInputs, extra: { socket: { Backlog: "many" } } }).then(
        () => assert.fail("the broken change was accepted"),
        (failure: unknown) => failure,
      );
      assert.ok(refused instanceof ProviderHostError, String(refused));
      assert.match(refused.message, /nothing was changed/);
      assertListed("after the refused change");

      // systemd -> xinetd, the other way.
      xinetd = xinetdChild();
      await switchTo(xinetd, xinetdInputs, socket, "systemd -> xinetd");
      assert.equal(await sh(`ls -A ${UNIT_DIR} | grep -F rsync || true`), "", "the socket's units are gone");
      assert.equal((await sh("systemctl is-active rsync.socket || true")).trim(), "inactive");
      assertListed("under xinetd again");

      // A socket that does not answer (its server exits at once): the move is rolled back, xinetd
      // answers, the new units are gone; the xinetd child is untouched.
      const xinetdFile = await sh(`cat ${XINETD_FILE}`);
      const silent = socketChild();
      const toSilent = await silent.up({ ...socketInputs, server: "/bin/true" }).then(
        () => assert.fail("moved to a socket that does not answer"),
        (failure: unknown) => failure,
      );
      assert.ok(toSilent instanceof ProviderHostError, String(toSilent));
      assert.match(
        toSilent.message,
        /rsync\.socket did not answer on port 873[\s\S]*rolled back: xinetd answers again/,
      );
      assert.equal(await sh(`cat ${XINETD_FILE}`), xinetdFile);
      assert.equal(await sh(`ls -A ${UNIT_DIR} | grep -F rsync || true`), "");
      assert.ok(await greets(target.address, PORT));
      assertListed("xinetd after the rolled back move");

      // Over to systemd again, then a move back to an xinetd service that does not answer: rolled back,
      // the socket answers, the xinetd file is gone again.
      socket = socketChild();
      await switchTo(socket, socketInputs, xinetd, "xinetd -> systemd (again)");
      const silentXinetd = xinetdChild();
      const toSilentXinetd = await silentXinetd.up({ ...xinetdInputs, server: "/bin/true" }).then(
        () => assert.fail("moved to an xinetd service that does not answer"),
        (failure: unknown) => failure,
      );
      assert.ok(toSilentXinetd instanceof ProviderHostError, String(toSilentXinetd));
      assert.match(
        toSilentXinetd.message,
        /xinetd did not answer on port 873[\s\S]*rolled back: rsync\.socket answers again/,
      );
      assert.equal(await exists(XINETD_FILE), false);
      assert.equal((await sh("systemctl is-active rsync.socket")).trim(), "active");
      assertListed("the socket after the rolled back move");

      // Destroy leaves nothing: no units, no xinetd file, no companions, nothing listening.
      await socket.destroy();
      assert.equal(await sh(`ls -A ${UNIT_DIR} | grep -F rsync || true`), "");
      // Only the empty lock a deleted xinetd file leaves, as documented.
      assert.equal(await sh("ls -A /etc/xinetd.d | grep -F rsync || true"), ".rsync.lock\n");
      assert.equal(await sh(`ss -Hltn "sport = :${PORT}"`), "");
      assert.equal(
        await sh("ls -A /tmp | grep -E '^\\.(systemd|change|launcher)-' || true"),
        "",
        "no scratch file left",
      );
    });
  }
});
