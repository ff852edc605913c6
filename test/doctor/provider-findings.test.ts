// The provider's hook: a failed RsyncServer listing check, or a failed verification of an rsync
// xinetd service, carries the doctor's findings, and the original error's own words stay.
import assert from "node:assert/strict";
import { beforeEach, describe, test } from "node:test";

import { rsyncListing, xinetdService } from "../../src/provider";
import { checked, oneHostLab } from "../support/provider-lab";
import { labSkipReason } from "../lab/requirements";
import { breakHost, makeHealthy, RSYNC_CONF } from "./support";

const skip = labSkipReason();

describe("the provider attaches the doctor's findings to failed checks", { skip }, () => {
  const lab = oneHostLab();
  beforeEach(async () => makeHealthy(lab.host));

  const codesOf = (error: unknown) =>
    ((error as { findings?: Array<{ code: string }> }).findings ?? []).map((item) => item.code);

  test("RsyncServer's listing check on a host whose xinetd is stopped: the reason, and the original message", async () => {
    await breakHost(lab.host, "service xinetd stop");
    const inputs = checked(rsyncListing, {
      connection: lab.connection,
      port: 873,
      configPath: RSYNC_CONF,
      expectedModules: ["pub"],
      revision: [],
    });
    await assert.rejects(rsyncListing.create(inputs), (error: Error) => {
      assert.match(error.message, /did not list its modules/);
      assert.match(error.message, /error xinetd-not-running: xinetd is not running/);
      assert.ok(codesOf(error).includes("nothing-listening"), JSON.stringify(codesOf(error)));
      return true;
    });
  });

  test("an rsync XinetdService whose port a standalone daemon holds: the failed verification names it", async () => {
    await breakHost(
      lab.host,
      `service xinetd stop && rm /etc/xinetd.d/rsync && rsync --daemon --config=${RSYNC_CONF} </dev/null && ` +
        "for i in $(seq 100); do ss -Hltnp 'sport = :873' | grep -q rsync && break; sleep 0.05; done && service xinetd start",
    );
    const inputs = checked(xinetdService, {
      connection: lab.connection,
      serviceName: "rsync",
      socketType: "stream",
      wait: false,
      user: "root",
      server: "/usr/bin/rsync",
      serverArgs: ["--daemon", `--config=${RSYNC_CONF}`],
    });
    await assert.rejects(xinetdService.create(inputs), (error: Error) => {
      const cause = (error.cause ?? error) as Error;
      assert.match(cause.message, /failed verification/);
      assert.match(cause.message, /standalone-daemon: Port 873 is served by a standalone `rsync --daemon`/);
      assert.ok(codesOf(cause).includes("standalone-daemon"), JSON.stringify(codesOf(cause)));
      return true;
    });
  });
});
