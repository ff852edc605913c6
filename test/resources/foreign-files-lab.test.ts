// No takeover of foreign files (issue 8, item 7), provider methods on a lab host over real SSH:
// a module or the global part is not written into an existing file that is not an rsyncd.conf
// (lines rsync would reject or ignore) unless `adopt` is set; the refusal names the file, the
// first offending lines by number and rule (never their text) and how to adopt. An empty or
// comments-only file is an rsyncd.conf to start. XinetdService and RsyncSecrets never write over
// an existing file without `adopt`.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { rsyncdConfig, rsyncModule, rsyncSecrets, xinetdService } from "../../src/provider";
import { labSkipReason } from "../lab/requirements";
import { checked, oneHostLab, type ProviderKind as Kind } from "../support/provider-lab";
import { rsyncVerdict } from "../support/rsync-oracle";

const skip = labSkipReason();

async function refusal(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(
    () => undefined,
    (error: Error) => error,
  );
  assert.ok(outcome instanceof Error, "the call is refused");
  return outcome;
}

describe("foreign files on a lab host", { skip }, () => {
  const lab = oneHostLab();

  test("RsyncModule and RsyncdConfig refuse /etc/hosts without adopt and leave it byte for byte", async () => {
    const before = await lab.sh('cat /etc/hosts; stat -c "%i %s %Y %a" /etc/hosts');
    assert.match(before, /localhost/);
    const moduleError = await refusal(
      rsyncModule.create(
        checked(rsyncModule, { connection: lab.connection, configPath: "/etc/hosts", moduleName: "x", path: "/srv" }),
      ),
    );
    assert.match(
      moduleError.message,
      /\/etc\/hosts is not an rsyncd\.conf: rsync would reject or ignore line 1 \(badly-formed-line\)/,
    );
    assert.match(moduleError.message, /refusing to add module \[x\] to it/);
    assert.match(moduleError.message, /`configPath`.*`adopt: true`/);
    // The file is not ours: its text stays out of the error (it could be /etc/shadow).
    assert.doesNotMatch(moduleError.message, /localhost|127\.0\.0\.1/);

    const globalError = await refusal(
      rsyncdConfig.create(
        checked(rsyncdConfig, { connection: lab.connection, configPath: "/etc/hosts", useChroot: false }),
      ),
    );
    assert.match(globalError.message, /\/etc\/hosts is not an rsyncd\.conf: .*refusing to add the global part to it/);
    assert.equal(await lab.sh('cat /etc/hosts; stat -c "%i %s %Y %a" /etc/hosts'), before);
  });

  // `PATH=` is rsync's `path` (names are case-insensitive): the other lines give the file away.
  test("a file of KEY=value lines (unknown parameters) is refused; the first three lines are named and the rest counted", async () => {
    await lab.sh(
      'mkdir -p /etc/rsyncd && printf "# env\\nPATH=/usr/bin\\nLANG=C\\nTZ=UTC\\nEDITOR=vi\\nPAGER=less\\n" >/etc/rsyncd/environment',
    );
    const before = await lab.sh("cat /etc/rsyncd/environment");
    const error = await refusal(
      rsyncModule.create(
        checked(rsyncModule, {
          connection: lab.connection,
          configPath: "/etc/rsyncd/environment",
          moduleName: "x",
          path: "/srv",
        }),
      ),
    );
    assert.match(
      error.message,
      /line 3 \(unknown-parameter\), line 4 \(unknown-parameter\), line 5 \(unknown-parameter\) and 1 more;/,
    );
    assert.equal(await lab.sh("cat /etc/rsyncd/environment"), before);
  });

  test("an empty file and a comments-only file are rsyncd.conf files to start: create writes into them", async () => {
    await lab.sh(
      'mkdir -p /etc/rsyncd && : >/etc/rsyncd/empty.conf && printf "# rsyncd.conf\\n; managed by pulumi\\n\\n" >/etc/rsyncd/comments.conf',
    );
    const empty = await rsyncModule.create(
      checked(rsyncModule, {
        connection: lab.connection,
        configPath: "/etc/rsyncd/empty.conf",
        moduleName: "e",
        path: "/srv",
      }),
    );
    assert.equal(await lab.sh("cat /etc/rsyncd/empty.conf"), "[e]\n\tpath = /srv\n");
    const global = await rsyncdConfig.create(
      checked(rsyncdConfig, { connection: lab.connection, configPath: "/etc/rsyncd/comments.conf", useChroot: false }),
    );
    const module = await rsyncModule.create(
      checked(rsyncModule, {
        connection: lab.connection,
        configPath: "/etc/rsyncd/comments.conf",
        moduleName: "c",
        path: "/srv",
      }),
    );
    const text = await lab.sh("cat /etc/rsyncd/comments.conf");
    assert.match(text, /^# rsyncd\.conf\n; managed by pulumi\n/);
    assert.deepEqual(
      (await rsyncVerdict(text)).modules.map((m) => m.name),
      ["c"],
    );
    await rsyncModule.delete(module.id, module.outs);
    await rsyncdConfig.delete(global.id, global.outs);
    await rsyncModule.delete(empty.id, empty.outs);
  });

  test("with adopt the module is written into the foreign file, its lines kept", async () => {
    await lab.sh('mkdir -p /etc/rsyncd && printf "127.0.0.1 localhost\\n::1 localhost\\n" >/etc/rsyncd/hosts-copy');
    const { id, outs } = await rsyncModule.create(
      checked(rsyncModule, {
        connection: lab.connection,
        configPath: "/etc/rsyncd/hosts-copy",
        moduleName: "adopted",
        path: "/srv",
        adopt: true,
      }),
    );
    assert.equal(
      await lab.sh("cat /etc/rsyncd/hosts-copy"),
      "127.0.0.1 localhost\n::1 localhost\n\n[adopted]\n\tpath = /srv\n",
    );
    assert.equal((await rsyncModule.read(id, outs)).id, id);
  });

  test("RsyncSecrets over an existing file that is not a secrets file refuses it without adopt, untouched and unquoted", async () => {
    const before = await lab.sh('cat /etc/hosts; stat -c "%i %s %Y %a" /etc/hosts');
    const error = await refusal(
      rsyncSecrets.create(
        checked(rsyncSecrets as unknown as Kind, {
          connection: lab.connection,
          path: "/etc/hosts",
          users: { alice: "pw-not-shown" },
        }),
      ),
    );
    assert.match(error.message, /\/etc\/hosts.*adopt: true/s);
    assert.doesNotMatch(error.message, /localhost|pw-not-shown/);
    assert.equal(await lab.sh('cat /etc/hosts; stat -c "%i %s %Y %a" /etc/hosts'), before);
  });

  test("RsyncSecrets create takes over a file that holds exactly its users (a lost answer), and refuses one that holds others", async () => {
    const path = "/etc/rsyncd/converge.secrets";
    await lab.sh(`printf 'alice:pw-a\\nbob:pw-b\\n' >${path} && chmod 600 ${path}`);
    const inputs = checked(rsyncSecrets as unknown as Kind, {
      connection: lab.connection,
      path,
      users: { bob: "pw-b", alice: "pw-a" },
    });
    const created = await rsyncSecrets.create(inputs);
    assert.deepEqual(created.outs.userNames, ["alice", "bob"]);
    assert.equal(await lab.sh(`cat ${path}`), "alice:pw-a\nbob:pw-b\n");

    await lab.sh(`printf 'alice:other\\n' >${path}`);
    const error = await refusal(rsyncSecrets.create(inputs));
    assert.match(error.message, /already exists and is not managed by this stack.*`adopt: true`/s);
    assert.doesNotMatch(error.message, /pw-a|other/);
    assert.equal(await lab.sh(`cat ${path}`), "alice:other\n");
    await lab.sh(`rm -f ${path}`);
  });

  test("XinetdService whose serviceName and configDir name an existing non-xinetd file refuses it without adopt, untouched", async () => {
    const before = await lab.sh('cat /etc/hosts; stat -c "%i %s %Y %a" /etc/hosts');
    const inputs = checked(xinetdService as unknown as Kind, {
      connection: lab.connection,
      configDir: "/etc",
      serviceName: "hosts",
      type: ["UNLISTED"],
      port: 7390,
      socketType: "stream",
      wait: false,
      user: "nobody",
      server: "/bin/cat",
    });
    const error = await refusal(xinetdService.create(inputs));
    assert.match(
      error.message,
      /the xinetd service file \/etc\/hosts already exists and is not managed by this stack.*`adopt: true`/s,
    );
    assert.doesNotMatch(error.message, /localhost/);
    assert.equal(await lab.sh('cat /etc/hosts; stat -c "%i %s %Y %a" /etc/hosts'), before);
  });
});
