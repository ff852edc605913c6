// Hosts that are not the friendly default, on the lab: fish and tcsh as login shells (root's, and
// a sudo user's), hostile characters in paths, a lock held by another user, symbolic links at
// the lock, the previous version and the target, writable directories, and the secrets file
// whose old content must never leave the host.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { after, before, describe, test } from "node:test";

import { rsyncModule, rsyncSecrets, xinetdService, type Props } from "../../src/provider";
import { changeRemoteFile, readRemoteFile, RemoteError } from "../../src/remote";
import { saltedChecksum, SECRET_CONTENT_WITHHELD } from "../../src/remote/change-file";
import { closeAll, ConnectionPool, openHost } from "../../src/remote/ssh";
import type { CommandRunner, RemoteProcess, RunResult } from "../../src/remote/transport";
import { setLoginShell, startLab, type Lab, type LabHost } from "../lab/lab";
import { labSkipReason } from "../lab/requirements";
import { checked } from "../support/provider-lab";

const skip = labSkipReason();

const SHELLS = [
  { shell: "/usr/bin/fish", name: "fish", probe: "echo $FISH_VERSION" },
  { shell: "/usr/bin/tcsh", name: "tcsh", probe: "echo $tcsh" },
];

async function rejection(promise: Promise<unknown>): Promise<RemoteError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(error instanceof RemoteError, `expected a RemoteError, got ${String(error)}`);
  return error;
}

describe("hostile hosts on the lab", { skip }, () => {
  let lab: Lab;
  const pool = new ConnectionPool();

  const sh = async (host: LabHost, script: string): Promise<string> => {
    const result = await host.exec(["sh", "-c", script]);
    assert.equal(result.code, 0, result.stderr);
    return result.stdout;
  };
  const rootConnection = (host: LabHost): Props => ({
    host: host.address,
    privateKey: lab.rootPrivateKey,
    hostKey: host.hostKeyLine,
  });
  const sudoConnection = (host: LabHost): Props => ({
    host: host.address,
    user: lab.sudoUser.name,
    privateKey: lab.sudoUser.privateKey,
    hostKey: host.hostKeyLine,
  });
  const rootRunner = (host: LabHost): CommandRunner => openHost({ connection: rootConnection(host) as never }, pool);

  before(async () => {
    lab = await startLab({ hosts: 2 });
    for (const [index, { shell }] of SHELLS.entries()) {
      const host = lab.hosts[index]!;
      setLoginShell(host, "root", shell);
      setLoginShell(host, lab.sudoUser.name, shell);
    }
  });

  after(async () => {
    await pool.closeAll();
    await closeAll();
    await lab?.stop();
  });

  for (const [index, { name, probe }] of SHELLS.entries()) {
    test(`${name} as the login shell of root and of a sudo user: read, module create, xinetd service change, secrets change`, async () => {
      const host = lab.hosts[index]!;
      // The shell really is the login shell: sshd runs a command line through it.
      for (const [user, key] of [
        ["root", lab.rootKeyPath],
        [lab.sudoUser.name, lab.sudoUser.keyPath],
      ] as const) {
        const seen = spawnSync(
          "ssh",
          [
            "-o",
            "BatchMode=yes",
            "-o",
            `UserKnownHostsFile=${lab.knownHostsPath}`,
            "-o",
            "StrictHostKeyChecking=yes",
            "-i",
            key,
            "-l",
            user,
            host.address,
            probe,
          ],
          { encoding: "utf8", timeout: 20_000 },
        );
        assert.equal(seen.status, 0, seen.stderr);
        assert.notEqual(seen.stdout.trim(), "", `${user}'s login shell is ${name}`);
      }
      for (const [who, connection, sudo] of [
        ["root", rootConnection(host), false],
        ["sudo", sudoConnection(host), true],
      ] as const) {
        const base = { connection, ...(sudo ? { sudo } : {}) };
        const configPath = `/etc/rsyncd/${name}-${who}.conf`;
        const module = await rsyncModule.create(
          checked(rsyncModule, { ...base, configPath, moduleName: "data", path: "/srv", readOnly: true }),
        );
        assert.equal(await sh(host, `cat ${configPath}`), "[data]\n\tpath = /srv\n\tread only = yes\n");
        const fresh = await rsyncModule.read(module.id, module.outs);
        assert.equal(fresh.id, module.id);

        const port = 17_400 + index * 10 + (sudo ? 1 : 0);
        const serviceInputs = checked(xinetdService, {
          ...base,
          serviceName: `px${name}${who}`,
          type: ["UNLISTED"],
          port,
          socketType: "stream",
          wait: false,
          user: "nobody",
          server: "/bin/cat",
          disable: false,
        });
        const service = await xinetdService.create(serviceInputs);
        assert.match(await sh(host, `ss -Hltn "sport = :${port}"`), new RegExp(String(port)));
        await xinetdService.delete(service.id, service.outs);
        assert.equal(await sh(host, `ss -Hltn "sport = :${port}"`), "");

        const secretsPath = `/etc/rsyncd/${name}-${who}.secrets`;
        const secrets = await rsyncSecrets.create(
          checked(rsyncSecrets, { ...base, path: secretsPath, users: { alice: "first-pw" } }),
        );
        const changed = await rsyncSecrets.update(
          secrets.id,
          secrets.outs,
          checked(rsyncSecrets, { ...base, path: secretsPath, users: { alice: "second-pw" } }),
        );
        assert.equal(
          await sh(host, `cat ${secretsPath}; stat -c '%a %U' ${secretsPath}`),
          "alice:second-pw\n600 root\n",
        );
        await rsyncSecrets.delete(secrets.id, changed.outs);

        const runner = openHost({ connection: connection as never, sudo }, pool);
        const echo = await readRemoteFile(runner, "/etc/xinetd.d/echo");
        assert.ok(echo.exists && /service echo/.test(echo.content));
        await rsyncModule.delete(module.id, module.outs);
      }
    });

    test(`${name}: a quote, $(), a backtick or a newline in a path runs nothing`, async () => {
      const host = lab.hosts[index]!;
      // A file name cannot hold a `/`: the markers are relative, in the session's directory.
      const hostile = [
        `/etc/rsyncd/q'uote;touch pwned-1;'.conf`,
        "/etc/rsyncd/$(touch pwned-2).conf",
        "/etc/rsyncd/`touch pwned-3`.conf",
        "/etc/rsyncd/new\ntouch pwned-4\n.conf",
        `/etc/rsyncd/"; touch pwned-5; ".conf`,
      ];
      for (const runner of [
        rootRunner(host),
        openHost({ connection: sudoConnection(host) as never, sudo: true }, pool),
      ]) {
        for (const path of hostile) {
          assert.deepEqual(await readRemoteFile(runner, path), { exists: false });
          await changeRemoteFile(runner, path, () => "[m]\n\tpath = /srv\n", { validate: "rsyncd" });
          const read = await readRemoteFile(runner, path);
          assert.ok(read.exists && read.content === "[m]\n\tpath = /srv\n", path);
          await changeRemoteFile(runner, path, () => ({ delete: true }), { validate: "rsyncd" });
        }
      }
      // Through the provider, the case of the issue: a `'` in configPath.
      const configPath = `/etc/rsyncd/it's $(touch pwned-6).conf`;
      const module = await rsyncModule.create(
        checked(rsyncModule, { connection: rootConnection(host), configPath, moduleName: "q", path: "/srv" }),
      );
      assert.equal((await rsyncModule.read(module.id, module.outs)).id, module.id);
      await rsyncModule.delete(module.id, module.outs);
      assert.equal(
        await sh(host, "ls -A / /root /home/* /tmp /etc/rsyncd | grep -x 'pwned-[0-9]' || true"),
        "",
        "no marker file appeared",
      );
    });
  }

  test("a lock held by another user (nobody): the change gives up after the bound naming the lock; the 0644 lock becomes 0600", async () => {
    const host = lab.hosts[0]!;
    const runner = rootRunner(host);
    const path = "/etc/rsyncd/held.conf";
    const lock = "/etc/rsyncd/.held.conf.lock";
    // A lock as an older version left it: 0644, so any user could open and hold it.
    await sh(host, `: > ${lock} && chmod 644 ${lock}`);
    const started = await sh(
      host,
      `setpriv --reuid=nobody --regid=nogroup --clear-groups sh -c 'exec 8<"$0" && flock 8 && exec sleep 300' ${lock} </dev/null >/dev/null 2>&1 & echo $!`,
    );
    const holder = Number(started.trim());
    try {
      await waitUntil(async () => (await host.exec(["flock", "-n", lock, "true"])).code !== 0);
      const error = await rejection(
        changeRemoteFile(runner, path, () => "[m]\n\tpath = /srv\n", { validate: "rsyncd", lockWaitSeconds: 2 }),
      );
      assert.match(error.message, /gave up after 2 s waiting for the lock file \/etc\/rsyncd\/\.held\.conf\.lock/);
      assert.equal(
        await sh(host, `stat -c '%a %U' ${lock}; test -e ${path} && echo written || echo untouched`),
        "600 root\nuntouched\n",
      );
    } finally {
      process.kill(holder, "SIGKILL");
    }
    // Now nobody cannot even open it; the writer can.
    const denied = await host.exec([
      "setpriv",
      "--reuid=nobody",
      "--regid=nogroup",
      "--clear-groups",
      "flock",
      "-n",
      lock,
      "true",
    ]);
    assert.notEqual(denied.code, 0);
    assert.equal(
      (await changeRemoteFile(runner, path, () => "[m]\n\tpath = /srv\n", { validate: "rsyncd", lockWaitSeconds: 2 }))
        .changed,
      true,
    );
  });

  test("every script is bounded in time: the client gives up and the host stops the script, for run and spawn", async () => {
    const host = lab.hosts[1]!;
    const runner = openHost({ connection: sudoConnection(host) as never, sudo: true }, pool);
    const ran = await rejection(runner.run("echo $$ > /tmp/bounded-run; exec sleep 300", { timeoutMs: 1500 }));
    assert.equal(ran.code, "timeout");
    const spawned = await runner.spawn("echo $$ > /tmp/bounded-spawn; exec sleep 300", { timeoutMs: 1500 });
    spawned.stdout.resume();
    assert.equal((await rejection(spawned.done)).code, "timeout");
    for (const file of ["/tmp/bounded-run", "/tmp/bounded-spawn"]) {
      const pid = Number(await sh(host, `cat ${file}`));
      assert.ok(pid > 1, `${file} holds the script's pid`);
      await waitUntil(async () => (await host.exec(["sh", "-c", `ps -o stat= -p ${pid} | grep -qv Z`])).code !== 0);
    }
  });

  test("symlinks at the lock, the previous version and the target are refused; what they point to is untouched", async () => {
    const host = lab.hosts[1]!;
    const runner = openHost({ connection: sudoConnection(host) as never, sudo: true }, pool);
    await sh(
      host,
      'mkdir -p /etc/links && chmod 755 /etc/links && printf "victim\\n" > /etc/victim && chmod 644 /etc/victim',
    );

    await sh(host, "ln -s /etc/victim /etc/links/.a.conf.lock");
    let error = await rejection(changeRemoteFile(runner, "/etc/links/a.conf", () => "x\n", { validate: "none" }));
    assert.match(error.message, /refusing \/etc\/links\/\.a\.conf\.lock: it is a symbolic link \(to \/etc\/victim\)/);

    await sh(host, 'printf "old\\n" > /etc/links/b.conf && ln -s /etc/victim /etc/links/.b.conf.previous');
    error = await rejection(changeRemoteFile(runner, "/etc/links/b.conf", () => "new\n", { validate: "none" }));
    assert.match(error.message, /refusing \/etc\/links\/\.b\.conf\.previous: it is a symbolic link/);

    await sh(host, "ln -s /etc/victim /etc/links/c.conf");
    error = await rejection(changeRemoteFile(runner, "/etc/links/c.conf", () => "new\n", { validate: "none" }));
    assert.match(
      error.message,
      /refusing \/etc\/links\/c\.conf: it is a symbolic link \(to \/etc\/victim\); set the path to the file it points to/,
    );
    error = await rejection(readRemoteFile(runner, "/etc/links/c.conf"));
    assert.match(error.message, /symbolic link/);

    assert.equal(
      await sh(
        host,
        "cat /etc/victim; stat -c '%a %U' /etc/victim; cat /etc/links/b.conf; test -e /etc/links/a.conf || echo no-a",
      ),
      "victim\n644 root\nold\nno-a\n",
    );
  });

  test("a world-writable directory is refused, a sticky one accepted; a lock or previous version planted there by another user is not trusted", async () => {
    const host = lab.hosts[1]!;
    const runner = rootRunner(host);
    await sh(
      host,
      'mkdir -p /srv/open /srv/sticky && chmod 777 /srv/open && chmod 1777 /srv/sticky && printf "victim\\n" > /srv/victim',
    );
    const open = await rejection(changeRemoteFile(runner, "/srv/open/a.conf", () => "x\n", { validate: "none" }));
    assert.match(open.message, /refusing to change files in \/srv\/open: its mode 777 lets other users replace them/);
    assert.equal(await sh(host, "ls -A /srv/open"), "", "nothing created, not even the lock");

    const nobody = "setpriv --reuid=nobody --regid=nogroup --clear-groups";
    // A lock another user made in the sticky directory: taken over (root's, 0600), not followed.
    await sh(host, `${nobody} sh -c 'umask 0; : > /srv/sticky/.a.conf.lock'`);
    assert.equal(
      (await changeRemoteFile(runner, "/srv/sticky/a.conf", () => "x\n", { validate: "none" })).changed,
      true,
    );
    assert.equal(await sh(host, "stat -c '%a %U' /srv/sticky/.a.conf.lock /srv/sticky/a.conf"), "600 root\n644 root\n");
    // A previous version another user planted as a symbolic link: refused.
    await sh(host, `${nobody} ln -s /srv/victim /srv/sticky/.a.conf.previous`);
    const planted = await rejection(changeRemoteFile(runner, "/srv/sticky/a.conf", () => "y\n", { validate: "none" }));
    assert.match(planted.message, /refusing \/srv\/sticky\/\.a\.conf\.previous: it is a symbolic link/);
    assert.equal(await sh(host, "cat /srv/victim /srv/sticky/a.conf"), "victim\nx\n");

    // A directory owned by another user: refused.
    await sh(host, "mkdir -p /srv/theirs && chown nobody /srv/theirs && chmod 755 /srv/theirs");
    const theirs = await rejection(changeRemoteFile(runner, "/srv/theirs/a.conf", () => "x\n", { validate: "none" }));
    assert.match(
      theirs.message,
      /refusing to change files in \/srv\/theirs: it belongs to uid \d+, neither root nor the writer/,
    );
  });

  test("secrets: the old content never reaches the provider side, and no previous copy exists at any point of a change", async () => {
    const host = lab.hosts[0]!;
    const path = "/etc/rsyncd/watched.secrets";
    const connection = rootConnection(host);
    const created = await rsyncSecrets.create(
      checked(rsyncSecrets, { connection, path, users: { alice: "old-password-1" } }),
    );
    assert.match(String(created.outs.salt), /^[0-9a-f]{64}$/);
    // Watches the directory on the host for a previous copy while the update runs.
    const watcher = spawnWatcher(host, "/etc/rsyncd/.watched.secrets.previous", "/tmp/stop-watching");
    await waitUntil(async () => (await host.exec(["test", "-e", "/tmp/watching"])).code === 0);
    const updated = await rsyncSecrets.update(
      created.id,
      created.outs,
      checked(rsyncSecrets, { connection, path, users: { alice: "new-password-2" } }),
    );
    await sh(host, ": > /tmp/stop-watching");
    assert.equal(await watcher, "never seen\n");
    assert.equal(updated.outs.salt, created.outs.salt, "the salt stays with the resource");
    assert.notEqual(updated.outs.checksum, created.outs.checksum);
    assert.equal(await sh(host, "ls -A /etc/rsyncd | grep watched"), ".watched.secrets.lock\nwatched.secrets\n");

    // What a change of the file receives from the host, over SSH: no password, old or new.
    const recording = recordingRunner(rootRunner(host));
    let seen: string | undefined;
    await changeRemoteFile(
      recording,
      path,
      (current) => {
        seen = current;
        return "alice:third-password-3\n";
      },
      { mode: 0o600, validate: "none", secret: { salt: String(updated.outs.salt) } },
    );
    assert.equal(seen, SECRET_CONTENT_WITHHELD);
    assert.equal(recording.received().includes("new-password-2"), false);
    assert.match(recording.received(), /^SECRET 600 root root [0-9a-f]{64}\n/);

    // A state from before salting (no salt, plain sha256) still refreshes and is deleted.
    const legacy = { ...updated.outs, salt: undefined, checksum: "stale" };
    const refreshed = await rsyncSecrets.read(created.id, legacy);
    assert.equal(refreshed.id, created.id);
    assert.equal(refreshed.props.salt, undefined);
    assert.equal(
      refreshed.props.checksum,
      createHash("sha256").update("alice:third-password-3\n").digest("hex"),
      "the plain sha256 of old states",
    );
    // Its next update salts it.
    const upgraded = await rsyncSecrets.update(
      created.id,
      legacy,
      checked(rsyncSecrets, { connection, path, users: { alice: "third-password-3" } }),
    );
    assert.match(String(upgraded.outs.salt), /^[0-9a-f]{64}$/);
    assert.notEqual(upgraded.outs.salt, created.outs.salt);
    assert.equal(upgraded.outs.checksum, saltedChecksum(String(upgraded.outs.salt), "alice:third-password-3\n"));
    await rsyncSecrets.delete(created.id, legacy);
    assert.equal(await sh(host, "ls -A /etc/rsyncd | grep watched || true"), ".watched.secrets.lock\n");
  });
});

/** Polls on the host for `path` until `stop` exists: `seen` the first time it is there. */
function spawnWatcher(host: LabHost, path: string, stop: string): Promise<string> {
  const script = `: > /tmp/watching; while [ ! -e ${stop} ]; do if [ -e ${path} ] || [ -L ${path} ]; then echo seen; exit 0; fi; done; echo never seen`;
  return host.exec(["sh", "-c", script], { timeoutMs: 120_000 }).then((result) => result.stdout);
}

function recordingRunner(inner: CommandRunner): CommandRunner & { received(): string } {
  const output: Buffer[] = [];
  return {
    label: inner.label,
    identity: inner.identity,
    received: () => Buffer.concat(output).toString("utf8"),
    async run(script, options) {
      const result: RunResult = await inner.run(script, options);
      output.push(Buffer.from(result.stdout), Buffer.from(result.stderr));
      return result;
    },
    async spawn(script, options) {
      const remote: RemoteProcess = await inner.spawn(script, options);
      remote.stdout.on("data", (chunk: Buffer) => output.push(Buffer.from(chunk)));
      remote.stderr.on("data", (chunk: Buffer) => output.push(Buffer.from(chunk)));
      return remote;
    },
  };
}

async function waitUntil(condition: () => Promise<boolean>): Promise<void> {
  for (let tries = 0; tries < 200; tries++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error("condition not reached within 5 s");
}
