// Runs a Pulumi program under pulumi.runtime.setMocks with a given stack config and records every
// resource registration as the engine would receive it (type, name, parent, dependencies, inputs).
// The mocks echo inputs as state and never call a provider method.
import assert from "node:assert/strict";

import * as pulumi from "@pulumi/pulumi";

export interface Registration {
  type: string;
  name: string;
  urn: string;
  parent: string;
  dependencies: string[];
  /** Aliases as sent: alias specs (objects) or, without spec support, URNs. */
  aliases: unknown[];
  inputs: Record<string, any>;
}

/** What travels for a secret value in a serialized input. */
export const SECRET_SIG = "4dabf18193072939515e22adb298388d";
export const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";
export const DYNAMIC_TYPE_PREFIX = "pulumi-nodejs:dynamic/pulumi-xinetd:";

export function isSecret(value: unknown): boolean {
  return typeof value === "object" && value !== null && (value as Record<string, unknown>)[SECRET_SIG] === SECRET_VALUE;
}

export class MockedProgram {
  readonly registrations: Registration[] = [];
  private pending = 0;
  private failures: unknown[] = [];

  /**
   * Sets the mocks for `project` and the stack config: `key` is `project:key`, a key with a
   * namespace (`pulumi-xinetd:hosts`) stays as it is; objects as JSON.
   */
  static async start(
    project: string,
    config: Record<string, unknown>,
    secretKeys: string[] = [],
  ): Promise<MockedProgram> {
    const program = new MockedProgram();
    await pulumi.runtime.setMocks(
      {
        newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }),
        call: (args) => args.inputs,
      },
      project,
      "test",
      false,
    );
    const text = Object.fromEntries(
      Object.entries(config).map(([key, value]) => [
        key.includes(":") ? key : `${project}:${key}`,
        typeof value === "string" ? value : JSON.stringify(value),
      ]),
    );
    pulumi.runtime.setAllConfig(
      text,
      secretKeys.map((key) => (key.includes(":") ? key : `${project}:${key}`)),
    );
    const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource: (req: any, callback: any) => void };
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, callback) => {
      const registration: Registration = {
        type: req.getType(),
        name: req.getName(),
        urn: "",
        parent: req.getParent(),
        dependencies: req.getDependenciesList(),
        aliases: [...req.getAliasesList().map((alias: any) => alias.toObject()), ...req.getAliasurnsList()],
        inputs: req.getObject()?.toJavaScript() ?? {},
      };
      program.registrations.push(registration);
      program.pending++;
      register(req, (error: unknown, response: any) => {
        if (error) program.failures.push(error);
        if (response) registration.urn = response.getUrn();
        program.pending--;
        callback(error, response);
      });
    };
    return program;
  }

  /** Resolves once no registration is in flight and none started for a while. */
  async settled(): Promise<void> {
    let quietRounds = 0;
    let seen = -1;
    while (quietRounds < 3) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      quietRounds = this.pending === 0 && seen === this.registrations.length ? quietRounds + 1 : 0;
      seen = this.registrations.length;
    }
    assert.deepEqual(this.failures, [], "every registration succeeded");
  }

  get(name: string): Registration {
    const found = this.registrations.find((r) => r.name === name);
    assert.ok(found, `${name} was registered (registered: ${this.registrations.map((r) => r.name).join(", ")})`);
    return found;
  }

  /** [short type, name] of every registration, sorted, short types without the dynamic prefix. */
  summary(): Array<[string, string]> {
    return this.registrations
      .map((r): [string, string] => [r.type.replace(DYNAMIC_TYPE_PREFIX, ""), r.name])
      .sort((a, b) => a[1].localeCompare(b[1]) || a[0].localeCompare(b[0]));
  }

  /**
   * Every dynamic resource carries its serialized provider (a failed serialization rejects its outputs and never
   * registers).
   */
  assertProvidersSerialized(): void {
    const dynamic = this.registrations.filter((r) => r.type.startsWith(DYNAMIC_TYPE_PREFIX));
    assert.ok(dynamic.length > 0, "the program has dynamic resources");
    for (const registration of dynamic) {
      const provider = registration.inputs.__provider;
      assert.equal(typeof provider, "string", `${registration.name}: __provider is serialized text`);
      assert.match(
        provider as string,
        /"pulumi-xinetd\/provider"/,
        `${registration.name}: the shim loads the package's provider`,
      );
      assert.ok(isSecret(registration.inputs.connection), `${registration.name}: connection is a secret`);
    }
  }
}

/** Waits for an output's value (undefined when unknown under mocks). */
export function valueOf<T>(output: pulumi.Input<T>): Promise<T> {
  return new Promise((resolve) => pulumi.output(output).apply((value) => resolve(value as T)));
}
