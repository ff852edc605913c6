// SystemdSocketService through the real dynamic-provider host, driven over gRPC as the engine
// drives it, on real Debian 12 (systemd 252) and Debian 13 (systemd 257) hosts: an rsync daemon
// socket-activated per connection and listed by a real `rsync rsync://HOST:PORT/` from this
// machine; refresh without drift; a `systemctl edit`-style drop-in seen as that field's drift and
// cleared by the update; candidates systemd-analyze or the host refuses, and a socket that cannot
// come up (its port is taken), each leaving the old socket answering; delete leaves nothing.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, describe, test } from "node:test";

import { startLab, type AnyLabHost, type Lab } from "../lab/lab";
import { labSkipReason } from "../lab/requirements";
import { fieldDrift, ProgramResource, providerTexts, type ProviderTexts } from "../support/program-resources";
import { ProviderHostError, startProviderHost, type PropertyBag, type ProviderHost } from "../support/provider-host";

const KINDS = ["debian12", "debian13"] as const;
const skip = labSkipReason([...KINDS, "namespace"]);

const NAME = "pxrsync";
const PORT = 8873;
const UNIT_DIR = "/etc/systemd/system";
const RSYNCD_CONF = "/etc/pxrsyncd.conf";

describe("SystemdSocketService on real systemd hosts", { skip }, () => {
  let lab: Lab<AnyLabHost>;
  let host: ProviderHost;
  let texts: ProviderTexts;

  before(async () => {
    texts = await providerTexts();
    lab = await startLab({ hosts: [...KINDS, "namespace" as const].map((kind) => ({ kind })) });
    host = await startProviderHost();
  });

  after(async () => {
    await host?.stop();
    await lab?.stop();
  });

  test("a host without systemd (a namespace host) is refused before anything is written", async () => {
    const target = lab.hosts[KINDS.length]!;
    const service = new ProgramResource(host, "systemdSocketService", "pxnone", texts);
    const before = await target.exec(["ls", "-A", UNIT_DIR]);
    const error = await service
      .up({
        connection: { host: target.address, privateKey: lab.rootPrivateKey, hostKey: target.hostKeyLine },
        serviceName: "pxnone",
        port: 7105,
        server: "/bin/cat",
      })
      .then(
        () => assert.fail("created on a host without systemd"),
        (failure: unknown) => failure,
      );
    assert.ok(error instanceof ProviderHostError, String(error));
    assert.match(error.message, /does not run systemd \(no \/run\/systemd\/system\); nothing was changed/);
    const afterwards = await target.exec(["ls", "-A", UNIT_DIR]);
    assert.equal(afterwards.stdout, before.stdout);
  });

  for (const [index, kind] of KINDS.entries()) {
    test(`${kind}: create, a real rsync client, no drift, drop-in drift, update, refused and failed changes keep the service, delete leaves nothing`, async () => {
      const target = lab.hosts[index]!;
      const sh = async (script: string): Promise<string> => {
        const result = await target.exec(["sh", "-c", script]);
        assert.equal(result.code, 0, result.stderr);
        return result.stdout;
      };
      /** What a real rsync client on this machine lists at the service's port (modules, one a line). */
      const listModules = (port = PORT) => {
        const result = spawnSync("rsync", ["--contimeout=5", `rsync://${target.address}:${port}/`], {
          encoding: "utf8",
          timeout: 15_000,
        });
        return { status: result.status, stdout: result.stdout, stderr: result.stderr };
      };
      const unitFiles = () => sh(`ls -A ${UNIT_DIR} | grep -F ${NAME} || true`);
      const connection = { host: target.address, privateKey: lab.rootPrivateKey, hostKey: target.hostKeyLine };
      await sh(`printf '[pxdata]\\n  path = /srv\\n  comment = socket activated\\n' > ${RSYNCD_CONF}`);

      const service = new ProgramResource(host, "systemdSocketService", `${NAME}-${kind}`, texts);
      const inputs: PropertyBag = {
        connection,
        serviceName: NAME,
        description: "rsync daemon, one per connection",
        port: PORT,
        user: "root",
        server: "/usr/bin/rsync",
        serverArgs: `--daemon --config=${RSYNCD_CONF}`,
        instances: 20,
        umask: "022",
        extra: { service: { ProtectSystem: "full" } },
      };

      // Create: the units, enabled, listening, and a real client served through socket activation.
      assert.equal(await service.up(inputs), "create");
      assert.equal(service.outputs.socketPath, `${UNIT_DIR}/${NAME}.socket`);
      assert.equal(service.outputs.servicePath, `${UNIT_DIR}/${NAME}@.service`);
      assert.deepEqual(service.outputs.serverArgs, ["--daemon", `--config=${RSYNCD_CONF}`]);
      const socketUnit = await sh(`cat ${UNIT_DIR}/${NAME}.socket`);
      const serviceUnit = await sh(`cat ${UNIT_DIR}/${NAME}@.service`);
      assert.match(socketUnit, /^ListenStream=0\.0\.0\.0:8873$/m);
      assert.match(socketUnit, /^Accept=yes$/m);
      assert.match(serviceUnit, /^ExecStart=-\/usr\/bin\/rsync --daemon --config=\/etc\/pxrsyncd\.conf$/m);
      assert.equal((await sh(`systemctl is-active ${NAME}.socket`)).trim(), "active");
      assert.equal((await sh(`systemctl is-enabled ${NAME}.socket`)).trim(), "enabled");
      let listing = listModules();
      assert.equal(listing.status, 0, listing.stderr);
      assert.match(listing.stdout, /^pxdata\s+socket activated$/m);

      // Refresh: nothing drifted.
      const created = service.outputs;
      assert.equal(await service.refresh(), "refreshed");
      assert.deepEqual(fieldDrift(created, service.outputs), []);
      assert.equal((await service.drift()).changes, "none");

      // Drop-ins as `systemctl edit` writes them, for the socket and for the template service: the
      // fields they change drift, and the drop-ins are listed.
      const socketDropIn = `${UNIT_DIR}/${NAME}.socket.d/override.conf`;
      const serviceDropIn = `${UNIT_DIR}/${NAME}@.service.d/override.conf`;
      await sh(
        `mkdir -p ${UNIT_DIR}/${NAME}.socket.d ${UNIT_DIR}/${NAME}@.service.d && ` +
          `printf '### Editing by hand\\n[Socket]\\nMaxConnections=7\\n' > ${socketDropIn} && ` +
          `printf '[Unit]\\nAfter=network.target\\n[Service]\\nNice=5\\n' > ${serviceDropIn} && ` +
          "systemctl daemon-reload",
      );
      await service.refresh();
      assert.deepEqual(fieldDrift(created, service.outputs), [
        { property: "dropIns", stored: [], host: [socketDropIn, serviceDropIn] },
        { property: "instances", stored: 20, host: 7 },
        { property: "nice", stored: undefined, host: 5 },
      ]);
      assert.deepEqual(await service.drift(), { changes: "some", replaces: [], deleteBeforeReplace: false });

      // Update: the drop-ins lose the model's settings; one left with nothing goes, the other keeps
      // its `[Unit]` line byte for byte; the units are as created.
      assert.equal(await service.up(inputs), "update");
      assert.equal(await sh(`test -e ${socketDropIn} && echo present || echo absent`), "absent\n");
      assert.equal(await sh(`cat ${serviceDropIn}`), "[Unit]\nAfter=network.target\n[Service]\n");
      assert.equal(await sh(`cat ${UNIT_DIR}/${NAME}.socket`), socketUnit);
      assert.equal((await sh(`systemctl show -p MaxConnections ${NAME}.socket`)).trim(), "MaxConnections=20");
      await service.refresh();
      assert.deepEqual(fieldDrift(created, service.outputs), [
        { property: "dropIns", stored: [], host: [serviceDropIn] },
      ]);
      assert.equal((await service.drift()).changes, "none", "a drop-in's other settings are not drift");
      assert.equal(listModules().status, 0);
      await sh(`rm -r ${UNIT_DIR}/${NAME}@.service.d && systemctl daemon-reload`);
      await service.refresh();

      // A hand edit of the unit itself, with a comment: the update changes only that line back.
      await sh(`sed -i 's/^MaxConnections=20$/# tuned by hand\\nMaxConnections=30/' ${UNIT_DIR}/${NAME}.socket`);
      await service.refresh();
      assert.deepEqual(fieldDrift(created, service.outputs), [{ property: "instances", stored: 20, host: 30 }]);
      assert.equal(await service.up(inputs), "update");
      assert.equal(
        await sh(`cat ${UNIT_DIR}/${NAME}.socket`),
        socketUnit.replace("MaxConnections=20\n", "# tuned by hand\nMaxConnections=20\n"),
        "the comment stays, the value is restored",
      );
      const goodSocket = await sh(`cat ${UNIT_DIR}/${NAME}.socket`);

      // Candidates the host refuses before any swap: systemd-analyze's complaint, or a missing
      // server. Nothing changes and the old socket keeps answering.
      const refused = async (changed: PropertyBag, expected: RegExp) => {
        const error = await service.up({ ...inputs, ...changed }).then(
          () => assert.fail("the change was accepted"),
          (failure: unknown) => failure,
        );
        assert.ok(error instanceof ProviderHostError, String(error));
        assert.match(error.message, expected);
        assert.equal(await sh(`cat ${UNIT_DIR}/${NAME}.socket`), goodSocket);
        assert.equal(await sh(`cat ${UNIT_DIR}/${NAME}@.service`), serviceUnit);
        const answer = listModules();
        assert.equal(answer.status, 0, answer.stderr);
        assert.match(answer.stdout, /^pxdata/m);
      };
      await refused(
        { extra: { socket: { Backlog: "notanumber" } } },
        /nothing was changed[\s\S]*pxrsync\.socket:\d+: Failed to parse/,
      );
      await refused({ server: "/usr/bin/no-such-rsync" }, /\/usr\/bin\/no-such-rsync is not an executable file/);

      // A socket that cannot come up (sshd holds port 22): rolled back, restarted on its old port,
      // and the error carries the journal's lines.
      const moved = await service.up({ ...inputs, port: 22 }).then(
        () => assert.fail("the move to a taken port succeeded"),
        (failure: unknown) => failure,
      );
      assert.ok(moved instanceof ProviderHostError, String(moved));
      assert.match(
        moved.message,
        /did not come up[\s\S]*rolled back \(previous units restored; the socket is answering again\)/,
      );
      assert.match(moved.message, /the journal[\s\S]*(Address already in use|Failed to listen)/);
      assert.equal(await sh(`cat ${UNIT_DIR}/${NAME}.socket`), goodSocket);
      listing = listModules();
      assert.equal(listing.status, 0, listing.stderr);

      // `wait: true` swaps the template for `NAME.service` (Accept=no) and back.
      const { instances: _perConnection, ...single } = inputs;
      assert.equal(await service.up({ ...single, wait: true }), "update");
      assert.equal(service.outputs.servicePath, `${UNIT_DIR}/${NAME}.service`);
      assert.equal(await sh(`test -e ${UNIT_DIR}/${NAME}@.service && echo present || echo absent`), "absent\n");
      assert.match(await sh(`cat ${UNIT_DIR}/${NAME}.socket`), /^Accept=no$/m);
      assert.match(await sh(`ss -Hltn "sport = :${PORT}"`), /8873/);
      assert.equal(await service.up(inputs), "update");
      assert.equal(await sh(`test -e ${UNIT_DIR}/${NAME}.service && echo present || echo absent`), "absent\n");
      assert.equal(await sh(`cat ${UNIT_DIR}/${NAME}@.service`), serviceUnit);
      assert.equal(listModules().status, 0);

      // Delete: socket stopped and disabled, units, drop-ins, previous versions and lock gone.
      await sh(`mkdir -p ${UNIT_DIR}/${NAME}.socket.d && printf '[Unit]\\nAfter=network.target\\n' > ${socketDropIn}`);
      await service.refresh();
      await service.destroy();
      assert.equal(await unitFiles(), "");
      assert.equal(await sh(`ls -A ${UNIT_DIR}/sockets.target.wants | grep -F ${NAME} || true`), "");
      assert.equal(await sh(`systemctl list-unit-files --no-legend '${NAME}*' || true`), "");
      assert.equal(await sh(`systemctl list-units --all --no-legend '${NAME}*' || true`), "");
      assert.equal(await sh(`ss -Hltn "sport = :${PORT}"`), "");
      assert.notEqual(listModules().status, 0);
      assert.equal(await sh("ls -A /tmp | grep -E '^\\.(systemd|change)-' || true"), "", "no scratch file left");
    });

    test(`${kind}: two services changed in one burst share one daemon-reload; existing units are adopted only when asked; sudo`, async () => {
      const target = lab.hosts[index]!;
      const sh = async (script: string): Promise<string> => {
        const result = await target.exec(["sh", "-c", script]);
        assert.equal(result.code, 0, result.stderr);
        return result.stdout;
      };
      // systemd 252 logs `Reloading.`, 257 `Reloading...` then `Reloading finished in N ms.`
      const reloads = async () =>
        Number(await sh("journalctl _PID=1 -o cat --no-pager | grep -cE '^Reloading\\.' || true"));
      const connection = { host: target.address, privateKey: lab.rootPrivateKey, hostKey: target.hostKeyLine };
      const service = (name: string, port: number): [ProgramResource, PropertyBag] => [
        new ProgramResource(host, "systemdSocketService", `${name}-${kind}`, texts),
        { connection, serviceName: name, port, server: "/bin/cat", user: "nobody" },
      ];
      const [a, aInputs] = service("pxcat1", 7101);
      const [b, bInputs] = service("pxcat2", 7102);
      const before = await reloads();
      assert.deepEqual(await Promise.all([a.up(aInputs), b.up(bInputs)]), ["create", "create"]);
      assert.equal(await reloads(), before + 1, "one daemon-reload for both creates");
      assert.match(await sh('ss -Hltn "( sport = :7101 or sport = :7102 )"'), /7101[\s\S]*7102|7102[\s\S]*7101/);
      await Promise.all([a.destroy(), b.destroy()]);
      assert.equal(await reloads(), before + 2, "one daemon-reload for both deletes");
      assert.equal(await sh(`ls -A ${UNIT_DIR} | grep -F pxcat || true`), "");

      // Units written by hand: refused without `adopt`, nothing touched; taken over losslessly with it.
      const handSocket = "# written by hand\n[Socket]\nListenStream=0.0.0.0:7103\nAccept=yes\n";
      const handService = "[Service]\nExecStart=-/bin/cat\nStandardInput=socket\n";
      await sh(
        `printf '${handSocket}' > ${UNIT_DIR}/pxhand.socket && printf '${handService}' > ${UNIT_DIR}/pxhand@.service`,
      );
      const [hand, handInputs] = service("pxhand", 7103);
      const refusal = await hand.up(handInputs).then(
        () => assert.fail("took over units it does not own"),
        (failure: unknown) => failure,
      );
      assert.ok(refusal instanceof ProviderHostError, String(refusal));
      assert.match(refusal.message, /already exists[\s\S]*adopt: true/);
      assert.equal(await sh(`cat ${UNIT_DIR}/pxhand.socket`), handSocket);
      assert.equal(await hand.up({ ...handInputs, adopt: true }), "create");
      assert.match(
        await sh(`cat ${UNIT_DIR}/pxhand.socket`),
        /^# written by hand\n\[Socket\]\nListenStream=0\.0\.0\.0:7103\n/,
      );
      assert.match(await sh(`cat ${UNIT_DIR}/pxhand@.service`), /^User=nobody$/m);
      assert.equal((await sh("systemctl is-active pxhand.socket")).trim(), "active");
      await hand.destroy();
      assert.equal(await sh(`ls -A ${UNIT_DIR} | grep -F pxhand || true`), "");

      // Through `sudo -n` as a user with passwordless sudo: the same lifecycle, files owned by root.
      const [viaSudo, sudoInputs] = service("pxsudo", 7104);
      const sudoConnection = {
        host: target.address,
        user: lab.sudoUser.name,
        privateKey: lab.sudoUser.privateKey,
        hostKey: target.hostKeyLine,
      };
      assert.equal(await viaSudo.up({ ...sudoInputs, connection: sudoConnection, sudo: true }), "create");
      assert.equal(await sh(`stat -c %U ${UNIT_DIR}/pxsudo.socket`), "root\n");
      assert.match(await sh('ss -Hltn "sport = :7104"'), /7104/);
      await viaSudo.destroy();
      assert.equal(await sh(`ls -A ${UNIT_DIR} | grep -F pxsudo || true`), "");
    });
  }
});
