// The attacker's view of SystemdSocketService: each hostile value of systemd-cases.ts goes through
// the real @pulumi/pulumi dynamic-provider host (check, then create, as the engine would) against
// one real systemd host per Debian release, and is either refused by check naming its property
// with the host unchanged, or applied and then observed harmless: a client in the root namespace
// connects to the socket and the server systemd started reports its argv, identity and
// environment; `systemctl show` reports what systemd read. No /tmp/pwned-<id> may appear anywhere.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import * as net from "node:net";
import { after, before, describe, test } from "node:test";

import { startLab, type AnyLabHost, type Lab } from "../lab/lab";
import { labSkipReason } from "../lab/requirements";
import { ProgramResource, providerTexts, rootConnection, type ProviderTexts } from "../support/program-resources";
import { CheckFailedError, startProviderHost, type PropertyBag, type ProviderHost } from "../support/provider-host";
import { MARKER, propertyName, withValue } from "./cases";
import { failureText, namesProperty } from "./verdicts";
import {
  DUMP,
  DUMP_COPIES,
  DUMP_SCRIPT,
  SYSTEMD_CASES,
  systemdBaseInputs,
  type Served,
  type SystemdHostileCase,
  type SystemdObserver,
} from "./systemd-cases";

const KINDS = ["debian13", "debian12"] as const;
const skip = labSkipReason([...KINDS]);
/** Harmless cases run this many at a time (each owns its units and port). */
const CONCURRENCY = 4;

/** What the dump script printed: `key=value` items, NUL-terminated. */
function parseServed(output: string): Served {
  const served: Served = { args: [], user: "", group: "", umask: "", nice: "", env: [] };
  for (const item of output.split("\0").slice(0, -1)) {
    const at = item.indexOf("=");
    const key = item.slice(0, at);
    const value = item.slice(at + 1);
    if (key === "arg") served.args.push(value);
    else if (key === "env") served.env.push(value);
    else if (key === "user" || key === "group" || key === "umask" || key === "nice") served[key] = value;
    else throw new Error(`the server printed ${JSON.stringify(item)}`);
  }
  return served;
}

for (const kind of KINDS) {
  describe(`SystemdSocketService hostile inputs through the real provider host on ${kind}`, { skip }, () => {
    let lab: Lab<AnyLabHost>;
    let target: AnyLabHost;
    let host: ProviderHost;
    let texts: ProviderTexts;
    let connection: PropertyBag;

    const sh = async (script: string, ...args: string[]): Promise<string> => {
      const result = await target.exec(["sh", "-c", script, "sh", ...args]);
      assert.equal(result.code, 0, `${script}: ${result.stderr}`);
      return result.stdout;
    };

    /** Every file a change or an injection could touch, with mode and owner, and the units systemd knows. */
    const snapshot = () =>
      sh(`
      set -- /etc/systemd /run/systemd/system /usr/local/bin /etc/passwd /tmp /root
      find "$@" -xdev \\( -type f -o -type l -o -type d \\) -printf '%m %u %g %y %s %p -> %l\\n' 2>/dev/null | sort
      find "$@" -xdev -type f -print0 2>/dev/null | sort -z | xargs -0 -r sha256sum
      systemctl list-units --all --plain --no-legend --no-pager 'hs*' 'rsync*' '-hs*' '.hs*'`);

    /** Byte-identical, or the lines that differ; after a rejected create, the empty lock beside the units may stay. */
    const assertSameHost = (was: string, is: string, afterCreate = false) => {
      const before = new Set(was.split("\n"));
      const now = new Set(is.split("\n"));
      const emptyLock = (line: string) =>
        afterCreate &&
        (/^\d+ \S+ \S+ f 0 \S*\/\.[^/]+\.lock -> $/.test(line) ||
          /^e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 {2}\S*\/\.[^/]+\.lock$/.test(line));
      const gone = [...before].filter((line) => !now.has(line));
      const added = [...now].filter((line) => !before.has(line) && !emptyLock(line));
      assert.ok(
        gone.length === 0 && added.length === 0,
        `the host changed: ${[...gone.map((l) => `- ${l}`), ...added.map((l) => `+ ${l}`)].join("; ")}`,
      );
    };

    const assertNoMarkers = async (ids: string[]) => {
      const found = (await sh("ls -A /tmp")).split("\n").filter((name) => name.startsWith("pwned-"));
      assert.deepEqual(found, [], `injected commands ran on ${target.name}`);
      for (const id of ids)
        assert.equal(existsSync(MARKER(id)), false, `an injected command ran on this machine (${MARKER(id)})`);
    };

    function observer(id: string, inputs: PropertyBag, outputs: PropertyBag): SystemdObserver {
      return {
        id,
        inputs,
        outputs,
        async show(unit, property) {
          const result = await target.exec(["systemctl", "show", "-p", property, "--value", "--", unit]);
          assert.equal(result.code, 0, `systemctl show ${unit}: ${result.stderr}`);
          return result.stdout.replace(/\n$/, "");
        },
        serve: () =>
          new Promise((resolve, reject) => {
            const socket = net.connect({ host: target.address, port: Number(inputs.port) });
            const chunks: Buffer[] = [];
            socket.setTimeout(10_000, () =>
              socket.destroy(new Error(`port ${String(inputs.port)}: no end within 10 s`)),
            );
            socket.on("data", (chunk: Buffer) => chunks.push(chunk));
            socket.on("error", reject);
            socket.on("close", (hadError) => {
              if (hadError) return;
              try {
                resolve(parseServed(Buffer.concat(chunks).toString("utf8")));
              } catch (error) {
                reject(error as Error);
              }
            });
          }),
      };
    }

    async function up(name: string, inputs: PropertyBag) {
      const r = new ProgramResource(host, "systemdSocketService", name, texts);
      try {
        await r.up(inputs);
        return { outcome: "created" as const, outputs: r.outputs };
      } catch (error) {
        if (error instanceof CheckFailedError) return { outcome: "refused" as const, failures: error.failures };
        return { outcome: "failed" as const, error };
      }
    }

    async function runCase(c: SystemdHostileCase, n: number, exclusive: boolean): Promise<void> {
      const based = { ...systemdBaseInputs({ id: c.id, n, connection }), ...c.base };
      const inputs = withValue(
        Object.fromEntries(Object.entries(based).filter(([, v]) => v !== null)),
        c.property,
        c.value,
      );
      const before = exclusive ? await snapshot() : undefined;
      const result = await up(`h-${c.id}`, inputs);
      await assertNoMarkers([c.id]);
      const expected = c.expect;
      const property = "property" in expected ? expected.property : "";
      if (result.outcome === "refused") {
        const text = failureText(new CheckFailedError(result.failures));
        assert.ok(expected.outcome !== "harmless", `refused, but a demanding user expects it to work: ${text}`);
        assert.ok(
          namesProperty(result.failures, property),
          `refused without naming \`${propertyName(property)}\`: ${text}`,
        );
        if (before !== undefined) assertSameHost(before, await snapshot());
        return;
      }
      assert.ok(
        expected.outcome !== "refused",
        `check did not refuse it (expected a failure naming \`${propertyName(property)}\`); create then ${result.outcome === "created" ? "succeeded" : `failed: ${failureText(result.error)}`}`,
      );
      if (expected.outcome === "refusedOrRejected") {
        assert.equal(result.outcome, "failed", "check passed and create succeeded");
        if (before !== undefined) assertSameHost(before, await snapshot(), true);
        return;
      }
      if (result.outcome === "failed") assert.fail(`check passed but create failed: ${failureText(result.error)}`);
      await expected.observe(observer(c.id, inputs, result.outputs));
      await assertNoMarkers([c.id]);
    }

    before(async () => {
      texts = await providerTexts();
      lab = await startLab({ hosts: [{ kind }] });
      target = lab.hosts[0]!;
      // One dial attempt: cases with a hostile host name fail fast instead of retrying.
      connection = { ...rootConnection(lab, target), dialErrorLimit: 0 };
      await sh(
        'printf "%s" "$1" > "$2" && chmod 755 "$2" && shift 2 && for copy do cp -p -- /usr/local/bin/hs-dump "$copy"; done',
        DUMP_SCRIPT,
        DUMP,
        ...DUMP_COPIES,
      );
      host = await startProviderHost();
    });

    after(async () => {
      await host?.stop();
      await lab?.stop();
    });

    const exclusiveCases = SYSTEMD_CASES.filter((c) => c.expect.outcome !== "harmless");
    const sharedCases = SYSTEMD_CASES.filter((c) => c.expect.outcome === "harmless");
    const label = (c: SystemdHostileCase) =>
      `${c.id} ${propertyName(c.property)}: ${c.what} → ${c.expect.outcome}${"property" in c.expect ? ` ${c.expect.property}` : ""}`;

    test("the table covers every input the brief names, with unique ids", () => {
      const covered = new Set(SYSTEMD_CASES.map((c) => propertyName(c.property)));
      for (const input of [
        "serviceName",
        "unitDir",
        "server",
        "serverArgs",
        "env",
        "user",
        "group",
        "description",
        "bind",
        "onlyFrom",
        "extra",
        "umask",
        "nice",
        "connection.host",
      ])
        assert.ok(covered.has(input), `no case for \`${input}\``);
      assert.equal(new Set(SYSTEMD_CASES.map((c) => c.id)).size, SYSTEMD_CASES.length, "ids are unique");
    });

    describe("values refused by check (or either), one at a time between two snapshots of the host", () => {
      for (const c of exclusiveCases)
        test(label(c), c.knownBug ? { todo: c.knownBug } : {}, () => runCase(c, SYSTEMD_CASES.indexOf(c), true));
    });

    describe("values applied through create and observed on the host", { concurrency: CONCURRENCY }, () => {
      for (const c of sharedCases) test(label(c), () => runCase(c, SYSTEMD_CASES.indexOf(c), false));
    });

    test("no injected command ran anywhere, on the host or on this machine", () =>
      assertNoMarkers(SYSTEMD_CASES.map((c) => c.id)));
  });
}
