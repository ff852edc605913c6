// Registration under pulumi.runtime.setMocks: type tokens, inputs, RsyncServer's wiring, secret
// outputs, and the serialized provider: small, requiring only the package, and callable from a
// fresh node process the way the dynamic-provider host loads it.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { before, describe, test } from "node:test";

import * as pulumi from "@pulumi/pulumi";

import {
  RsyncdConfig,
  RsyncModule,
  RsyncSecrets,
  RsyncServer,
  SystemdSocketService,
  XinetdService,
  type RsyncSecretsArgs,
  type RsyncServerArgs,
  type XinetdServiceArgs,
} from "../../src";
import { GLOBAL_MODEL_PARAMETERS, MODULE_MODEL_PARAMETERS, RSYNC_PARAMETERS } from "../../src/formats";
import { settingKeys } from "../../src/schema";
import { rsyncdConfig, rsyncModule, rsyncSecrets, xinetdService, type ResourceKindProvider } from "../../src/provider";

const PROJECT_ROOT = path.resolve(__dirname, "../..");
const MAX_SHIM_CHARS = 4_000;
const connection = { host: "192.0.2.1", privateKey: "key text" };

interface Registration {
  type: string;
  name: string;
  urn: string;
  parent: string;
  dependencies: string[];
  additionalSecretOutputs: string[];
  inputs: Record<string, unknown>;
}

const registrations: Registration[] = [];

function registered(name: string): Registration {
  const found = registrations.find((r) => r.name === name);
  assert.ok(found, `${name} was registered`);
  return found;
}

function settled<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((value) => resolve(value)));
}

before(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }),
      call: (args) => args.inputs,
    },
    "project",
    "stack",
    false,
  );
  // The mocks see only type, name and inputs; dependencies and secret outputs are in the request.
  const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource: (req: any, callback: any) => void };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) => {
    const registration: Registration = {
      type: req.getType(),
      name: req.getName(),
      urn: "",
      parent: req.getParent(),
      dependencies: req.getDependenciesList(),
      additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
      inputs: req.getObject()?.toJavaScript() ?? {},
    };
    registrations.push(registration);
    register(req, (error: unknown, response: any) => {
      if (response) registration.urn = response.getUrn();
      callback(error, response);
    });
  };
});

describe("registration", () => {
  test("each resource registers its dynamic type token, its inputs and its secret outputs", async () => {
    const service = new XinetdService("echo", {
      connection,
      serviceName: "echo",
      socketType: "stream",
      wait: false,
      type: ["INTERNAL"],
    });
    const module = new RsyncModule("mod", { connection, moduleName: "m", path: "/srv/m" });
    const config = new RsyncdConfig("cfg", { connection, useChroot: true });
    const secrets = new RsyncSecrets("sec", { connection, path: "/etc/rsyncd.secrets", users: { alice: "pw" } });
    await Promise.all([service, module, config, secrets].map((r) => settled(r.urn)));
    const expected: Array<[string, string, string[]]> = [
      ["echo", "XinetdService", ["connection"]],
      ["mod", "RsyncModule", ["connection"]],
      ["cfg", "RsyncdConfig", ["connection"]],
      ["sec", "RsyncSecrets", ["connection", "checksum", "salt"]],
    ];
    for (const [name, type, secretOutputs] of expected) {
      const registration = registered(name);
      assert.equal(registration.type, `pulumi-nodejs:dynamic/pulumi-xinetd:${type}`);
      assert.deepEqual(registration.additionalSecretOutputs, secretOutputs);
      assert.equal(typeof registration.inputs.__provider, "string");
    }
    assert.equal(registered("echo").inputs.serviceName, "echo");
    assert.equal(registered("mod").inputs.moduleName, "m");
  });

  test("RsyncServer wires config and secrets before modules, all before xinetd, and the listing last", async () => {
    const server = new RsyncServer("seed", {
      connection,
      configPath: "/etc/rsyncd/rsyncd.conf",
      global: { useChroot: true, logFile: "/var/log/rsyncd.log" },
      secrets: { path: "/etc/rsyncd.secrets", users: { alice: "pw" } },
      modules: {
        backup: { path: "/srv/backup", authUsers: ["alice"], secretsFile: "/etc/rsyncd.secrets" },
        hidden: { path: "/srv/hidden", list: false },
      },
    });
    await settled(server.urn);
    await settled(server.service.urn);
    await settled(server.listedModules.apply(() => 0));
    const component = registered("seed");
    assert.equal(component.type, "pulumi-xinetd:index:RsyncServer");
    const urn = (name: string) => registered(name).urn;
    for (const name of ["seed-config", "seed-secrets", "seed-backup", "seed-hidden", "seed-xinetd", "seed-listing"]) {
      assert.equal(registered(name).parent, component.urn, `${name} is a child of the component`);
    }
    assert.deepEqual(registered("seed-backup").dependencies.sort(), [urn("seed-config"), urn("seed-secrets")].sort());
    assert.deepEqual(
      registered("seed-xinetd").dependencies.sort(),
      ["seed-config", "seed-secrets", "seed-backup", "seed-hidden"].map(urn).sort(),
    );
    assert.ok(registered("seed-listing").dependencies.includes(urn("seed-xinetd")));

    const xinetd = registered("seed-xinetd").inputs;
    assert.deepEqual(
      [
        xinetd.serviceName,
        xinetd.socketType,
        xinetd.wait,
        xinetd.user,
        xinetd.server,
        xinetd.serverArgs,
        xinetd.logOnFailure,
        xinetd.disable,
      ],
      [
        "rsync",
        "stream",
        false,
        "root",
        "/usr/bin/rsync",
        ["--daemon", "--config=/etc/rsyncd/rsyncd.conf"],
        { add: ["USERID"] },
        false,
      ],
    );
    assert.equal(registered("seed-backup").inputs.configPath, "/etc/rsyncd/rsyncd.conf");
    assert.equal(registered("seed-listing").inputs.port, 873);
    assert.deepEqual(registered("seed-listing").inputs.expectedModules, ["backup"]);
  });

  test("RsyncServer.modules are the module resources by name; listedModules is the listing", async () => {
    const server = new RsyncServer("named", {
      connection,
      modules: { pub: { path: "/srv/pub" }, hidden: { path: "/srv/hidden", list: false } },
    });
    await settled(server.listedModules.apply(() => 0));
    assert.deepEqual(Object.keys(server.modules), ["pub", "hidden"]);
    for (const [moduleName, module] of Object.entries(server.modules)) {
      assert.ok(module instanceof RsyncModule, `${moduleName} is an RsyncModule`);
      assert.equal(await settled(module.urn), registered(`named-${moduleName}`).urn);
    }
    assert.ok(pulumi.Output.isInstance(server.listedModules));
  });

  test("RsyncServer.secrets is the secretsFile of modules with authUsers that set none; explicit values win", async () => {
    const server = new RsyncServer("auth", {
      connection,
      secrets: { path: "/etc/rsyncd/auth.secrets", users: { alice: "pw", bob: "pw" } },
      modules: {
        filled: { path: "/srv/filled", authUsers: ["alice"] },
        late: { path: "/srv/late", authUsers: pulumi.output(["bob:ro"]) },
        own: { path: "/srv/own", authUsers: ["alice"], secretsFile: "/etc/own.secrets" },
        extra: { path: "/srv/extra", authUsers: ["alice"], extra: { "secrets file": "/etc/extra.secrets" } },
        open: { path: "/srv/open" },
        none: { path: "/srv/none", authUsers: [] },
      },
    });
    await settled(server.listedModules.apply(() => 0));
    const inputs = (moduleName: string) => registered(`auth-${moduleName}`).inputs;
    assert.equal(inputs("filled").secretsFile, "/etc/rsyncd/auth.secrets");
    assert.equal(inputs("late").secretsFile, "/etc/rsyncd/auth.secrets");
    assert.equal(inputs("own").secretsFile, "/etc/own.secrets");
    assert.equal(inputs("extra").secretsFile, undefined);
    assert.deepEqual(inputs("extra").extra, { "secrets file": "/etc/extra.secrets" });
    assert.equal(Object.hasOwn(inputs("open"), "secretsFile"), false);
    assert.equal(Object.hasOwn(inputs("none"), "secretsFile"), false);
    // What the provider's check then sees: the filled-in module passes the rule that refused it before.
    const checked = rsyncModule.check({}, { ...inputs("filled"), connection });
    assert.deepEqual(checked.failures, []);
    const without = new RsyncServer("auth-less", {
      connection,
      modules: { lone: { path: "/srv/lone", authUsers: ["alice"] } },
    });
    await settled(without.listedModules.apply(() => 0));
    assert.equal(
      Object.hasOwn(registered("auth-less-lone").inputs, "secretsFile"),
      false,
      "no secrets: nothing filled in",
    );
  });

  test("RsyncSecrets registers its passwords as a secret input", async () => {
    const secrets = new RsyncSecrets("sec2", { connection, path: "/etc/s", users: { alice: "hunter2" } });
    await settled(secrets.urn);
    const users = registered("sec2").inputs.users as Record<string, unknown>;
    // A secret travels as { 4dabf18193072939515e22adb298388d: "1b47061264138c4ac30d75fd1eb44270", value }.
    assert.equal(users["4dabf18193072939515e22adb298388d"], "1b47061264138c4ac30d75fd1eb44270");
  });
});

describe("schemaVersion is internal", () => {
  test("no resource object has a schemaVersion output, while its provider outputs are there", async () => {
    const resources = {
      service: new XinetdService("sv-svc", {
        connection,
        serviceName: "sv",
        socketType: "stream",
        wait: false,
        type: ["INTERNAL"],
      }),
      module: new RsyncModule("sv-mod", { connection, moduleName: "sv", path: "/srv/sv" }),
      config: new RsyncdConfig("sv-cfg", { connection, useChroot: true }),
      secrets: new RsyncSecrets("sv-sec", { connection, path: "/etc/sv.secrets", users: { alice: "pw" } }),
    };
    // @ts-expect-error: not part of the typed outputs either.
    assert.equal(resources.service.schemaVersion, undefined);
    for (const [name, resource] of Object.entries(resources)) {
      assert.ok(pulumi.Output.isInstance(resource.checksum), `${name} has its checksum output`);
      assert.equal(Object.hasOwn(resource, "schemaVersion"), false, `${name} has no schemaVersion output`);
    }
    await Promise.all(Object.values(resources).map((r) => settled(r.urn)));
  });
});

describe("secret content", () => {
  const SIG = "4dabf18193072939515e22adb298388d";

  test("secretContent is true exactly when an argument other than the connection holds a secret, and is itself plain", async () => {
    const resources = [
      new XinetdService("plain-svc", {
        connection: pulumi.secret(connection),
        serviceName: "p",
        socketType: "stream",
        wait: false,
        type: ["INTERNAL"],
      }),
      new XinetdService("env-svc", {
        connection,
        serviceName: "e",
        socketType: "stream",
        wait: false,
        user: "u",
        server: "/bin/x",
        env: [pulumi.secret("TOKEN=x")],
      }),
      new XinetdService("args-svc", {
        connection,
        serviceName: "a",
        socketType: "stream",
        wait: false,
        user: "u",
        server: "/bin/x",
        serverArgs: pulumi.secret(["--token", "x"]),
      }),
      new RsyncModule("plain-mod", { connection, moduleName: "p", path: "/srv/p" }),
      new RsyncModule("exec-mod", {
        connection,
        moduleName: "x",
        path: "/srv/x",
        preXferExec: pulumi.secret("/bin/check --key k"),
      }),
      new RsyncModule("extra-mod", {
        connection,
        moduleName: "y",
        path: "/srv/y",
        extra: { "post-xfer exec": pulumi.secret("/bin/y") },
      }),
      new RsyncdConfig("plain-cfg", { connection, useChroot: true }),
      new RsyncdConfig("motd-cfg", {
        connection,
        motdFile: pulumi.output("/etc/motd").apply((file) => pulumi.secret(file)),
      }),
    ];
    await Promise.all(resources.map((r) => settled(r.urn)));
    const expected: Record<string, boolean> = {
      "plain-svc": false,
      "env-svc": true,
      "args-svc": true,
      "plain-mod": false,
      "exec-mod": true,
      "extra-mod": true,
      "plain-cfg": false,
      "motd-cfg": true,
    };
    for (const [name, secret] of Object.entries(expected)) {
      assert.equal(registered(name).inputs.secretContent, secret, name);
    }
  });

  test("RsyncServer passes it on to the children whose file holds the secret", async () => {
    const server = new RsyncServer("secret-seed", {
      connection,
      global: { useChroot: true },
      modules: {
        open: { path: "/srv/open" },
        hooked: { path: "/srv/hooked", preXferExec: pulumi.secret("/bin/hook --token t") },
      },
      xinetd: { env: [pulumi.secret("TOKEN=t")] },
    });
    await settled(server.service.urn);
    await settled(server.listedModules.apply(() => 0));
    assert.equal(registered("secret-seed-config").inputs.secretContent, false);
    assert.equal(registered("secret-seed-open").inputs.secretContent, false);
    assert.equal(registered("secret-seed-hooked").inputs.secretContent, true);
    assert.equal(registered("secret-seed-xinetd").inputs.secretContent, true);
    // The secret itself travels marked; the flag does not need to.
    assert.equal(
      (registered("secret-seed-hooked").inputs.preXferExec as Record<string, unknown>)[SIG],
      "1b47061264138c4ac30d75fd1eb44270",
    );
  });
});

describe("the serialized provider", () => {
  test("every resource's __provider is a small shim that requires only the package", async () => {
    const names = ["echo", "mod", "cfg", "sec", "seed-listing"];
    for (const name of names) {
      const text = registered(name).inputs.__provider as string;
      assert.ok(text.length < MAX_SHIM_CHARS, `${name}: ${text.length} characters`);
      assert.match(text, /\("pulumi-xinetd\/provider"\)/);
      const requires = [...text.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
      assert.deepEqual([...new Set(requires)], ["module"], `${name} requires only node's module loader`);
      // No local code by value: no format-layer, remote-layer or provider function bodies.
      assert.doesNotMatch(text, /parseXinetdDocument|changeRemoteFile|openHost|withoutUndefined|sha256/);
    }
  });

  test("loaded in a fresh node process the way the host loads it, its check runs the package's code", async () => {
    const text = registered("sec").inputs.__provider as string;
    const script = `
      const requireFromString = require(${JSON.stringify(require.resolve("require-from-string", { paths: [require.resolve("@pulumi/pulumi")] }))});
      const provider = requireFromString(process.argv[1]).handler();
      Promise.resolve(provider.check({}, { connection: { host: "h", privateKey: "k" }, path: "relative", users: { alice: "pw" } }))
        .then((result) => process.stdout.write(JSON.stringify(result.failures)));`;
    const output = execFileSync(process.execPath, ["-e", script, text], { cwd: PROJECT_ROOT, encoding: "utf8" });
    assert.deepEqual(JSON.parse(output), [
      {
        property: "path",
        reason: "`path` must be an absolute file path without `.` or `..` segments, doubled `/` or a trailing `/`.",
      },
    ]);
  });
});

describe("every documented input reaches the provider", () => {
  const SIG = "4dabf18193072939515e22adb298388d";

  /** The inputs as the dynamic-provider host hands them to the provider: secrets unwrapped. */
  function plain(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(plain);
    if (typeof value !== "object" || value === null) return value;
    const record = value as Record<string, unknown>;
    if (record[SIG] !== undefined) return plain(record.value);
    return Object.fromEntries(Object.entries(record).map(([key, item]) => [key, plain(item)]));
  }

  const rsyncValue = (kind: string): unknown => ({ bool: true, int: 7, string: "text", list: ["one", "two"] })[kind];
  const parameterArgs = (scope: "module" | "global"): Record<string, unknown> =>
    Object.fromEntries(
      RSYNC_PARAMETERS.filter((p) => p.name !== "name" && (scope === "global" || p.scope === "module")).map((p) => [
        p.key,
        rsyncValue(p.kind),
      ]),
    );

  // Each literal names every key of its args type: the compiler refuses a missing or an extra one.
  const xinetdArgs: Required<XinetdServiceArgs> = {
    connection,
    sudo: true,
    adopt: true,
    serviceName: "full",
    configDir: "/etc/xinetd.d",
    reload: "none",
    disable: false,
    type: ["UNLISTED"],
    serviceId: "full-stream",
    flags: ["REUSE"],
    socketType: "stream",
    protocol: "tcp",
    port: 17001,
    wait: false,
    user: "nobody",
    group: "nogroup",
    groups: false,
    server: "/bin/cat",
    serverArgs: ["-u"],
    redirect: { host: "192.0.2.2", port: 80 },
    instances: 5,
    perSource: "UNLIMITED",
    cps: [10, 5],
    maxLoad: 2.5,
    logType: { kind: "SYSLOG", facility: "daemon" },
    logOnSuccess: ["PID"],
    logOnFailure: { add: ["USERID"] },
    onlyFrom: ["127.0.0.1"],
    noAccess: { remove: ["192.0.2.9"] },
    accessTimes: ["08:00-17:00"],
    bind: "127.0.0.1",
    v6only: false,
    env: ["A=1"],
    passenv: ["PATH"],
    nice: 5,
    umask: "022",
    rlimitAs: "64M",
    rlimitCpu: 10,
    rlimitData: "UNLIMITED",
    rlimitFiles: 100,
    rlimitRss: "8M",
    rlimitStack: 1024,
    denyTime: "NEVER",
    banner: "/etc/issue",
    bannerSuccess: "/etc/issue",
    bannerFail: "/etc/issue.net",
    rpcVersion: "1",
    rpcNumber: 100,
    libwrap: "full",
    extra: { mdns: ["no"] },
  };
  // Every key of each args type: the settings table and the parameter table (test/schema checks
  // that the args interfaces have exactly these keys), so a new parameter needs no edit here.
  const moduleKeys = [...settingKeys("RsyncModule"), ...MODULE_MODEL_PARAMETERS.map((p) => p.key)];
  const globalKeys = [...settingKeys("RsyncdConfig"), ...GLOBAL_MODEL_PARAMETERS.map((p) => p.key)];
  const moduleArgs = {
    ...parameterArgs("module"),
    connection,
    sudo: true,
    adopt: true,
    configPath: "/etc/rsyncd.conf",
    moduleName: "full",
    path: "/srv/full",
    extra: { "name converter": "/bin/x" },
  };
  const globalArgs = {
    ...parameterArgs("global"),
    connection,
    sudo: true,
    adopt: true,
    configPath: "/etc/rsyncd.conf",
    extra: { "max verbosity": "2" },
  };
  const secretsArgs: Required<RsyncSecretsArgs> = {
    connection,
    sudo: true,
    adopt: true,
    path: "/etc/rsyncd.secrets",
    users: { alice: "pw" },
  };

  test("the literals below list every key of each args type, and the rsync ones every parameter of the table", () => {
    assert.deepEqual(Object.keys(moduleArgs).sort(), moduleKeys.sort());
    assert.deepEqual(Object.keys(globalArgs).sort(), globalKeys.sort());
  });

  const cases: Array<
    [string, string, Record<string, unknown>, (name: string, args: any) => pulumi.CustomResource, ResourceKindProvider]
  > = [
    ["XinetdService", "full-svc", xinetdArgs, (name, args) => new XinetdService(name, args), xinetdService],
    ["RsyncModule", "full-mod", moduleArgs, (name, args) => new RsyncModule(name, args), rsyncModule],
    ["RsyncdConfig", "full-cfg", globalArgs, (name, args) => new RsyncdConfig(name, args), rsyncdConfig],
    ["RsyncSecrets", "full-sec", secretsArgs, (name, args) => new RsyncSecrets(name, args), rsyncSecrets],
  ];
  for (const [kind, name, args, construct, provider] of cases) {
    test(`${kind}: each input is registered as given and is an input the provider's check knows and keeps`, async () => {
      await settled(construct(name, args).urn);
      const inputs = plain(registered(name).inputs) as Record<string, unknown>;
      const checked = provider.check({}, inputs);
      assert.deepEqual(
        checked.failures.filter((f) => /is not a property/.test(f.reason)),
        [],
      );
      for (const [key, value] of Object.entries(args)) {
        assert.deepEqual(inputs[key], value, `${kind}.${key} reaches the registered inputs`);
        assert.ok(Object.hasOwn(checked.inputs, key), `${kind}.${key} is kept by check`);
      }
    });
  }

  test("RsyncServer: each of its inputs reaches the child resources it is meant for", async () => {
    const serverArgs: Required<RsyncServerArgs> = {
      connection,
      sudo: true,
      configPath: "/etc/rsyncd/full.conf",
      global: { useChroot: true },
      modules: { data: { path: "/srv/data", adopt: true } },
      secrets: { path: "/etc/rsyncd.secrets", users: { alice: "pw" }, adopt: true },
      xinetd: { serviceId: "rsync-full", port: 8873 },
      launcher: "xinetd",
      socket: { serviceName: "rsyncd", unitDir: "/run/systemd/system" },
    };
    const server = new RsyncServer("full-srv", serverArgs);
    await settled(server.service.urn);
    await settled(server.listedModules.apply(() => 0));
    const inputsOf = (child: string) => plain(registered(`full-srv-${child}`).inputs) as Record<string, unknown>;
    for (const child of ["config", "secrets", "data", "xinetd", "listing"]) {
      assert.deepEqual([inputsOf(child).connection, inputsOf(child).sudo], [connection, true], child);
    }
    for (const child of ["config", "data", "listing"])
      assert.equal(inputsOf(child).configPath, "/etc/rsyncd/full.conf", child);
    assert.equal(inputsOf("config").useChroot, true);
    assert.deepEqual([inputsOf("data").path, inputsOf("data").adopt], ["/srv/data", true]);
    assert.deepEqual(
      [inputsOf("secrets").path, inputsOf("secrets").users, inputsOf("secrets").adopt],
      ["/etc/rsyncd.secrets", { alice: "pw" }, true],
    );
    assert.deepEqual(
      [inputsOf("xinetd").serviceId, inputsOf("xinetd").port, inputsOf("listing").port],
      ["rsync-full", 8873, 8873],
    );
    assert.deepEqual(inputsOf("xinetd").handover, {
      port: 8873,
      systemd: { unitDir: "/run/systemd/system", serviceName: "rsyncd", wait: false },
    });
  });

  test("RsyncServer with launcher systemd: a SystemdSocketService with xinetd's defaults as the mapping gives them", async () => {
    const server = new RsyncServer("sock", {
      connection,
      configPath: "/etc/rsyncd/sock.conf",
      modules: { pub: { path: "/srv/pub" } },
      launcher: "systemd",
      socket: { instances: 30 },
      xinetd: { configDir: "/etc/xinetd.local" },
    });
    await settled(server.listedModules.apply(() => 0));
    assert.ok(server.service instanceof SystemdSocketService);
    assert.equal(registered("sock-systemd").type, "pulumi-nodejs:dynamic/pulumi-xinetd:SystemdSocketService");
    assert.equal(
      registrations.some((r) => r.name === "sock-xinetd"),
      false,
      "no xinetd service",
    );
    assert.deepEqual(registered("sock-systemd").dependencies, [registered("sock-pub").urn]);
    const socket = plain(registered("sock-systemd").inputs) as Record<string, unknown>;
    assert.deepEqual(
      [socket.serviceName, socket.port, socket.socketType, socket.wait, socket.user, socket.server, socket.serverArgs],
      ["rsync", 873, "stream", false, "root", "/usr/bin/rsync", ["--daemon", "--config=/etc/rsyncd/sock.conf"]],
    );
    assert.equal(socket.instances, 30);
    assert.equal(socket.logOnFailure, undefined, "no equivalent: systemd journals");
    assert.deepEqual(socket.handover, { port: 873, xinetd: { path: "/etc/xinetd.local/rsync" } });
    assert.ok(registered("sock-listing").dependencies.includes(registered("sock-systemd").urn));
    assert.equal(registered("sock-listing").inputs.port, 873);
  });

  test("RsyncServer with launcher systemd: every child writing a file waits on the host's systemd check", async () => {
    const server = new RsyncServer("gated", {
      connection,
      global: { port: 873 },
      secrets: { path: "/etc/rsyncd.secrets", users: { alice: "pw" } },
      modules: { pub: { path: "/srv/pub" } },
      launcher: "systemd",
    });
    await settled(server.listedModules.apply(() => 0));
    const check = registered("gated-systemd-check");
    assert.equal(check.type, "pulumi-nodejs:dynamic/pulumi-xinetd:RsyncLauncherCheck");
    assert.equal(check.inputs.launcher, "systemd");
    assert.deepEqual(check.dependencies, [], "the check waits on nothing");
    for (const child of ["gated-config", "gated-secrets", "gated-pub"])
      assert.ok(registered(child).dependencies.includes(check.urn), `${child} waits on the check`);

    const plainServer = new RsyncServer("ungated", { connection, modules: { pub: { path: "/srv/pub" } } });
    await settled(plainServer.listedModules.apply(() => 0));
    assert.equal(
      registrations.some((r) => r.name === "ungated-systemd-check"),
      false,
      "xinetd needs no check",
    );
  });

  test("RsyncServer refuses overrides of the launcher not in use, naming them", () => {
    assert.throws(
      () =>
        new RsyncServer("wrong1", { connection, launcher: "systemd", xinetd: { flags: ["IPv6"], serviceName: "r" } }),
      /with `launcher: "systemd"`, `xinetd.flags` would not apply; set it under `socket`/,
    );
    assert.throws(
      () => new RsyncServer("wrong2", { connection, socket: { instances: 3, bind: "10.0.0.1" } }),
      /with `launcher: "xinetd"`, `socket.instances`, `socket.bind` would not apply; set them under `xinetd`/,
    );
    assert.throws(
      () => new RsyncServer("wrong3", { connection, launcher: "inetd" as "xinetd" }),
      /`launcher` must be "xinetd" or "systemd", not "inetd"/,
    );
  });
});
