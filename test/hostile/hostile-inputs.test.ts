// The attacker's view of every input of every resource: each hostile value of cases.ts goes through
// the real @pulumi/pulumi dynamic-provider host (check, then create, as the engine would) against a
// lab host, and is either refused by check naming its property with the host byte-identical, or
// applied and then observed harmless with the real daemons: the real rsync client in the root
// namespace (daemon over ssh, so `hosts allow` sees the root namespace's address), a TCP client
// of the real xinetd, the files on the host. Then the issue's items end to end, and hosts whose
// root login shell is fish or tcsh.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join, posix } from "node:path";
import { after, before, describe, test } from "node:test";

import { RsyncServer, type RsyncServerArgs } from "../../src/resources";
import { MockedProgram, DYNAMIC_TYPE_PREFIX, isSecret } from "../fleet/program-mocks";
import { startLab, type Lab, type LabHost } from "../lab/lab";
import { labSkipReason } from "../lab/requirements";
import {
  ProgramResource,
  providerTexts,
  rootConnection,
  TYPE_NAMES,
  urnOf,
  type ProviderTexts,
} from "../support/program-resources";
import {
  CheckFailedError,
  registeredInputs,
  startProviderHost,
  type PropertyBag,
  type ProviderHost,
} from "../support/provider-host";
import {
  baseInputs,
  CASES,
  MARKER,
  MODULE_DIR,
  propertyName,
  RSYNC_CONFIG,
  withValue,
  XINETD_PORT_BASE,
  type HostileCase,
  type HostileKind,
  type Observer,
} from "./cases";
import { failureText, namesProperty } from "./verdicts";

const skip = labSkipReason();
const SSH_TIMEOUT_MS = 20_000;
/** Harmless cases run this many at a time (each owns its files, service and port). */
const CONCURRENCY = 6;

type ResourceKind = keyof typeof TYPE_NAMES;

/** Runs a local program; resolves with its exit code and output, never rejects on a non-zero exit. */
function run(
  file: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { env: { ...process.env, ...env }, timeout: SSH_TIMEOUT_MS, killSignal: "SIGKILL", maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== "number") reject(error);
        else resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
      },
    );
  });
}

/** POSIX-sh single quoting; fish and tcsh read `'\''` the same way. */
const shellQuote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** Engine-side view of mocked registration inputs: secret envelopes unwrapped (the host does not accept secrets). */
function unwrapSecrets(value: unknown): unknown {
  if (isSecret(value)) return unwrapSecrets((value as { value: unknown }).value);
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (value !== null && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
  return value;
}

describe("hostile inputs through the real provider host on lab hosts", { skip }, () => {
  let lab: Lab;
  let target: LabHost;
  let host: ProviderHost;
  let texts: ProviderTexts;
  let connection: PropertyBag;
  let gateway: string;
  let scratch: string;

  const sh = async (on: LabHost, script: string, ...args: string[]): Promise<string> => {
    const result = await on.exec(["sh", "-c", script, "sh", ...args]);
    assert.equal(result.code, 0, `${script}: ${result.stderr}`);
    return result.stdout;
  };

  /**
   * Every file and link a change or an injection could touch on the host, with mode and owner: equal means
   * byte-identical.
   */
  const snapshot = (on: LabHost) =>
    sh(
      on,
      `
    set -- /etc/xinetd.d /etc/rsyncd /etc/hosts /etc/passwd /etc/cron.d /srv /tmp /root
    find "$@" -xdev \\( -type f -o -type l -o -type d \\) -printf '%m %u %g %y %s %p -> %l\\n' 2>/dev/null | sort
    find "$@" -xdev -type f -print0 2>/dev/null | sort -z | xargs -0 -r sha256sum
    cat /run/xinetd.pid`,
    );

  /**
   * Byte-identical, or the lines that differ (a file's mode, owner, size and name, or its checksum).
   * `afterCreate`: a create ran and was rejected; the remote layer's empty `.<name>.lock` beside the
   * target may stay (it holds nothing; its mode is item 5's own test).
   */
  const assertSameHost = (before: string, now: string, afterCreate = false) => {
    const was = new Set(before.split("\n"));
    const is = new Set(now.split("\n"));
    const emptyLock = (line: string) =>
      afterCreate &&
      (/^\d+ \S+ \S+ f 0 \S*\/\.[^/]+\.lock -> $/.test(line) ||
        /^e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 {2}\S*\/\.[^/]+\.lock$/.test(line));
    const gone = [...was].filter((line) => !is.has(line));
    const added = [...is].filter((line) => !was.has(line) && !emptyLock(line));
    assert.ok(
      gone.length === 0 && added.length === 0,
      `the host changed: ${[...gone.map((l) => `- ${l}`), ...added.map((l) => `+ ${l}`)].join("; ")}`,
    );
  };

  /** No marker file on the host nor on this machine. */
  const assertNoMarkers = async (on: LabHost, ids: string[]) => {
    const found = (await sh(on, "ls -A /tmp")).split("\n").filter((name) => name.startsWith("pwned-"));
    assert.deepEqual(found, [], `injected commands ran on ${on.name}`);
    for (const id of ids)
      assert.equal(existsSync(MARKER(id)), false, `an injected command ran on this machine (${MARKER(id)})`);
  };

  const sshOptions = () =>
    `ssh -l root -i ${lab.rootKeyPath} -o UserKnownHostsFile=${lab.knownHostsPath} -o StrictHostKeyChecking=yes -o BatchMode=yes -o LogLevel=ERROR`;

  /**
   * The real rsync client, over ssh in daemon mode, against the daemon reading `configPath` (the host is in `args`).
   */
  const rsyncClient = (configPath: string, args: string[], auth?: { user: string; password: string }) =>
    run(
      "rsync",
      ["-e", sshOptions(), `--rsync-path=rsync --config=${shellQuote(configPath)}`, ...args],
      auth ? { RSYNC_PASSWORD: auth.password } : { RSYNC_PASSWORD: "no-password-here" },
    );

  const remote = (on: LabHost, path: string, auth?: { user: string }) =>
    `${auth ? `${auth.user}@` : ""}${on.address}::${path}`;

  function observer(on: LabHost, id: string, inputs: PropertyBag, outputs: PropertyBag): Observer {
    return {
      id,
      inputs,
      outputs,
      async file(path) {
        const result = await on.exec(["cat", "--", path]);
        return result.code === 0 ? result.stdout : undefined;
      },
      async rsyncModules(configPath) {
        const listing = await rsyncClient(configPath, [remote(on, "")]);
        if (listing.code !== 0)
          throw new Error(`rsync listing of ${configPath} failed (${listing.code}): ${listing.stderr.trim()}`);
        return listing.stdout
          .split("\n")
          .filter((line) => line.includes("\t"))
          .map((line) => {
            const tab = line.indexOf("\t");
            return { name: line.slice(0, tab).trimEnd(), comment: line.slice(tab + 1) };
          });
      },
      async rsyncEntries(configPath, module, auth) {
        const listing = await rsyncClient(configPath, [remote(on, `${module}/`, auth)], auth);
        if (listing.code !== 0)
          return { error: listing.stderr.split("\n").find((l) => /ERROR/.test(l)) ?? listing.stderr.trim() };
        return listing.stdout
          .split("\n")
          .map((line) => /^\S+\s+[\d,]+\s+\S+\s+\S+\s(.*)$/.exec(line)?.[1])
          .filter((n): n is string => n !== undefined && n !== ".");
      },
      async rsyncReadOnly(configPath, module) {
        const probe = join(scratch, "probe");
        writeFileSync(probe, "probe\n");
        // Over a remote shell the client sometimes exits 1 before printing the daemon's message: ask again then.
        for (let attempt = 1; ; attempt++) {
          const upload = await rsyncClient(configPath, ["--dry-run", probe, remote(on, `${module}/`)]);
          if (upload.stderr.includes("ERROR: module is read only")) return true;
          if (upload.code === 0 || attempt === 5) return `exit ${upload.code}: ${upload.stderr.trim()}`;
        }
      },
      tcp: (port) =>
        new Promise((resolve, reject) => {
          const socket = net.connect({ host: on.address, port });
          const chunks: Buffer[] = [];
          socket.setTimeout(5_000, () => socket.destroy(new Error(`port ${port}: no end within 5 s`)));
          socket.on("data", (chunk: Buffer) => chunks.push(chunk));
          socket.on("error", reject);
          socket.on("close", (hadError) => {
            if (!hadError) resolve(Buffer.concat(chunks).toString("utf8"));
          });
        }),
      async xinetdProblems(path) {
        return readFileSync(join(on.dir, "var/log/xinetd.log"), "utf8")
          .split("\n")
          .filter((line) => line.includes(`[file=${path}]`) && /ERROR|WARNING/.test(line));
      },
    };
  }

  const resource = (kind: ResourceKind, name: string, via: ProviderHost = host) =>
    new ProgramResource(via, kind, name, texts);

  /** What the engine would do with these inputs: check, then create when check passes. */
  async function up(
    kind: ResourceKind,
    name: string,
    inputs: PropertyBag,
    via: ProviderHost = host,
  ): Promise<
    | { outcome: "refused"; failures: { property: string; reason: string }[] }
    | { outcome: "created"; outputs: PropertyBag }
    | { outcome: "failed"; error: unknown }
  > {
    const r = resource(kind, name, via);
    try {
      await r.up(inputs);
      return { outcome: "created", outputs: r.outputs };
    } catch (error) {
      if (error instanceof CheckFailedError) return { outcome: "refused", failures: error.failures };
      return { outcome: "failed", error };
    }
  }

  /** What a case needs on the host before its resource: a guard module (global part), an auth module (secrets). */
  async function prerequisites(c: HostileCase, inputs: PropertyBag): Promise<void> {
    const module = (moduleName: string, extra: PropertyBag) =>
      up("rsyncModule", `pre-${c.id}`, {
        connection,
        configPath: RSYNC_CONFIG(c.id),
        moduleName,
        path: MODULE_DIR(c.id),
        comment: `guard ${c.id}`,
        hostsAllow: [gateway],
        readOnly: true,
        ...extra,
      });
    let result;
    if (c.kind === "rsyncdConfig") result = await module("guard", { configPath: inputs.configPath });
    else if (c.kind === "rsyncSecrets" && c.expect.outcome !== "refused") {
      const users = inputs.users as Record<string, string>;
      const first = typeof users === "object" ? Object.keys(users)[0] : undefined;
      if (first === undefined || /[\s,]/.test(first)) return;
      result = await module(`a${c.id}`, { authUsers: [first], secretsFile: inputs.path });
    } else return;
    assert.equal(result.outcome, "created", `the case's prerequisite module: ${JSON.stringify(result)}`);
  }

  /** One case from the table, end to end; throws with a one-line verdict when the expectation is not met. */
  async function runCase(c: HostileCase, n: number, exclusive: boolean): Promise<void> {
    const based = { ...baseInputs(c.kind, { id: c.id, n, connection, gateway }), ...c.base };
    const inputs = withValue(
      Object.fromEntries(Object.entries(based).filter(([, v]) => v !== null)),
      c.property,
      c.value,
    );
    if (c.kind === "rsyncServer") return runServerCase(c, inputs, exclusive);
    await prerequisites(c, inputs);
    const before = exclusive ? await snapshot(target) : undefined;
    const result = await up(c.kind, `h-${c.id}`, inputs);
    await assertNoMarkers(target, [c.id]);
    const expected = c.expect;
    const property = "property" in expected ? expected.property : "";
    const unchanged = async () => {
      if (before !== undefined) assertSameHost(before, await snapshot(target));
    };
    if (result.outcome === "refused") {
      assert.ok(
        expected.outcome !== "harmless",
        `refused, but a demanding user expects it to work: ${failureText(new CheckFailedError(result.failures))}`,
      );
      assert.ok(
        namesProperty(result.failures, property),
        `refused without naming \`${propertyName(property)}\`: ${failureText(new CheckFailedError(result.failures))}`,
      );
      return unchanged();
    }
    assert.ok(
      expected.outcome !== "refused",
      `check did not refuse it (expected a failure naming \`${propertyName(property)}\`); create then ${result.outcome === "created" ? "succeeded" : `failed: ${failureText(result.error)}`}`,
    );
    if (expected.outcome === "refusedOrRejected") {
      assert.equal(result.outcome, "failed", "check passed and create succeeded");
      if (before !== undefined) assertSameHost(before, await snapshot(target), true);
      return;
    }
    if (result.outcome === "failed") assert.fail(`check passed but create failed: ${failureText(result.error)}`);
    await expected.observe(observer(target, c.id, inputs, result.outputs));
    await assertNoMarkers(target, [c.id]);
  }

  /**
   * An RsyncServer case: the component is constructed as a program would (under mocks, so its
   * children's inputs are exactly what it registers), every child is checked first (`pulumi up`
   * previews: one failed check stops everything), then created in dependency order.
   */
  async function runServerCase(c: HostileCase, inputs: PropertyBag, exclusive: boolean): Promise<void> {
    const program = await MockedProgram.start("hostile", {});
    new RsyncServer(`srv-${c.id}`, inputs as unknown as RsyncServerArgs);
    await program.settled();
    const children = program.registrations
      .filter((r) => r.type.startsWith(DYNAMIC_TYPE_PREFIX))
      .map((r) => {
        const typeName = r.type.slice(DYNAMIC_TYPE_PREFIX.length);
        const kind = (Object.keys(TYPE_NAMES) as ResourceKind[]).find((k) => TYPE_NAMES[k] === typeName)!;
        const { __provider: _text, ...rest } = unwrapSecrets(r.inputs) as PropertyBag;
        return { kind, name: r.name, inputs: rest };
      });
    const order: ResourceKind[] = ["rsyncdConfig", "rsyncSecrets", "rsyncModule", "xinetdService", "rsyncListing"];
    children.sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind));
    const before = exclusive ? await snapshot(target) : undefined;
    const failures: { property: string; reason: string }[] = [];
    for (const child of children) {
      const checked = await host.check(
        urnOf(child.kind, child.name),
        {},
        registeredInputs(texts[child.kind], child.inputs),
      );
      failures.push(...checked.failures.map((f) => ({ property: f.property, reason: `${child.name}: ${f.reason}` })));
    }
    const expected = c.expect;
    const property = "property" in expected ? expected.property : "";
    if (failures.length > 0) {
      assert.ok(
        expected.outcome !== "harmless",
        `refused, but a demanding user expects it to work: ${failureText(new CheckFailedError(failures))}`,
      );
      assert.ok(
        namesProperty(failures, property),
        `refused without naming \`${propertyName(property)}\`: ${failureText(new CheckFailedError(failures))}`,
      );
      if (before !== undefined) assertSameHost(before, await snapshot(target));
      return;
    }
    // What the engine would apply after a clean preview; a refusal expected at check fails here, with what it did to
    // the host.
    const applied: string[] = [];
    for (const child of children) {
      const result = await up(child.kind, child.name, child.inputs);
      if (result.outcome !== "created") {
        assert.fail(
          `${child.name} failed at create after every check passed: ${result.outcome === "failed" ? failureText(result.error) : ""}; applied before it: ${applied.join(", ") || "nothing"}`,
        );
      }
      applied.push(child.name);
    }
    await assertNoMarkers(target, [c.id]);
    assert.ok(
      expected.outcome === "harmless" || expected.outcome === "either",
      `every check passed (expected a failure naming \`${propertyName(property)}\`); applied ${applied.join(", ")}`,
    );
    await expected.observe(observer(target, c.id, inputs, {}));
    await assertNoMarkers(target, [c.id]);
  }

  before(async () => {
    texts = await providerTexts();
    lab = await startLab({ hosts: 3 });
    target = lab.hosts[0]!;
    // One dial attempt: cases with a hostile host name fail fast instead of retrying.
    connection = { ...rootConnection(lab, target), dialErrorLimit: 0 };
    gateway = target.address.replace(/\d+$/, (last) => String(Number(last) - 1));
    scratch = mkdtempSync(join(tmpdir(), "hostile-"));
    // One directory per case, holding one file named after it; readable by `nobody` (rsync's default uid).
    const ids = CASES.map((c) => c.id).concat(["item1", "fish", "tcsh"]);
    await sh(
      target,
      'for id do mkdir -p "/srv/hostile/$id" && : > "/srv/hostile/$id/$id"; done; chmod -R a+rX /srv/hostile',
      ...ids,
    );
    // A path value holding `/` inside its `$()` names a directory such as `/etc/rsyncd/h-m71'$(touch /tmp`: it exists,
    // so the value reaches every script that handles the path instead of stopping at a missing directory.
    const dirs = CASES.flatMap((c) =>
      ["configPath", "path"].includes(c.property) &&
      typeof c.value === "string" &&
      c.value.startsWith("/etc/rsyncd/") &&
      // eslint-disable-next-line no-control-regex -- cases with control characters are the point
      !/[\u0000-\u001f]/.test(c.value)
        ? [posix.dirname(c.value)]
        : [],
    ).filter((dir) => dir !== "/etc/rsyncd");
    const made = await target.exec(["mkdir", "-p", "--", ...dirs]);
    assert.equal(made.code, 0, made.stderr);
    for (const other of lab.hosts.slice(1))
      await sh(
        other,
        'for id do mkdir -p "/srv/hostile/$id" && : > "/srv/hostile/$id/$id"; done; chmod -R a+rX /srv/hostile',
        "fish",
        "tcsh",
      );
    host = await startProviderHost();
  });

  after(async () => {
    await host?.stop();
    await lab?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  // Cases that must leave the host byte-identical (or may) run one at a time, each between two snapshots.
  const exclusiveCases = CASES.filter((c) => c.expect.outcome !== "harmless");
  const sharedCases = CASES.filter((c) => c.expect.outcome === "harmless");
  const label = (c: HostileCase) =>
    `${c.id} ${c.kind}.${propertyName(c.property)}: ${c.what} → ${c.expect.outcome}${"property" in c.expect ? ` ${c.expect.property}` : ""}`;

  test("the table covers every resource kind, and at least 60 hostile values", () => {
    const kinds = new Set<HostileKind>(CASES.map((c) => c.kind));
    assert.deepEqual([...kinds].sort(), [
      "rsyncModule",
      "rsyncSecrets",
      "rsyncServer",
      "rsyncdConfig",
      "xinetdService",
    ]);
    assert.ok(CASES.length >= 60, `${CASES.length} cases`);
    assert.equal(new Set(CASES.map((c) => c.id)).size, CASES.length, "ids are unique");
  });

  describe("values refused by check (or harmless where either is fair), one at a time between two snapshots of the host", () => {
    for (const c of exclusiveCases) test(label(c), () => runCase(c, CASES.indexOf(c), true));
  });

  describe("values applied through create and observed with the real daemons", { concurrency: CONCURRENCY }, () => {
    for (const c of sharedCases) test(label(c), () => runCase(c, CASES.indexOf(c), false));
  });

  describe("the issue's items, as an attacker meets them", () => {
    test('item 1: `dontCompress: ["*.gz\\\\"]` before `hosts allow` is refused, and the real client in the root namespace never lists the module\'s files', async () => {
      const service = await up("xinetdService", "item1-rsyncd", {
        connection,
        serviceName: "rsync",
        socketType: "stream",
        wait: false,
        user: "root",
        server: "/usr/bin/rsync",
        serverArgs: ["--daemon", "--config=/etc/rsyncd/rsyncd.conf"],
        disable: false,
      });
      assert.equal(service.outcome, "created", JSON.stringify(service));
      const before = await snapshot(target);
      const result = await up("rsyncModule", "item1", {
        connection,
        configPath: "/etc/rsyncd/rsyncd.conf",
        moduleName: "item1",
        path: MODULE_DIR("item1"),
        dontCompress: ["*.gz\\"],
        hostsAllow: ["192.0.2.1"],
        readOnly: true,
      });
      const listing = await run("rsync", [`rsync://${target.address}/item1/`]);
      assert.doesNotMatch(
        listing.stdout,
        /item1/,
        `a client outside \`hosts allow\` listed the files: ${listing.stdout}`,
      );
      assert.equal(result.outcome, "refused", "check let it through");
      assert.ok(namesProperty(result.failures, "dontCompress"), JSON.stringify(result.failures));
      assertSameHost(before, await snapshot(target));
    });

    test('item 1: `authUsers: ["alice\\\\"]` cannot swallow `read only`: refused naming authUsers', async () => {
      const result = await up("rsyncModule", "item1-auth", {
        connection,
        configPath: RSYNC_CONFIG("item1b"),
        moduleName: "item1b",
        path: MODULE_DIR("item1"),
        authUsers: ["alice\\"],
        readOnly: true,
        secretsFile: "/etc/rsyncd/none.secrets",
      });
      assert.equal(result.outcome, "refused", `check let it through (create ${result.outcome})`);
      assert.ok(namesProperty(result.failures, "authUsers"), JSON.stringify(result.failures));
    });

    test("item 3: a resource whose key the host refuses changes nothing, even beside resources with a good key", async () => {
      const keyDir = mkdtempSync(join(scratch, "key-"));
      const keygen = await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(keyDir, "id")]);
      assert.equal(keygen.code, 0, keygen.stderr);
      const strangerKey = readFileSync(join(keyDir, "id"), "utf8");
      const config = RSYNC_CONFIG("item3");
      const module = (name: string, conn: PropertyBag) =>
        up("rsyncModule", `item3-${name}`, {
          connection: conn,
          configPath: config,
          moduleName: name,
          path: MODULE_DIR("item1"),
          comment: name,
        });
      const results = await Promise.all([
        module("good1", connection),
        module("stranger", { ...connection, privateKey: strangerKey }),
        module("good2", connection),
        module("good3", connection),
      ]);
      assert.deepEqual(
        results.map((r) => r.outcome),
        ["created", "failed", "created", "created"],
        results.map((r) => (r.outcome === "failed" ? failureText(r.error) : r.outcome)).join(" | "),
      );
      const text = (await target.exec(["cat", config])).stdout;
      assert.doesNotMatch(text, /\[stranger\]/, "the module of the refused key was written");
    });

    test("item 4: without a pinned `hostKey`, a host this user has never trusted is refused before anything is sent", async () => {
      const before = await snapshot(target);
      const { hostKey: _pin, ...unpinned } = connection;
      // A provider host whose user has an empty ~/.ssh: nothing on this machine vouches for the lab host.
      const home = mkdtempSync(join(scratch, "home-"));
      const fresh = await startProviderHost({ env: { HOME: home } });
      try {
        const real = await up(
          "rsyncModule",
          "item4b",
          { connection: unpinned, configPath: RSYNC_CONFIG("item4"), moduleName: "item4", path: MODULE_DIR("item1") },
          fresh,
        );
        assert.equal(real.outcome, "failed", `an unknown host key was accepted (${real.outcome})`);
        assert.match(failureText((real as { error: unknown }).error), /SHA256:/, "the error shows the key fingerprint");
      } finally {
        await fresh.stop();
      }
      assertSameHost(before, await snapshot(target));
    });

    test("item 4: a pinned key that is another host's is refused, nothing changes", async () => {
      const before = await snapshot(target);
      const result = await up("rsyncModule", "item4c", {
        connection: { ...connection, hostKey: lab.hosts[1]!.hostKeyLine },
        configPath: RSYNC_CONFIG("item4c"),
        moduleName: "item4c",
        path: MODULE_DIR("item1"),
      });
      assert.equal(result.outcome, "failed");
      assertSameHost(before, await snapshot(target));
    });

    test("item 5: the lock file beside a changed file is 0600 root, so `nobody` cannot hold it", async () => {
      const result = await up("rsyncModule", "item5", {
        connection,
        configPath: RSYNC_CONFIG("item5"),
        moduleName: "item5",
        path: MODULE_DIR("item1"),
      });
      assert.equal(result.outcome, "created", JSON.stringify(result));
      const lock = "/etc/rsyncd/.h-item5.conf.lock";
      assert.equal(await sh(target, 'stat -c "%a %U" "$1"', lock), "600 root\n");
      const hold = await target.exec(["runuser", "-u", "nobody", "--", "flock", "-n", lock, "true"]);
      assert.notEqual(hold.code, 0, "`nobody` could take the lock");
    });

    test('item 7: `configPath: "/etc/hosts"` is refused without `adopt`, and /etc/hosts is byte-identical', async () => {
      const before = await snapshot(target);
      const result = await up("rsyncModule", "item7", {
        connection,
        configPath: "/etc/hosts",
        moduleName: "item7",
        path: MODULE_DIR("item1"),
      });
      assert.notEqual(result.outcome, "created", "a module was appended to /etc/hosts");
      assertSameHost(before, await snapshot(target));
    });

    test("item 8: no password in any output, a salted checksum, and no copy of the old password left after an update", async () => {
      const path = "/etc/rsyncd/item8.secrets";
      const oldPassword = "old-Secret-item8";
      const secrets = resource("rsyncSecrets", "item8");
      await secrets.up({ connection, path, users: { alice: oldPassword } });
      const outputs = JSON.stringify(secrets.outputs);
      assert.doesNotMatch(outputs, new RegExp(oldPassword), "the password is in the outputs");
      assert.notEqual(
        secrets.outputs.checksum,
        sha256(`alice:${oldPassword}\n`),
        "the checksum is an unsalted sha256 of the file: a guess can be confirmed offline",
      );
      await secrets.up({ connection, path, users: { alice: "new-Secret-item8" } });
      const leftovers = await target.exec(["grep", "-rl", "--", oldPassword, "/etc/rsyncd", "/tmp", "/root"]);
      assert.equal(leftovers.stdout, "", `the old password is still on the host in ${leftovers.stdout}`);
    });

    test("item 10: a lock path that is a symlink is not followed (its target is never created)", async () => {
      const victim = "/etc/cron.d/item10-victim";
      await sh(target, 'ln -s "$1" /etc/rsyncd/.h-item10.conf.lock', victim);
      const result = await up("rsyncModule", "item10", {
        connection,
        configPath: RSYNC_CONFIG("item10"),
        moduleName: "item10",
        path: MODULE_DIR("item1"),
      });
      assert.equal(
        (await target.exec(["test", "-e", victim])).code,
        1,
        `the lock symlink was followed: ${victim} exists (create ${result.outcome})`,
      );
    });

    test("item 10: a configuration directory writable by others is refused, nothing is written in it", async () => {
      await sh(target, "mkdir -p /etc/rsyncd/item10w && chmod 0777 /etc/rsyncd/item10w");
      const result = await up("rsyncModule", "item10w", {
        connection,
        configPath: "/etc/rsyncd/item10w/rsyncd.conf",
        moduleName: "item10w",
        path: MODULE_DIR("item1"),
      });
      assert.notEqual(result.outcome, "created", "a file was written into a world-writable directory");
      assert.equal(await sh(target, "ls -A /etc/rsyncd/item10w"), "");
    });

    test("item 10: a target that is a symlink to a foreign file is refused: the file and the link stay as they were", async () => {
      await sh(target, "ln -s /etc/hosts /etc/rsyncd/item10-link.conf");
      const before = await sh(target, "sha256sum /etc/hosts; stat -c %a /etc/hosts");
      const result = await up("rsyncModule", "item10l", {
        connection,
        configPath: "/etc/rsyncd/item10-link.conf",
        moduleName: "item10l",
        path: MODULE_DIR("item1"),
      });
      assert.equal(
        await sh(target, "sha256sum /etc/hosts; stat -c %a /etc/hosts"),
        before,
        `/etc/hosts changed through the symlink (create ${result.outcome})`,
      );
      // Not edited through the link (a foreign file), nor the link swapped for a regular file: refused, left as it was.
      const link = await target.exec(["stat", "-c", "%F", "/etc/rsyncd/item10-link.conf"]);
      assert.equal(
        link.stdout,
        "symbolic link\n",
        `the symlink was replaced by a ${link.stdout.trim()} (create ${result.outcome})`,
      );
      assert.notEqual(result.outcome, "created");
    });
  });

  describe("further attempts outside the issue's list", () => {
    test("a module named like an existing one but for case (rsync merges them) is not created beside it: the existing module keeps its `hosts allow`", async () => {
      const config = RSYNC_CONFIG("merge");
      const first = await up("rsyncModule", "merge-first", {
        connection,
        configPath: config,
        moduleName: "vault",
        path: MODULE_DIR("item1"),
        hostsAllow: ["192.0.2.1"],
        readOnly: true,
      });
      assert.equal(first.outcome, "created", JSON.stringify(first));
      const second = await up("rsyncModule", "merge-second", {
        connection,
        configPath: config,
        moduleName: "VAULT",
        path: MODULE_DIR("item1"),
        hostsAllow: [gateway],
        readOnly: false,
      });
      const o = observer(target, "merge", {}, {});
      const entries = await o.rsyncEntries(config, "vault");
      assert.ok(
        !Array.isArray(entries),
        `\`vault\` (hosts allow = 192.0.2.1) now serves the root namespace: ${JSON.stringify(entries)} (second create ${second.outcome})`,
      );
      assert.notEqual(
        second.outcome,
        "created",
        "a second resource now co-manages the module through a merged section",
      );
    });

    test("an `extra` xinetd attribute spelled in capitals cannot widen `only_from`", async () => {
      const port = XINETD_PORT_BASE - 20;
      const result = await up("xinetdService", "caps-extra", {
        connection,
        serviceName: "hxcaps",
        type: ["UNLISTED"],
        port,
        socketType: "stream",
        wait: false,
        user: "nobody",
        server: "/bin/echo",
        serverArgs: ["caps"],
        onlyFrom: ["192.0.2.1"],
        extra: { ONLY_FROM: "0.0.0.0/0" },
      });
      if (result.outcome === "refused") {
        assert.ok(namesProperty(result.failures, "extra"), JSON.stringify(result.failures));
        return;
      }
      const answer = await observer(target, "caps", {}, {})
        .tcp(port)
        .catch(() => "");
      assert.equal(answer, "", `a client outside only_from was served (create ${result.outcome})`);
    });
  });

  describe("hosts whose root login shell is not POSIX (issue item 6)", () => {
    for (const [index, shell] of [
      [1, "fish"],
      [2, "tcsh"],
    ] as const) {
      test(`${shell}: a module, an xinetd service and a secrets file create; a \`'\`/\`$()\` configPath runs nothing`, async () => {
        const on = lab.hosts[index]!;
        // /etc/passwd is a per-host bind mount: usermod's rename cannot replace it, so the file is rewritten in place.
        await sh(
          on,
          'entries=$(sed "s#^\\(root:.*:\\)[^:]*\\$#\\1$1#" /etc/passwd) && printf "%s\\n" "$entries" > /etc/passwd',
          `/usr/bin/${shell}`,
        );
        assert.match(await sh(on, "getent passwd root"), new RegExp(`/usr/bin/${shell}$`, "m"));
        const conn = rootConnection(lab, on);
        // A fresh provider host: a new process opens new SSH connections, which get the new login shell.
        const via = await startProviderHost();
        try {
          const gw = on.address.replace(/\d+$/, (last) => String(Number(last) - 1));
          const config = "/etc/rsyncd/rsyncd.conf";
          const verdicts: string[] = [];
          const attempt = async (what: string, kind: ResourceKind, inputs: PropertyBag) => {
            const result = await up(kind, `${shell}-${what}`, inputs, via);
            if (result.outcome !== "created")
              verdicts.push(
                `${what}: ${result.outcome === "failed" ? failureText(result.error) : JSON.stringify(result.failures)}`,
              );
            return result;
          };
          await attempt("module", "rsyncModule", {
            connection: conn,
            configPath: config,
            moduleName: shell,
            path: MODULE_DIR(shell),
            comment: `on ${shell}`,
            hostsAllow: [gw],
          });
          await attempt("service", "xinetdService", {
            connection: conn,
            serviceName: `sh${shell}`,
            type: ["UNLISTED"],
            port: 7390 + index,
            socketType: "stream",
            wait: false,
            user: "nobody",
            server: "/bin/echo",
            serverArgs: [`hello-${shell}`],
          });
          await attempt("secrets", "rsyncSecrets", {
            connection: conn,
            path: "/etc/rsyncd/rsyncd.secrets",
            users: { [`u${shell}`]: `pw'$(x)-${shell}` },
          });
          const injected = `/etc/rsyncd/q'$(touch /tmp/pwned-${shell})'\`touch /tmp/pwned-${shell}2\`.conf`;
          assert.equal((await on.exec(["mkdir", "-p", "--", posix.dirname(injected)])).code, 0);
          await attempt("quoted", "rsyncModule", {
            connection: conn,
            configPath: injected,
            moduleName: "quoted",
            path: MODULE_DIR(shell),
          });
          const markers = (await sh(on, "ls -A /tmp")).split("\n").filter((name) => name.startsWith("pwned-"));
          assert.deepEqual(
            { markers, verdicts },
            { markers: [], verdicts: [] },
            `on a ${shell} host: injected commands ran (markers) or creates failed (verdicts)`,
          );
          const o = observer(
            on,
            shell,
            { configPath: config, moduleName: shell, comment: `on ${shell}`, hostsAllow: [gw] },
            {},
          );
          assert.deepEqual(await o.rsyncModules(config), [{ name: shell, comment: `on ${shell}` }]);
          assert.deepEqual(await o.rsyncEntries(config, shell), [shell]);
          assert.equal(await o.tcp(7390 + index), `hello-${shell}\n`);
          assert.equal(await o.file("/etc/rsyncd/rsyncd.secrets"), `u${shell}:pw'$(x)-${shell}\n`);
          assert.match((await o.file(injected)) ?? "", /\[quoted\]/, "the module is in the file with that exact name");
        } finally {
          await via.stop();
        }
      });
    }
  });

  test("no injected command ran anywhere, on any host or on this machine", async () => {
    for (const on of lab.hosts)
      await assertNoMarkers(
        on,
        CASES.map((c) => c.id),
      );
  });
});
