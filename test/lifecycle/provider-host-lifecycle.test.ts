// Whole lifecycles of every resource kind through the real @pulumi/pulumi dynamic-provider host,
// driven over gRPC as the engine drives it, with the `__provider` text registration produces, on
// one lab host: create → refresh shows no drift → hand edit → refresh shows exactly that field →
// update restores the file byte for byte → a changed parameter updates with one xinetd reload →
// delete leaves no file, section, previous version or temporary file behind (only the remote
// layer's empty `.<name>.lock`). Then the seed scenario end to end, check failures, secrets.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, describe, test } from "node:test";

import { HOST_KINDS, startLab, type AnyLabHost, type HostKind, type Lab } from "../lab/lab";
import { labSkipReason } from "../lab/requirements";
import {
  fieldDrift,
  prepareForRsync,
  ProgramResource,
  providerTexts,
  rootConnection,
  sshLogins,
  systemctlReloads,
  temporaryFilesIn,
  xinetdReloads,
  type ProviderTexts,
} from "../support/program-resources";
import {
  CheckFailedError,
  ProviderHostError,
  startProviderHost,
  type PropertyBag,
  type ProviderHost,
} from "../support/provider-host";
import { BACKUP_USER, RSYNC_PORT, SEED_CONFIG_PATH, SEED_SECRETS_PATH, seedSteps } from "../support/seed-scenario";

const CONFIG = "/etc/rsyncd/rsyncd.conf";
const SECRETS = "/etc/rsyncd/rsyncd.secrets";
const PASSWORD = "Tr0ub4dor&3-through-the-host";

const RPC_METHODS = new Set(["check", "diff", "create", "read", "update", "delete"]);

/**
 * The host with every answer recorded: outputs (connection left out: it is a secret input, so the
 * engine keeps the output of that name secret; registration.test.ts checks additionalSecretOutputs)
 * and check failures as sent back, and the message of every failed call, for the secrets test.
 */
function recording(host: ProviderHost, seen: string[]): ProviderHost {
  const record = (value: unknown) =>
    seen.push(JSON.stringify(value, (key, item) => (key === "connection" ? undefined : item)));
  return new Proxy(host, {
    get(target, key, receiver) {
      const member = Reflect.get(target, key, receiver);
      if (typeof key !== "string" || !RPC_METHODS.has(key)) return member;
      return async (...args: unknown[]) => {
        try {
          const result = await member.apply(target, args);
          // A check's inputs hold the passwords by design: the engine stores inputs as secrets.
          if (result && typeof result === "object") record("failures" in result ? result.failures : result);
          return result;
        } catch (error) {
          seen.push((error as Error).message);
          throw error;
        }
      };
    },
  });
}

/** The log the error of a failed verification quotes, by host kind. */
const XINETD_LOG_NAME: Record<HostKind, string> = {
  namespace: "xinetd's log (/var/log/xinetd.log)",
  debian12: "xinetd's journal (journalctl -u xinetd)",
  debian13: "xinetd's journal (journalctl -u xinetd)",
};

for (const kind of HOST_KINDS) {
  const title = "resources through the real dynamic-provider host on a lab host";
  describe(kind === "namespace" ? title : `${title} (${kind})`, { skip: labSkipReason([kind]) }, () => {
    lifecycleSuite(kind);
  });
}

function lifecycleSuite(kind: HostKind): void {
  let lab: Lab<AnyLabHost>;
  let target: AnyLabHost;
  let host: ProviderHost;
  let texts: ProviderTexts;
  let connection: Record<string, unknown>;
  const answers: string[] = [];

  const resource = (kind: ProgramResource["kind"], name: string) => new ProgramResource(host, kind, name, texts);
  const sh = async (script: string): Promise<string> => {
    const result = await target.exec(["sh", "-c", script]);
    assert.equal(result.code, 0, result.stderr);
    return result.stdout;
  };
  const exists = async (path: string) => (await target.exec(["test", "-e", path])).code === 0;
  /**
   * The configuration directories' files, without the empty lock the remote layer keeps beside a
   * target it changed (a name xinetd's includedir skips).
   */
  const filesOnHost = async () =>
    (await sh("ls -A /etc/xinetd.d /etc/rsyncd")).split("\n").filter((name) => !/^\..*\.lock$/.test(name));

  before(async () => {
    texts = await providerTexts();
    lab = await startLab({ hosts: 1, kind });
    target = lab.hosts[0]!;
    await prepareForRsync(target);
    connection = rootConnection(lab, target);
    // Run in this checkout: the shim resolves `pulumi-xinetd/provider` (dist/) from the host's directory.
    host = recording(await startProviderHost(), answers);
  });

  after(async () => {
    await host?.stop();
    await lab?.stop();
  });

  test("a check failure comes back naming each property, and nothing reaches the host", async () => {
    const logins = await sshLogins(target);
    const before = await sh("ls -lA /etc/xinetd.d /etc/rsyncd");

    const service = resource("xinetdService", "bad-service");
    const serviceFailure = await service
      .up({
        connection,
        serviceName: "bad",
        socketType: "strem",
        wait: false,
        user: "nobody",
        server: "/bin/cat",
        logOnFailure: { add: ["NOPE"] },
      })
      .then(
        () => assert.fail("check passed"),
        (error: unknown) => error,
      );
    assert.ok(serviceFailure instanceof CheckFailedError);
    assert.deepEqual(serviceFailure.failures.map((f) => f.property).sort(), ["logOnFailure", "socketType"]);

    const module = await host.check(
      resource("rsyncModule", "bad-module").urn,
      {},
      {
        __provider: texts.rsyncModule,
        connection,
        moduleName: "a]b",
        path: "/srv",
        readOnly: "maybe",
        timeout: "soon",
      },
    );
    assert.deepEqual(module.failures.map((f) => f.property).sort(), ["moduleName", "readOnly", "timeout"]);
    const secrets = await host.check(
      resource("rsyncSecrets", "bad-secrets").urn,
      {},
      {
        __provider: texts.rsyncSecrets,
        connection,
        path: SECRETS,
        users: { [BACKUP_USER]: `${PASSWORD}\nsecond line` },
      },
    );
    assert.deepEqual(
      secrets.failures.map((f) => f.property),
      [`users.${BACKUP_USER}`],
    );

    assert.equal(service.inState, false, "the engine creates nothing after a failed check");
    assert.equal(await sshLogins(target), logins, "no SSH session was opened");
    assert.equal(await sh("ls -lA /etc/xinetd.d /etc/rsyncd"), before);
  });

  test("XinetdService: create, no drift, hand edit seen as that field, update restores, one reload per change, delete leaves nothing", async () => {
    const service = resource("xinetdService", "pxcat");
    const inputs: PropertyBag = {
      connection,
      serviceName: "pxcat",
      type: ["UNLISTED"],
      port: 7341,
      socketType: "stream",
      wait: false,
      user: "nobody",
      server: "/bin/cat",
      logOnFailure: { add: ["USERID"] },
      disable: false,
    };
    const reloads = await xinetdReloads(target);
    const systemdReloads = await systemctlReloads(target);
    assert.equal(await service.up(inputs), "create");
    assert.equal(await xinetdReloads(target), reloads + 1, "create reloads xinetd once");
    assert.equal(
      await systemctlReloads(target),
      systemdReloads + (kind === "namespace" ? 0 : 1),
      "`reload: auto` reloads through systemctl on a systemd host",
    );
    const written = await sh("cat /etc/xinetd.d/pxcat");
    assert.equal(service.outputs.content, written);
    assert.match(written, /log_on_failure\s+\+= USERID/);
    assert.match(await sh('ss -Hltn "sport = :7341"'), /7341/);

    const created = service.outputs;
    assert.equal(await service.refresh(), "refreshed");
    assert.deepEqual(fieldDrift(created, service.outputs), []);
    assert.equal((await service.drift()).changes, "none");
    assert.equal(await xinetdReloads(target), reloads + 1, "refresh does not reload");

    await sh(String.raw`sed -i 's/^}/\tinstances = 7\n}/' /etc/xinetd.d/pxcat`);
    await service.refresh();
    assert.deepEqual(fieldDrift(created, service.outputs), [{ property: "instances", stored: undefined, host: 7 }]);
    assert.deepEqual(await service.drift(), { changes: "some", replaces: [], deleteBeforeReplace: false });

    assert.equal(await service.up(inputs), "update");
    assert.equal(await sh("cat /etc/xinetd.d/pxcat"), written, "the file is back byte for byte");
    assert.equal(await xinetdReloads(target), reloads + 2);

    assert.equal(await service.up({ ...inputs, instances: 10 }), "update");
    assert.equal(await xinetdReloads(target), reloads + 3, "one changed attribute, exactly one reload");
    assert.match(await sh("cat /etc/xinetd.d/pxcat"), /instances\s+= 10\n/);
    await service.refresh();
    assert.equal((await service.drift()).changes, "none");

    const last = service.state;
    await service.destroy();
    assert.equal(await exists("/etc/xinetd.d/pxcat"), false);
    assert.equal(await xinetdReloads(target), reloads + 4, "delete reloads xinetd once");
    assert.equal(await sh('ss -Hltn "sport = :7341"'), "");
    assert.deepEqual(await temporaryFilesIn(target, "/etc/xinetd.d"), []);
    assert.equal((await host.read(last.id, service.urn, last.outputs, last.inputs)).id, "", "a refresh now drops it");
  });

  test("XinetdService: `serviceId` is written as xinetd's `id`, and `serverArgs` given as xinetd's own line is stored as its tokens with no diff after", async () => {
    const service = resource("xinetdService", "pxargs");
    const inputs: PropertyBag = {
      connection,
      serviceName: "pxargs",
      serviceId: "pxargs-stream",
      type: ["UNLISTED"],
      port: 7342,
      socketType: "stream",
      wait: false,
      user: "nobody",
      server: "/bin/cat",
      serverArgs: "-u \t -s",
      disable: false,
    };
    assert.equal(await service.up(inputs), "create");
    const written = await sh("cat /etc/xinetd.d/pxargs");
    assert.match(written, /\n\tid\s+= pxargs-stream\n/);
    assert.match(written, /\n\tserver_args\s+= -u -s\n/);
    assert.deepEqual([service.outputs.serviceId, service.outputs.serverArgs], ["pxargs-stream", ["-u", "-s"]]);
    assert.match(await sh('ss -Hltn "sport = :7342"'), /7342/);

    assert.equal(await service.up(inputs), "same", "the same string again is no change");
    await service.refresh();
    assert.equal((await service.drift()).changes, "none", "what the host reads back is what the string said");
    assert.equal(
      await service.up({ ...inputs, serverArgs: ["-u", "-s"] }),
      "same",
      "the array of its tokens is the same input",
    );
    assert.equal(await service.up({ ...inputs, serverArgs: "-u" }), "update");
    assert.match(await sh("cat /etc/xinetd.d/pxargs"), /\n\tserver_args\s+= -u\n/);

    await service.destroy();
    assert.equal(await exists("/etc/xinetd.d/pxargs"), false);
  });

  test("an update whose reload fails verification is rolled back and reported as a partial failure with what the host has", async () => {
    const service = resource("xinetdService", "pxpartial");
    const inputs: PropertyBag = {
      connection,
      serviceName: "pxpartial",
      type: ["UNLISTED"],
      port: 7351,
      socketType: "stream",
      wait: false,
      user: "nobody",
      server: "/bin/cat",
    };
    assert.equal(await service.up(inputs), "create");
    const before = await sh("cat /etc/xinetd.d/pxpartial");
    // Host validation runs in an empty network namespace and cannot see this listener: only the
    // check after the real reload can.
    const blocker = await sh(
      "setsid rsync --daemon --no-detach --port=7352 --config=/dev/null </dev/null >/dev/null 2>&1 & echo $!",
    );
    try {
      await sh('for i in $(seq 50); do ss -Hltn "sport = :7352" | grep -q 7352 && exit 0; sleep 0.05; done; exit 1');
      const state = service.state;
      const checked = await host.check(service.urn, state.inputs, { ...state.inputs, port: 7352 });
      const failure = await host
        .update(state.id, service.urn, state.outputs, checked.inputs, { oldInputs: state.inputs })
        .then(
          () => assert.fail("the update should fail"),
          (error: unknown) => error as ProviderHostError,
        );
      assert.ok(failure instanceof ProviderHostError, String(failure));
      assert.match(failure.message, /bind failed|Address already in use/);
      // The daemon's own lines, from where this host's xinetd logs: the file (with a level), or the journal.
      assert.ok(failure.message.includes(`${XINETD_LOG_NAME[kind]}:\n`), failure.message);
      assert.match(
        failure.message,
        /xinetd\[\d+\]: (?:ERROR: )?bind failed \(Address already in use \(errno = 98\)\)\. service = pxpartial/,
      );
      assert.ok(failure.partial, "the engine is told what exists");
      assert.equal(failure.partial.id, state.id);
      assert.equal(failure.partial.properties.port, 7351, "the outputs are the rolled-back file, not the wanted one");
      assert.equal(await sh("cat /etc/xinetd.d/pxpartial"), before, "the previous file is back byte for byte");
      assert.match(await sh('ss -Hltn "sport = :7351"'), /7351/, "and the service answers again");
    } finally {
      await target.exec(["kill", blocker.trim()]);
    }
    await service.destroy();
  });

  test("RsyncModule and RsyncdConfig: each its own part of one file; drift per parameter; no xinetd reload; delete leaves nothing", async () => {
    const config = resource("rsyncdConfig", "config");
    const module = resource("rsyncModule", "data");
    const configInputs: PropertyBag = {
      connection,
      configPath: CONFIG,
      useChroot: false,
      logFile: "/var/log/rsyncd.log",
    };
    const moduleInputs: PropertyBag = {
      connection,
      configPath: CONFIG,
      moduleName: "data",
      path: "/srv/data",
      comment: "data files",
      readOnly: true,
    };
    const reloads = await xinetdReloads(target);

    assert.equal(await config.up(configInputs), "create");
    assert.equal(await module.up(moduleInputs), "create");
    const written = await sh(`cat ${CONFIG}`);
    assert.equal(written, `log file = /var/log/rsyncd.log\nuse chroot = no\n\n${module.outputs.content}`);

    const created = { config: config.outputs, module: module.outputs };
    await Promise.all([config.refresh(), module.refresh()]);
    assert.deepEqual(fieldDrift(created.module, module.outputs), []);
    assert.equal((await module.drift()).changes, "none");
    assert.equal((await config.drift()).changes, "none");

    await sh(`sed -i 's/read only = yes/read only = no/' ${CONFIG}`);
    await Promise.all([config.refresh(), module.refresh()]);
    assert.deepEqual(fieldDrift(created.module, module.outputs), [{ property: "readOnly", stored: true, host: false }]);
    assert.deepEqual(await module.drift(), { changes: "some", replaces: [], deleteBeforeReplace: false });
    assert.equal((await config.drift()).changes, "none", "a module's line is not the global part's drift");

    await sh(`sed -i '1i motd file = /etc/motd' ${CONFIG}`);
    await config.refresh();
    assert.deepEqual(fieldDrift(created.config, config.outputs), [
      { property: "motdFile", stored: undefined, host: "/etc/motd" },
    ]);
    assert.equal((await config.drift()).changes, "some");

    assert.equal(await module.up(moduleInputs), "update");
    assert.equal(await config.up(configInputs), "update");
    assert.equal(await sh(`cat ${CONFIG}`), written, "the file is back byte for byte");

    assert.equal(await module.up({ ...moduleInputs, comment: "data files, moved" }), "update");
    assert.match(await sh(`cat ${CONFIG}`), /\tcomment = data files, moved\n/);
    assert.equal(
      await xinetdReloads(target),
      reloads,
      "rsync reads its config per connection: xinetd is never reloaded",
    );

    await module.destroy();
    assert.equal(
      await sh(`cat ${CONFIG}`),
      "log file = /var/log/rsyncd.log\nuse chroot = no\n",
      "the section is gone, the global part stays",
    );
    await config.destroy();
    assert.equal(await exists(CONFIG), false);
    assert.deepEqual(await temporaryFilesIn(target, "/etc/rsyncd"), []);
  });

  test("RsyncSecrets: root 0600, a chmod by hand is drift, update restores, another resource on the file is refused, delete removes every copy", async () => {
    const secrets = resource("rsyncSecrets", "secrets");
    const inputs: PropertyBag = { connection, path: SECRETS, users: { [BACKUP_USER]: PASSWORD } };
    assert.equal(await secrets.up(inputs), "create");
    assert.equal(await sh(`stat -c '%a %U %G' ${SECRETS}`), "600 root root\n");
    assert.equal(await sh(`cat ${SECRETS}`), `${BACKUP_USER}:${PASSWORD}\n`);
    assert.deepEqual(secrets.outputs.userNames, [BACKUP_USER]);

    await sh(`chmod 644 ${SECRETS}`);
    const stored = secrets.outputs;
    await secrets.refresh();
    assert.deepEqual(fieldDrift(stored, secrets.outputs), [
      { property: "permissions", stored: "600 root:root", host: "644 root:root" },
    ]);
    assert.equal((await secrets.drift()).changes, "some");
    assert.equal(await secrets.up(inputs), "update");
    assert.equal(await sh(`stat -c '%a' ${SECRETS}`), "600\n");

    // A password change through the provider host: no previous copy is left, the salt stays, and a
    // second resource with the same passwords has another salt, so another checksum.
    const salt = secrets.outputs.salt;
    assert.match(String(salt), /^[0-9a-f]{64}$/);
    assert.equal(await secrets.up({ ...inputs, users: { [BACKUP_USER]: `${PASSWORD}-2` } }), "update");
    assert.equal(secrets.outputs.salt, salt);
    assert.equal(await sh("ls -A /etc/rsyncd | grep -c previous || true"), "0\n");
    const twin = resource("rsyncSecrets", "secrets-twin");
    assert.equal(
      await twin.up({ connection, path: `${SECRETS}-twin`, users: { [BACKUP_USER]: `${PASSWORD}-2` } }),
      "create",
    );
    assert.notEqual(twin.outputs.checksum, secrets.outputs.checksum);
    await twin.destroy();
    assert.equal(await secrets.up(inputs), "update");

    // Another resource with other users is refused; one with the same users would take the file
    // as its own (what a create whose answer was lost leaves), as foreign-files-lab shows.
    await assert.rejects(
      resource("rsyncSecrets", "secrets-again").up({ ...inputs, users: { [BACKUP_USER]: `${PASSWORD}-other` } }),
      (error: unknown) =>
        error instanceof ProviderHostError &&
        /already exists.*adopt: true/s.test(error.message) &&
        !error.message.includes(PASSWORD),
    );

    await secrets.destroy();
    assert.equal(await exists(SECRETS), false);
    assert.equal(await sh(`grep -rl -- '${PASSWORD}' /etc/rsyncd /tmp || true`), "", "no copy of the passwords stays");
    assert.deepEqual(await temporaryFilesIn(target, "/etc/rsyncd"), []);
  });

  test("the seed scenario end to end: rsync from the root namespace lists the modules; destroy leaves the host as it was", async () => {
    const before = await filesOnHost();
    await sh("mkdir -p /srv/pub /srv/backup && echo hello > /srv/pub/hello.txt");
    const steps = seedSteps(connection, PASSWORD);
    const resources = steps.map((step) => resource(step.kind, step.name));
    for (const [i, step] of steps.entries()) assert.equal(await resources[i]!.up(step.inputs), "create", step.name);
    const listing = resource("rsyncListing", "seed-listing");
    await listing.up({
      connection,
      port: RSYNC_PORT,
      configPath: SEED_CONFIG_PATH,
      expectedModules: ["pub", "backup"],
      revision: [],
    });
    assert.deepEqual(listing.outputs.modules, ["pub", "backup"]);

    const service = await sh("cat /etc/xinetd.d/rsync");
    assert.match(service, /^service rsync\n\{\n/);
    assert.match(service, /server_args\s+= --daemon --config=\/etc\/rsyncd\/rsyncd.conf\n/);
    assert.match(service, /log_on_failure\s+\+= USERID\n/);
    const [globalPart] = (await sh(`cat ${SEED_CONFIG_PATH}`)).split("\n\n");
    assert.deepEqual(globalPart!.split("\n").sort(), [
      "lock file = /var/run/rsync.lock",
      "log file = /var/log/rsync.log",
      "pid file = /var/run/rsyncd.pid",
      "port = 873",
    ]);

    const rsync = (args: string[], password?: string) =>
      spawnSync("rsync", args, {
        encoding: "utf8",
        timeout: 10_000,
        env: { ...process.env, RSYNC_PASSWORD: password ?? "" },
      });
    const listed = rsync([`rsync://${target.address}/`]);
    assert.equal(listed.status, 0, listed.stderr);
    assert.deepEqual(
      listed.stdout
        .trim()
        .split("\n")
        .map((line) => line.split(/\s+/)[0]),
      ["pub", "backup"],
    );
    assert.match(rsync([`rsync://${target.address}/pub/`]).stdout, /hello\.txt/);
    assert.equal(
      rsync([`rsync://${BACKUP_USER}@${target.address}/backup/`], PASSWORD).status,
      0,
      "the secrets file lets the backup user in",
    );
    assert.notEqual(rsync([`rsync://${BACKUP_USER}@${target.address}/backup/`], "wrong").status, 0, "and nobody else");

    for (const item of resources) {
      await item.refresh();
      assert.equal((await item.drift()).changes, "none", `${item.name} has no drift after create`);
    }

    await listing.destroy();
    for (const item of [...resources].reverse()) await item.destroy();
    assert.notEqual(rsync([`rsync://${target.address}/`]).status, 0, "nothing listens on 873 any more");
    assert.deepEqual(await filesOnHost(), before);
    assert.equal(await exists(SEED_SECRETS_PATH), false);
  });

  test("secrets: no password or private key in the host process output, any error, or any output but connection", async () => {
    // Another account than the other tests' root: the transport pools one connection per host and user.
    const wrongKey = lab.sudoUser.privateKey;
    const refused = await resource("xinetdService", "wrong-key")
      .up({
        connection: { ...connection, user: lab.noSudoUser.name, privateKey: wrongKey },
        serviceName: "pxdenied",
        type: ["UNLISTED"],
        port: 7342,
        socketType: "stream",
        wait: false,
        user: "nobody",
        server: "/bin/cat",
      })
      .then(
        () => assert.fail("a key the host does not accept logged in"),
        (error: unknown) => error,
      );
    assert.ok(refused instanceof ProviderHostError, String(refused));

    const secretLines = [
      PASSWORD,
      ...[lab.rootPrivateKey, wrongKey].flatMap((key) =>
        key.split("\n").filter((line) => line.length > 20 && !line.startsWith("-----")),
      ),
    ];
    const { stdout, stderr } = host.output();
    assert.ok(answers.includes(refused.message), "errors are recorded with the outputs");
    for (const [where, text] of [
      ["host stdout", stdout],
      ["host stderr", stderr],
      ["outputs and errors", answers.join("\n")],
    ] as const) {
      assert.ok(!secretLines.some((line) => text.includes(line)), `a secret appears in the ${where}`);
    }
  });
}
