// RsyncServer with `launcher: "systemd"` on a host that does not run systemd (a namespace lab host):
// the program is registered as a user's program registers it (under setMocks), and its resources
// are driven through the real dynamic-provider host in the engine's order (a resource is created
// once everything it depends on was; a failure skips its dependants). The host check refuses before
// any file is written, naming `launcher`. The same server with `launcher: "xinetd"` on the same host
// writes its files and answers, so the snapshot below does see writes.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, test } from "node:test";

import { RsyncServer } from "../../src";
import { labSkipReason } from "../lab/requirements";
import { DYNAMIC_TYPE_PREFIX, MockedProgram, type Registration } from "../fleet/program-mocks";
import { oneHostLab } from "../support/provider-lab";
import {
  DynamicResourceLifecycle,
  ProviderHostError,
  startProviderHost,
  withoutSecretMarks,
  type ProviderHost,
} from "../support/provider-host";

/** Every file and directory the server could write, with mode, owner, size and time. */
const WATCHED = "/etc/rsyncd /etc/xinetd.d /etc/systemd/system /srv/refused";

interface Attempt {
  name: string;
  lifecycle: DynamicResourceLifecycle;
  error?: unknown;
}

/**
 * Creates the dynamic resources of `registrations` as the engine does: each once all it depends on
 * was created, none whose dependency failed. Returns every resource in the order it was tried.
 */
async function up(host: ProviderHost, registrations: Registration[]): Promise<Attempt[]> {
  const dynamic = registrations.filter((r) => r.type.startsWith(DYNAMIC_TYPE_PREFIX));
  const urns = new Set(dynamic.map((r) => r.urn));
  const done = new Map<string, Attempt>();
  const attempts: Attempt[] = [];
  for (let progress = true; progress;) {
    progress = false;
    for (const registration of dynamic) {
      if (done.has(registration.urn)) continue;
      const dependencies = registration.dependencies.filter((urn) => urns.has(urn)).map((urn) => done.get(urn));
      if (dependencies.some((attempt) => attempt === undefined || attempt.error !== undefined)) continue;
      const { __provider: providerText, ...inputs } = registration.inputs;
      const attempt: Attempt = {
        name: registration.name,
        lifecycle: new DynamicResourceLifecycle(host, registration.urn),
      };
      await attempt.lifecycle.up(String(providerText), withoutSecretMarks(inputs)).catch((error: unknown) => {
        attempt.error = error;
      });
      done.set(registration.urn, attempt);
      attempts.push(attempt);
      progress = true;
    }
  }
  return attempts;
}

describe("RsyncServer refuses launcher systemd on a host without systemd", { skip: labSkipReason() }, () => {
  const lab = oneHostLab();

  test("the host check fails first, naming `launcher`; nothing is written; xinetd on the same host works", async () => {
    const host = await startProviderHost();
    try {
      await lab.sh("test ! -e /run/systemd/system && mkdir -p /srv/refused");
      const snapshot = () =>
        lab.sh(`find ${WATCHED} -printf '%p %m %u:%g %s %T@\\n' 2>/dev/null | sort; ls -a /etc/xinetd.d`);
      const before = await snapshot();

      const program = await MockedProgram.start("launcher-refused", {});
      const server = (name: string, launcher: "systemd" | "xinetd") =>
        new RsyncServer(name, {
          connection: lab.connection as never,
          configPath: `/etc/rsyncd/${name}.conf`,
          global: { port: 873, useChroot: false },
          secrets: { path: `/etc/rsyncd/${name}.secrets`, users: { alice: "pw" } },
          modules: { pub: { path: "/srv/refused", comment: "refused", authUsers: ["alice"] } },
          launcher,
        });
      server("gated", "systemd");
      server("open", "xinetd");
      await program.settled();
      const of = (prefix: string) => program.registrations.filter((r) => r.name.startsWith(`${prefix}-`));

      const refused = await up(host, of("gated"));
      assert.deepEqual(
        refused.map((attempt) => attempt.name),
        ["gated-systemd-check"],
        "nothing runs after the failed check",
      );
      const error = refused[0]!.error;
      assert.ok(error instanceof ProviderHostError, String(error));
      assert.match(error.message, /`launcher: "systemd"` needs systemd, but the host has no systemd/);
      assert.match(error.message, /nothing was written/);
      assert.equal(error.partial, undefined, "a plain failure: nothing to keep in the state");
      assert.equal(await snapshot(), before, "the host is as it was");

      // The same server under xinetd: the snapshot sees its files, and rsync answers with the module.
      const served = await up(host, of("open"));
      assert.deepEqual(
        served.filter((attempt) => attempt.error !== undefined).map((a) => [a.name, String(a.error)]),
        [],
      );
      assert.ok(!served.some((attempt) => attempt.name.endsWith("-check")), "xinetd needs no check");
      assert.notEqual(await snapshot(), before, "the xinetd server's files are on the host");
      const listing = spawnSync("rsync", ["--contimeout=5", `rsync://${lab.host.address}/`], { encoding: "utf8" });
      assert.match(listing.stdout, /^pub\s+refused$/m, listing.stderr);
      for (const attempt of served.reverse()) await attempt.lifecycle.destroy();
      await lab.sh(
        "test ! -e /etc/rsyncd/open.conf && test ! -e /etc/rsyncd/open.secrets && test ! -e /etc/xinetd.d/rsync",
      );
    } finally {
      await host.stop();
    }
  });
});
