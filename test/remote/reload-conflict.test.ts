// One reload covers every xinetd service changed on a host, so services on one host that ask for
// different `reload` strategies are refused (before their file is touched) instead of the first one
// silently deciding. Runs this machine's real file-change scripts and xinetd validation through the
// local runner, with strategy `none` so nothing reloads the machine's own xinetd.
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";

import { changeXinetdService, ReloadConflictError, xinetdReloaderFor } from "../../src/remote";
import { LocalCommandRunner } from "../../src/remote/local-runner";
import type { CommandRunner } from "../../src/remote/transport";

function echoService(id: string, port: number): string {
  return `service echo\n{\n\ttype = INTERNAL UNLISTED\n\tid = ${id}\n\tsocket_type = stream\n\tprotocol = tcp\n\tport = ${port}\n\twait = no\n}\n`;
}

/** A runner with its own identity, so each test starts with no reloader for its "host". */
function runnerNamed(name: string): CommandRunner {
  const local = new LocalCommandRunner();
  return {
    label: `${name}@${local.label}`,
    identity: JSON.stringify(["reload-conflict", name]),
    run: local.run.bind(local),
    spawn: local.spawn.bind(local),
  };
}

describe("reload strategies of services on one host", () => {
  let dir: string;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "pxreload-"));
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test("a second service with another strategy is refused, naming `reload`, both values and the first service", async () => {
    const runner = runnerNamed("conflict");
    const first = path.join(dir, "first");
    const second = path.join(dir, "second");
    const done = await changeXinetdService(runner, first, () => echoService("first", 17901), { strategy: "none" });
    assert.equal(done.reload?.strategy, "none");

    await assert.rejects(
      changeXinetdService(runner, second, () => echoService("second", 17902), { strategy: "signal" }),
      (error: unknown) => {
        assert.ok(error instanceof ReloadConflictError);
        assert.equal(
          error.message,
          `conflict@${new LocalCommandRunner().label}: \`reload\` is "signal" for ${second}, but "none" for ${first} on the same host; ` +
            "one reload covers every xinetd service changed on a host, so every XinetdService on it must set the same `reload`.",
        );
        return true;
      },
    );
    assert.deepEqual(
      (await readdir(dir)).filter((name) => name.includes("second")),
      [],
      "the refused service file was not written",
    );

    // `auto` (no strategy) differs from an explicit one too, and a command is shown as written.
    assert.throws(
      () => xinetdReloaderFor(runner, {}, "/etc/xinetd.d/third"),
      /`reload` is "auto" for \/etc\/xinetd\.d\/third, but "none" for /,
    );
    assert.throws(
      () => xinetdReloaderFor(runner, { strategy: { command: "systemctl reload xinetd" } }, "/etc/xinetd.d/fourth"),
      /`reload` is \{"command":"systemctl reload xinetd"\} for \/etc\/xinetd\.d\/fourth, but "none" for /,
    );
  });

  test("services that agree share the host's reloader and batch", async () => {
    const runner = runnerNamed("agree");
    const command = { command: "true" };
    const reloader = xinetdReloaderFor(runner, { strategy: command }, "/etc/xinetd.d/a");
    assert.equal(xinetdReloaderFor(runner, { strategy: { command: "true" } }, "/etc/xinetd.d/b"), reloader);
    const autoRunner = runnerNamed("agree-auto");
    assert.equal(
      xinetdReloaderFor(autoRunner, {}, "/etc/xinetd.d/a"),
      xinetdReloaderFor(autoRunner, {}, "/etc/xinetd.d/b"),
    );

    const noneRunner = runnerNamed("agree-none");
    const changes = await Promise.all(
      ["one", "two"].map((name, i) =>
        changeXinetdService(noneRunner, path.join(dir, `agree-${name}`), () => echoService(name, 17911 + i), {
          strategy: "none",
        }),
      ),
    );
    assert.deepEqual(
      changes.map((change) => [change.change.changed, change.reload?.strategy, change.reload?.batchSize]),
      [
        [true, "none", 2],
        [true, "none", 2],
      ],
    );
  });

  test("another host (another identity) keeps its own strategy", () => {
    xinetdReloaderFor(runnerNamed("host-a"), { strategy: "none" }, "/etc/xinetd.d/a");
    assert.doesNotThrow(() => xinetdReloaderFor(runnerNamed("host-b"), { strategy: "signal" }, "/etc/xinetd.d/a"));
  });
});
