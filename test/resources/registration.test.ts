// Registration under pulumi.runtime.setMocks: type tokens, inputs, RsyncServer's wiring, secret
// outputs, and the serialized provider: small, requiring only the package, and callable from a
// fresh node process the way the dynamic-provider host loads it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';

import * as pulumi from '@pulumi/pulumi';

import { RsyncdConfig, RsyncModule, RsyncSecrets, RsyncServer, XinetdService } from '../../src';

const PROJECT_ROOT = path.resolve(__dirname, '../..');
const MAX_SHIM_CHARS = 4_000;
const connection = { host: '192.0.2.1', privateKey: 'key text' };

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
  await pulumi.runtime.setMocks({
    newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }),
    call: (args) => args.inputs,
  }, 'project', 'stack', false);
  // The mocks see only type, name and inputs; dependencies and secret outputs are in the request.
  const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource: (req: any, callback: any) => void };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) => {
    const registration: Registration = {
      type: req.getType(), name: req.getName(), urn: '', parent: req.getParent(), dependencies: req.getDependenciesList(),
      additionalSecretOutputs: req.getAdditionalsecretoutputsList(), inputs: req.getObject()?.toJavaScript() ?? {},
    };
    registrations.push(registration);
    register(req, (error: unknown, response: any) => {
      if (response) registration.urn = response.getUrn();
      callback(error, response);
    });
  };
});

describe('registration', () => {
  test('each resource registers its dynamic type token, its inputs and its secret outputs', async () => {
    const service = new XinetdService('echo', { connection, serviceName: 'echo', socketType: 'stream', wait: false, type: ['INTERNAL'] });
    const module = new RsyncModule('mod', { connection, moduleName: 'm', path: '/srv/m' });
    const config = new RsyncdConfig('cfg', { connection, useChroot: true });
    const secrets = new RsyncSecrets('sec', { connection, path: '/etc/rsyncd.secrets', users: { alice: 'pw' } });
    await Promise.all([service, module, config, secrets].map((r) => settled(r.urn)));
    const expected: Array<[string, string, string[]]> = [
      ['echo', 'XinetdService', ['connection']],
      ['mod', 'RsyncModule', ['connection']],
      ['cfg', 'RsyncdConfig', ['connection']],
      ['sec', 'RsyncSecrets', ['connection', 'checksum', 'salt']],
    ];
    for (const [name, type, secretOutputs] of expected) {
      const registration = registered(name);
      assert.equal(registration.type, `pulumi-nodejs:dynamic/pulumi-xinetd:${type}`);
      assert.deepEqual(registration.additionalSecretOutputs, secretOutputs);
      assert.equal(typeof registration.inputs.__provider, 'string');
    }
    assert.equal(registered('echo').inputs.serviceName, 'echo');
    assert.equal(registered('mod').inputs.moduleName, 'm');
  });

  test('RsyncServer wires config and secrets before modules, all before xinetd, and the listing last', async () => {
    const server = new RsyncServer('seed', {
      connection,
      configPath: '/etc/rsyncd/rsyncd.conf',
      global: { useChroot: true, logFile: '/var/log/rsyncd.log' },
      secrets: { path: '/etc/rsyncd.secrets', users: { alice: 'pw' } },
      modules: { backup: { path: '/srv/backup', authUsers: ['alice'], secretsFile: '/etc/rsyncd.secrets' }, hidden: { path: '/srv/hidden', list: false } },
    });
    await settled(server.urn);
    await settled(server.service.urn);
    await settled(pulumi.output(server.modules).apply(() => 0));
    const component = registered('seed');
    assert.equal(component.type, 'pulumi-xinetd:index:RsyncServer');
    const urn = (name: string) => registered(name).urn;
    for (const name of ['seed-config', 'seed-secrets', 'seed-backup', 'seed-hidden', 'seed-xinetd', 'seed-listing']) {
      assert.equal(registered(name).parent, component.urn, `${name} is a child of the component`);
    }
    assert.deepEqual(registered('seed-backup').dependencies.sort(), [urn('seed-config'), urn('seed-secrets')].sort());
    assert.deepEqual(registered('seed-xinetd').dependencies.sort(), ['seed-config', 'seed-secrets', 'seed-backup', 'seed-hidden'].map(urn).sort());
    assert.ok(registered('seed-listing').dependencies.includes(urn('seed-xinetd')));

    const xinetd = registered('seed-xinetd').inputs;
    assert.deepEqual(
      [xinetd.serviceName, xinetd.socketType, xinetd.wait, xinetd.user, xinetd.server, xinetd.serverArgs, xinetd.logOnFailure, xinetd.disable],
      ['rsync', 'stream', false, 'root', '/usr/bin/rsync', ['--daemon', '--config=/etc/rsyncd/rsyncd.conf'], { add: ['USERID'] }, false],
    );
    assert.equal(registered('seed-backup').inputs.configPath, '/etc/rsyncd/rsyncd.conf');
    assert.equal(registered('seed-listing').inputs.port, 873);
    assert.deepEqual(registered('seed-listing').inputs.expectedModules, ['backup']);
  });

  test('RsyncSecrets registers its passwords as a secret input', async () => {
    const secrets = new RsyncSecrets('sec2', { connection, path: '/etc/s', users: { alice: 'hunter2' } });
    await settled(secrets.urn);
    const users = registered('sec2').inputs.users as Record<string, unknown>;
    // A secret travels as { 4dabf18193072939515e22adb298388d: "1b47061264138c4ac30d75fd1eb44270", value }.
    assert.equal(users['4dabf18193072939515e22adb298388d'], '1b47061264138c4ac30d75fd1eb44270');
  });
});

describe('secret content', () => {
  const SIG = '4dabf18193072939515e22adb298388d';

  test('secretContent is true exactly when an argument other than the connection holds a secret, and is itself plain', async () => {
    const resources = [
      new XinetdService('plain-svc', { connection: pulumi.secret(connection), serviceName: 'p', socketType: 'stream', wait: false, type: ['INTERNAL'] }),
      new XinetdService('env-svc', { connection, serviceName: 'e', socketType: 'stream', wait: false, user: 'u', server: '/bin/x', env: [pulumi.secret('TOKEN=x')] }),
      new XinetdService('args-svc', { connection, serviceName: 'a', socketType: 'stream', wait: false, user: 'u', server: '/bin/x', serverArgs: pulumi.secret(['--token', 'x']) }),
      new RsyncModule('plain-mod', { connection, moduleName: 'p', path: '/srv/p' }),
      new RsyncModule('exec-mod', { connection, moduleName: 'x', path: '/srv/x', preXferExec: pulumi.secret('/bin/check --key k') }),
      new RsyncModule('extra-mod', { connection, moduleName: 'y', path: '/srv/y', extra: { 'post-xfer exec': pulumi.secret('/bin/y') } }),
      new RsyncdConfig('plain-cfg', { connection, useChroot: true }),
      new RsyncdConfig('motd-cfg', { connection, motdFile: pulumi.output('/etc/motd').apply((file) => pulumi.secret(file)) }),
    ];
    await Promise.all(resources.map((r) => settled(r.urn)));
    const expected: Record<string, boolean> = {
      'plain-svc': false, 'env-svc': true, 'args-svc': true, 'plain-mod': false, 'exec-mod': true, 'extra-mod': true, 'plain-cfg': false, 'motd-cfg': true,
    };
    for (const [name, secret] of Object.entries(expected)) {
      assert.equal(registered(name).inputs.secretContent, secret, name);
    }
  });

  test('RsyncServer passes it on to the children whose file holds the secret', async () => {
    const server = new RsyncServer('secret-seed', {
      connection,
      global: { useChroot: true },
      modules: { open: { path: '/srv/open' }, hooked: { path: '/srv/hooked', preXferExec: pulumi.secret('/bin/hook --token t') } },
      xinetd: { env: [pulumi.secret('TOKEN=t')] },
    });
    await settled(server.service.urn);
    await settled(pulumi.output(server.modules).apply(() => 0));
    assert.equal(registered('secret-seed-config').inputs.secretContent, false);
    assert.equal(registered('secret-seed-open').inputs.secretContent, false);
    assert.equal(registered('secret-seed-hooked').inputs.secretContent, true);
    assert.equal(registered('secret-seed-xinetd').inputs.secretContent, true);
    // The secret itself travels marked; the flag does not need to.
    assert.equal((registered('secret-seed-hooked').inputs.preXferExec as Record<string, unknown>)[SIG], '1b47061264138c4ac30d75fd1eb44270');
  });
});

describe('the serialized provider', () => {
  test('every resource\'s __provider is a small shim that requires only the package', async () => {
    const names = ['echo', 'mod', 'cfg', 'sec', 'seed-listing'];
    for (const name of names) {
      const text = registered(name).inputs.__provider as string;
      assert.ok(text.length < MAX_SHIM_CHARS, `${name}: ${text.length} characters`);
      assert.match(text, /\("pulumi-xinetd\/provider"\)/);
      const requires = [...text.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
      assert.deepEqual([...new Set(requires)], ['module'], `${name} requires only node's module loader`);
      // No local code by value: no format-layer, remote-layer or provider function bodies.
      assert.doesNotMatch(text, /parseXinetdDocument|changeRemoteFile|openHost|withoutUndefined|sha256/);
    }
  });

  test('loaded in a fresh node process the way the host loads it, its check runs the package\'s code', async () => {
    const text = registered('sec').inputs.__provider as string;
    const script = `
      const requireFromString = require(${JSON.stringify(require.resolve('require-from-string', { paths: [require.resolve('@pulumi/pulumi')] }))});
      const provider = requireFromString(process.argv[1]).handler();
      Promise.resolve(provider.check({}, { connection: { host: "h", privateKey: "k" }, path: "relative", users: { alice: "pw" } }))
        .then((result) => process.stdout.write(JSON.stringify(result.failures)));`;
    const output = execFileSync(process.execPath, ['-e', script, text], { cwd: PROJECT_ROOT, encoding: 'utf8' });
    assert.deepEqual(JSON.parse(output), [{ property: 'path', reason: '`path` must be an absolute file path without `.` or `..` segments, doubled `/` or a trailing `/`.' }]);
  });
});
