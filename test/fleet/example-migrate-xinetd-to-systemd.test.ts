// examples/migrate-xinetd-to-systemd under mocks: an xinetd service file's text from stack config
// becomes one SystemdSocketService with the mapped settings, the approximations are exported, and
// what systemd cannot express is refused naming each attribute.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";

import { parseServicesTable } from "../../src/formats";
import { MockedProgram, valueOf } from "./program-mocks";

const XINETD_SERVICE = `# /etc/xinetd.d/rsync, as many hosts have it
service rsync
{
\tdisable         = no
\tflags           = IPv6
\tsocket_type     = stream
\twait            = no
\tuser            = root
\tserver          = /usr/bin/rsync
\tserver_args     = --daemon --config=/etc/rsyncd/rsyncd.conf
\tinstances       = 40
\tcps             = 20 30
\tlog_on_failure  += USERID
}
`;

/** The services file the program reads (`servicesFile`), so the test does not depend on the machine's. */
const SERVICES_FILE = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "migrate-")), "services");
const SERVICES_TEXT = "rsync\t\t873/tcp\n";
const SERVICES = parseServicesTable(SERVICES_TEXT);

let program: MockedProgram;
let example: typeof import("../../examples/migrate-xinetd-to-systemd/index");

before(async () => {
  fs.writeFileSync(SERVICES_FILE, SERVICES_TEXT);
  program = await MockedProgram.start(
    "xinetd-migrate-to-systemd",
    { host: "192.0.2.1", privateKey: "key", xinetdService: XINETD_SERVICE, servicesFile: SERVICES_FILE },
    ["privateKey"],
  );
  example = await import("../../examples/migrate-xinetd-to-systemd/index");
  await program.settled();
});

test("the xinetd service becomes one SystemdSocketService with its settings", () => {
  assert.deepEqual(
    program.summary().filter(([type]) => type !== "pulumi:pulumi:Stack"),
    [["SystemdSocketService", "rsync"]],
  );
  const socket = program.get("rsync").inputs;
  assert.deepEqual(
    [socket.serviceName, socket.port, socket.wait, socket.user, socket.server, socket.serverArgs],
    ["rsync", 873, false, "root", "/usr/bin/rsync", ["--daemon", "--config=/etc/rsyncd/rsyncd.conf"]],
  );
  assert.deepEqual([socket.flags, socket.instances, socket.cps], [["IPv6"], 40, 20]);
  assert.equal(socket.logOnFailure, undefined);
});

test("what is approximated is exported, naming the xinetd attributes", async () => {
  const approximations = await valueOf(example.approximations);
  assert.ok(
    approximations.some((line) => line.startsWith("log_on_failure: ")),
    approximations.join("\n"),
  );
  assert.ok(
    approximations.some((line) => line.startsWith("cps: ")),
    approximations.join("\n"),
  );
});

test("attributes systemd cannot express are refused, each by name", () => {
  const text = XINETD_SERVICE.replace("}", "\tredirect = 10.0.0.2 873\n\tbanner = /etc/banner\n}");
  assert.throws(
    () => example.migrateXinetdService(text, SERVICES),
    (error: Error) => {
      assert.match(error.message, /systemd cannot express `service rsync`/);
      assert.match(error.message, /^ {2}redirect: /m);
      assert.match(error.message, /^ {2}banner: /m);
      return true;
    },
  );
  assert.throws(
    () => example.migrateXinetdService(XINETD_SERVICE, SERVICES, "daytime"),
    /does not read as xinetd reads it/,
  );
});

after(() => fs.rmSync(path.dirname(SERVICES_FILE), { recursive: true, force: true }));
