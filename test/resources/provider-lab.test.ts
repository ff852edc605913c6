// Provider methods called directly against one lab host, over the real SSH transport: each
// resource kind through create → read (no drift) → hand edit → read (exactly that field) →
// update (restored) → delete (nothing left), plus adoption and the secrets file's guarantees.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { rsyncdConfig, rsyncListing, rsyncModule, rsyncSecrets, xinetdService, type Props } from "../../src/provider";
import { HOST_KINDS, type HostKind } from "../lab/lab";
import { labSkipReason } from "../lab/requirements";
import { systemctlReloads, xinetdReloads } from "../support/program-resources";
import { checked, oneHostLab } from "../support/provider-lab";

const CONFIG = "/etc/rsyncd/rsyncd.conf";
const SECRETS = "/etc/rsyncd/rsyncd.secrets";
const PASSWORD = "Tr0ub4dor&3-never-printed";
/** Outputs that describe the file rather than a setting. */
const FILE_OUTPUTS = new Set(["content", "checksum"]);

/** The settings whose values differ between two read results. */
function changedSettings(before: Props, after: Props): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys]
    .filter((key) => !FILE_OUTPUTS.has(key) && JSON.stringify(before[key]) !== JSON.stringify(after[key]))
    .sort();
}

for (const kind of HOST_KINDS) {
  const title = "provider methods on a lab host";
  describe(kind === "namespace" ? title : `${title} (${kind})`, { skip: labSkipReason([kind]) }, () => {
    providerSuite(kind);
  });
}

function providerSuite(kind: HostKind): void {
  const lab = oneHostLab(kind);

  test("XinetdService: create, no drift, hand edit seen as that field, update restores, delete removes and reloads", async () => {
    const inputs = checked(xinetdService, {
      connection: lab.connection,
      serviceName: "pxcat",
      type: ["UNLISTED"],
      port: 7341,
      socketType: "stream",
      wait: false,
      user: "nobody",
      server: "/bin/cat",
      logOnFailure: { add: ["USERID"] },
      disable: false,
    });
    const { id, outs } = await xinetdService.create(inputs);
    assert.equal(outs.path, "/etc/xinetd.d/pxcat");
    assert.equal(outs.schemaVersion, 1);
    assert.equal(outs.content, await lab.sh("cat /etc/xinetd.d/pxcat"));
    assert.match(await lab.sh('ss -Hltn "sport = :7341"'), /7341/);

    const fresh = await xinetdService.read(id, outs);
    assert.equal(fresh.id, id);
    assert.deepEqual(xinetdService.diff(id, fresh.props, inputs).changes, false);

    await lab.sh(String.raw`sed -i 's/^}/\tinstances = 7\n}/' /etc/xinetd.d/pxcat`);
    const drifted = await xinetdService.read(id, fresh.props);
    assert.deepEqual(changedSettings(fresh.props, drifted.props), ["instances"]);
    assert.equal(drifted.props.instances, 7);
    assert.deepEqual(xinetdService.diff(id, drifted.props, inputs), {
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
    });

    const restored = await xinetdService.update(id, drifted.props, inputs);
    assert.equal(restored.outs.content, outs.content);
    assert.equal(xinetdService.diff(id, (await xinetdService.read(id, restored.outs)).props, inputs).changes, false);

    await xinetdService.delete(id, restored.outs);
    assert.equal(await lab.sh("test -e /etc/xinetd.d/pxcat && echo present || echo absent"), "absent\n");
    assert.equal((await xinetdService.read(id, restored.outs)).id, "");
    assert.equal(await lab.sh('ss -Hltn "sport = :7341"'), "");
  });

  test("XinetdService create refuses an existing file and says how to adopt it; adopt takes it over", async () => {
    const echo = {
      connection: lab.connection,
      serviceName: "echo",
      type: ["INTERNAL"],
      socketType: "stream",
      wait: false,
      disable: false,
    };
    await assert.rejects(xinetdService.create(checked(xinetdService, echo)), /echo already exists.*adopt: true/s);
    const { id, outs } = await xinetdService.create(checked(xinetdService, { ...echo, adopt: true }));
    assert.equal((await xinetdService.read(id, outs)).props.disable, false);
  });

  test("RsyncdConfig and RsyncModule: one file, each its own part; drift per parameter; delete leaves nothing", async () => {
    const configInputs = checked(rsyncdConfig, {
      connection: lab.connection,
      configPath: CONFIG,
      useChroot: false,
      logFile: "/var/log/rsyncd.log",
    });
    const moduleInputs = checked(rsyncModule, {
      connection: lab.connection,
      configPath: CONFIG,
      moduleName: "data",
      path: "/srv",
      comment: "data files",
      readOnly: true,
    });
    const config = await rsyncdConfig.create(configInputs);
    const module = await rsyncModule.create(moduleInputs);
    assert.equal(module.outs.content, "[data]\n\tpath = /srv\n\tcomment = data files\n\tread only = yes\n");
    assert.match(await lab.sh(`cat ${CONFIG}`), /^log file = \/var\/log\/rsyncd.log\nuse chroot = no\n\n\[data\]/);

    const fresh = await rsyncModule.read(module.id, module.outs);
    assert.equal(rsyncModule.diff(module.id, fresh.props, moduleInputs).changes, false);
    assert.equal(
      rsyncdConfig.diff(config.id, (await rsyncdConfig.read(config.id, config.outs)).props, configInputs).changes,
      false,
    );

    await lab.sh(
      `sed -i 's/read only = yes/read only = no/' ${CONFIG} && printf 'motd file = /etc/motd\\n' | cat - ${CONFIG} >/tmp/c && cp /tmp/c ${CONFIG}`,
    );
    const drifted = await rsyncModule.read(module.id, fresh.props);
    assert.deepEqual(changedSettings(fresh.props, drifted.props), ["readOnly"]);
    const globalDrift = await rsyncdConfig.read(config.id, config.outs);
    assert.deepEqual(changedSettings(config.outs, globalDrift.props), ["motdFile"]);

    await rsyncModule.update(module.id, drifted.props, moduleInputs);
    await rsyncdConfig.update(config.id, globalDrift.props, configInputs);
    assert.equal(
      rsyncModule.diff(module.id, (await rsyncModule.read(module.id, module.outs)).props, moduleInputs).changes,
      false,
    );
    assert.doesNotMatch(await lab.sh(`cat ${CONFIG}`), /motd file/);

    // A module that reads as this resource writes it is its own (a create whose outcome was lost);
    // any other is not taken over without adopt.
    assert.equal((await rsyncModule.create(moduleInputs)).outs.content, module.outs.content);
    await assert.rejects(
      rsyncModule.create({ ...moduleInputs, comment: "another" }),
      /module \[data\].*already exists.*adopt: true/s,
    );

    await rsyncModule.delete(module.id, module.outs);
    assert.equal((await rsyncModule.read(module.id, module.outs)).id, "");
    await rsyncdConfig.delete(config.id, config.outs);
    assert.equal(await lab.sh(`test -e ${CONFIG} && echo present || echo absent`), "absent\n");
  });

  test("RsyncSecrets: root 0600, the password never in outputs or errors, drift by checksum, nothing left after delete", async () => {
    const inputs = checked(rsyncSecrets, { connection: lab.connection, path: SECRETS, users: { alice: PASSWORD } });
    const { id, outs } = await rsyncSecrets.create(inputs);
    assert.equal(await lab.sh(`stat -c '%a %U %G' ${SECRETS}`), "600 root root\n");
    assert.equal(await lab.sh(`cat ${SECRETS}`), `alice:${PASSWORD}\n`);
    assert.ok(!JSON.stringify(outs).includes(PASSWORD));
    assert.deepEqual(outs.userNames, ["alice"]);

    const fresh = await rsyncSecrets.read(id, outs);
    assert.ok(!JSON.stringify(fresh).includes(PASSWORD));
    assert.equal(rsyncSecrets.diff(id, fresh.props, inputs).changes, false);

    // The same users again is this resource's own file (a create whose answer was lost): taken over.
    assert.deepEqual((await rsyncSecrets.create(inputs)).outs.userNames, ["alice"]);
    const refusal = await rsyncSecrets.create({ ...inputs, users: { alice: `${PASSWORD}-other` } }).then(
      () => undefined,
      (error: Error) => error,
    );
    assert.ok(refusal);
    assert.match(refusal.message, /adopt: true/);
    assert.ok(!`${refusal.message}\n${refusal.stack}`.includes(PASSWORD));

    await lab.sh(`chmod 644 ${SECRETS}`);
    assert.equal(rsyncSecrets.diff(id, (await rsyncSecrets.read(id, outs)).props, inputs).changes, true);
    const updated = await rsyncSecrets.update(id, fresh.props, inputs);
    assert.equal(await lab.sh(`stat -c '%a' ${SECRETS}`), "600\n");
    assert.ok(!JSON.stringify(updated).includes(PASSWORD));

    await rsyncSecrets.delete(id, updated.outs);
    assert.equal(await lab.sh(`test -e ${SECRETS} && echo present || echo absent`), "absent\n");
    // The remote layer keeps an empty `.rsyncd.secrets.lock` beside it; no copy of the passwords stays.
    assert.equal(await lab.sh(`grep -rl -- '${PASSWORD}' /etc/rsyncd || true`), "");
  });

  test("the seed scenario: config, module and the rsync service; the listing check sees the module from the host", async () => {
    const service = await xinetdService.create(
      checked(xinetdService, {
        connection: lab.connection,
        serviceName: "rsync",
        disable: false,
        socketType: "stream",
        wait: false,
        user: "root",
        server: "/usr/bin/rsync",
        serverArgs: ["--daemon", `--config=${CONFIG}`],
        logOnFailure: { add: ["USERID"] },
      }),
    );
    const module = await rsyncModule.create(
      checked(rsyncModule, {
        connection: lab.connection,
        configPath: CONFIG,
        moduleName: "pub",
        path: "/srv",
        comment: "public",
      }),
    );
    const listingInputs = checked(rsyncListing, {
      connection: lab.connection,
      port: 873,
      configPath: CONFIG,
      expectedModules: ["pub"],
      revision: [],
    });
    const listing = await rsyncListing.create(listingInputs);
    assert.deepEqual(listing.outs.modules, ["pub"]);
    await assert.rejects(
      rsyncListing.update(listing.id, listing.outs, { ...listingInputs, expectedModules: ["pub", "missing"] }),
      /does not list `missing`/,
    );
    await rsyncModule.delete(module.id, module.outs);
    await xinetdService.delete(service.id, service.outs);
  });

  test("XinetdService whose `reload` differs from the host's other services is refused before its file is written", async () => {
    const service = (serviceName: string, port: number, reload: unknown) =>
      checked(xinetdService, {
        connection: lab.connection,
        serviceName,
        type: ["UNLISTED"],
        port,
        socketType: "stream",
        wait: false,
        user: "nobody",
        server: "/bin/cat",
        reload,
      });
    const first = await xinetdService.create(service("pxfirst", 7351, "auto"));
    const error = await xinetdService.create(service("pxsecond", 7352, "none")).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof Error);
    assert.match(
      error.message,
      /`reload` is "none" for \/etc\/xinetd\.d\/pxsecond, but "auto" for \/etc\/xinetd\.d\/\w+ on the same host/,
    );
    assert.equal(
      (error as { id?: string }).id,
      undefined,
      "a plain refusal, not a partial failure the engine would keep",
    );
    assert.equal(await lab.sh("test -e /etc/xinetd.d/pxsecond && echo present || echo absent"), "absent\n");
    await assert.rejects(
      xinetdService.update(first.id, first.outs, service("pxfirst", 7351, "signal")),
      /`reload` is "signal" for \/etc\/xinetd\.d\/pxfirst/,
    );
    await xinetdService.delete(first.id, first.outs);
  });

  test('XinetdService with `reload: "signal"`: a HUP to xinetd\'s own pid, found where the host writes no pid file', async () => {
    // Through sudo: another runner identity than the other tests', so a reloader of its own.
    const inputs = checked(xinetdService, {
      connection: lab.connection,
      sudo: true,
      reload: "signal",
      serviceName: "pxsignal",
      type: ["UNLISTED"],
      port: 7361,
      socketType: "stream",
      wait: false,
      user: "nobody",
      server: "/bin/cat",
    });
    const pidFile = (await lab.sh("test -e /run/xinetd.pid && echo present || echo absent")).trim();
    assert.equal(pidFile, kind === "debian13" ? "absent" : "present", "Debian 13's unit writes no pid file");
    const [reloads, systemdReloads] = [await xinetdReloads(lab.host), await systemctlReloads(lab.host)];
    const { id, outs } = await xinetdService.create(inputs);
    assert.match(await lab.sh('ss -Hltn "sport = :7361"'), /7361/);
    assert.equal(await xinetdReloads(lab.host), reloads + 1, "xinetd re-read its configuration once");
    assert.equal(await systemctlReloads(lab.host), systemdReloads, "not through systemctl");
    await xinetdService.delete(id, outs);
    assert.equal(await lab.sh('ss -Hltn "sport = :7361"'), "");
    assert.equal(await xinetdReloads(lab.host), reloads + 2);
  });
}
