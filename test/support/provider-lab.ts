// What the suites that call provider methods directly on one lab host share: the lab with its
// hooks, a root connection to the host, a shell on the host that bypasses SSH, and `checked`.
import assert from "node:assert/strict";
import { after, before } from "node:test";

import { xinetdService, type Props } from "../../src/provider";
import { closeAll } from "../../src/remote/ssh";
import { startLab, type AnyLabHost, type HostKind, type Lab } from "../lab/lab";
import { prepareForRsync } from "./program-resources";

/** Any provider kind: they share `check`'s shape. */
export type ProviderKind = typeof xinetdService;

/** Checked inputs as the engine would pass them to create (check must pass). */
export function checked(kind: ProviderKind, news: Props): Props {
  const { inputs, failures } = kind.check({}, news);
  assert.deepEqual(failures, []);
  return { ...inputs, __provider: "shim text" };
}

export interface OneHostLab {
  lab: Lab<AnyLabHost>;
  host: AnyLabHost;
  /** Root by key, host key pinned. */
  connection: Props;
  /** Runs a script as root on the host (not over SSH) and returns its stdout; it must succeed. */
  sh(script: string): Promise<string>;
}

/**
 * A one-host lab of `kind` for the enclosing `describe`: started before its tests, stopped after
 * them. The fields are filled in by the `before` hook, so read them inside tests only.
 */
export function oneHostLab(kind: HostKind = "namespace"): OneHostLab {
  const fixture = {
    async sh(script: string): Promise<string> {
      const result = await fixture.host.exec(["sh", "-c", script]);
      assert.equal(result.code, 0, result.stderr);
      return result.stdout;
    },
  } as OneHostLab;
  before(async () => {
    fixture.lab = await startLab({ hosts: 1, kind });
    fixture.host = fixture.lab.hosts[0]!;
    await prepareForRsync(fixture.host);
    fixture.connection = {
      host: fixture.host.address,
      privateKey: fixture.lab.rootPrivateKey,
      hostKey: fixture.host.hostKeyLine,
    };
  });
  after(async () => {
    await closeAll();
    await fixture.lab?.stop();
  });
  return fixture;
}
