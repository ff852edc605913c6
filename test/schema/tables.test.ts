// One source of truth per resource kind: the tables (rsync parameters, xinetd attributes, the
// resource settings) against what is still written by hand. The types below are checked by
// `tsc --noEmit` (`npm test` runs it first): an args interface whose keys, types or required
// inputs drift from its tables does not compile. The tests read the interfaces' TSDoc with the
// TypeScript compiler and hold it, and the README's reference, to the tables' doc and default.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";

import type * as pulumi from "@pulumi/pulumi";
import ts from "typescript";

import type {
  ConnectionArgs,
  RsyncdConfig,
  RsyncdConfigArgs,
  RsyncModule,
  RsyncModuleArgs,
  RsyncSecrets,
  RsyncSecretsArgs,
  SystemdSocketService,
  SystemdSocketServiceArgs,
  XinetdService,
  XinetdServiceArgs,
} from "../../src";
import {
  MODULE_MODEL_PARAMETERS,
  GLOBAL_MODEL_PARAMETERS,
  type ListValue,
  type RsyncdGlobalModel,
  type RsyncModuleModel,
  type SystemdSocketServiceModel,
  type XinetdServiceModel,
} from "../../src/formats";
import {
  RESOURCE_SETTINGS,
  referenceRows,
  tsdocOf,
  type SettingKey,
  type SettingsKind,
  type SystemdExtra,
  type XinetdReload,
} from "../../src/schema";
import { README, withReference } from "../../scripts/reference";

// ---------------------------------------------------------------------------------------------
// Compile-time checks
// ---------------------------------------------------------------------------------------------

/** True only when A and B are the same type (not merely assignable one way). */
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Assert<T extends true> = T;
/** Assignable both ways: what an input and a model value must be, once Pulumi's wrappers are unwrapped. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/** The keys whose unwrapped args type differs from the table's type; `never` when all agree. */
type Disagreeing<Args, Table> = {
  [K in keyof Table & keyof Args]-?: Same<pulumi.Unwrap<NonNullable<Args[K]>>, NonNullable<Table[K]>> extends true
    ? never
    : K;
}[keyof Table & keyof Args];

type RequiredKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? never : K }[keyof T];

/** The TypeScript type of each settings table `type`. */
interface SettingTypes {
  ConnectionArgs: pulumi.Unwrap<ConnectionArgs>;
  boolean: boolean;
  string: string;
  XinetdReload: XinetdReload;
  "Record<string, string>": Record<string, string>;
  "Record<string, ListValue>": Record<string, ListValue>;
  SystemdExtra: SystemdExtra;
}
type Settings<K extends SettingsKind> = (typeof RESOURCE_SETTINGS)[K][number];
/** The settings of a kind as the fields they describe. */
type SettingFields<K extends SettingsKind> = { [S in Settings<K> as S["key"]]: SettingTypes[S["type"]] };
type RequiredSettings<K extends SettingsKind> = Extract<Settings<K>, { required: true }>["key"];

type ModuleParameters = Omit<RsyncModuleModel, "name" | "extra">;
type GlobalParameters = Omit<RsyncdGlobalModel, "extra">;
type XinetdAttributes = Omit<XinetdServiceModel, "name" | "extra">;
type SystemdParameters = Omit<SystemdSocketServiceModel, "name" | "extra">;

/** Exactly the table's keys: its parameters or attributes and its settings, nothing else. */
export type KeysAreTheTables = [
  Assert<Equals<keyof RsyncModuleArgs, keyof ModuleParameters | SettingKey<"RsyncModule">>>,
  Assert<Equals<keyof RsyncdConfigArgs, keyof GlobalParameters | SettingKey<"RsyncdConfig">>>,
  Assert<Equals<keyof XinetdServiceArgs, keyof XinetdAttributes | SettingKey<"XinetdService">>>,
  Assert<Equals<keyof RsyncSecretsArgs, SettingKey<"RsyncSecrets">>>,
  Assert<Equals<keyof SystemdSocketServiceArgs, keyof SystemdParameters | SettingKey<"SystemdSocketService">>>,
];

/** The table's type for every key. `serverArgs` also takes xinetd's own line as a string (and stores the list). */
export type TypesAreTheTables = [
  Assert<Equals<Disagreeing<RsyncModuleArgs, ModuleParameters & SettingFields<"RsyncModule">>, never>>,
  Assert<Equals<Disagreeing<RsyncdConfigArgs, GlobalParameters & SettingFields<"RsyncdConfig">>, never>>,
  Assert<Equals<Disagreeing<Omit<XinetdServiceArgs, "serverArgs">, XinetdAttributes>, never>>,
  Assert<Equals<Disagreeing<XinetdServiceArgs, SettingFields<"XinetdService">>, never>>,
  Assert<Same<pulumi.Unwrap<NonNullable<XinetdServiceArgs["serverArgs"]>>, string | string[]>>,
  Assert<Equals<Disagreeing<RsyncSecretsArgs, SettingFields<"RsyncSecrets">>, never>>,
  Assert<Equals<Disagreeing<Omit<SystemdSocketServiceArgs, "serverArgs">, SystemdParameters>, never>>,
  Assert<Equals<Disagreeing<SystemdSocketServiceArgs, SettingFields<"SystemdSocketService">>, never>>,
  Assert<Same<pulumi.Unwrap<NonNullable<SystemdSocketServiceArgs["serverArgs"]>>, string | string[]>>,
];

/** Required exactly where the settings table says so; every parameter and attribute is optional. */
export type RequiredAreTheTables = [
  Assert<Equals<RequiredKeys<RsyncModuleArgs>, RequiredSettings<"RsyncModule">>>,
  Assert<Equals<RequiredKeys<RsyncdConfigArgs>, RequiredSettings<"RsyncdConfig">>>,
  Assert<Equals<RequiredKeys<XinetdServiceArgs>, RequiredSettings<"XinetdService">>>,
  Assert<Equals<RequiredKeys<RsyncSecretsArgs>, RequiredSettings<"RsyncSecrets">>>,
  // `port` and `server` have no default under systemd: required like the settings that are.
  Assert<Equals<RequiredKeys<SystemdSocketServiceArgs>, RequiredSettings<"SystemdSocketService"> | "port" | "server">>,
];

/** Every input is an output of the same (unwrapped) type; the passwords of RsyncSecrets are not. */
export type InputsAreOutputs = [
  Assert<Equals<XinetdService["port"], pulumi.Output<number | undefined>>>,
  Assert<Equals<XinetdService["serverArgs"], pulumi.Output<string[] | undefined>>>,
  Assert<Equals<XinetdService["configDir"], pulumi.Output<string>>>,
  Assert<Equals<RsyncModule["readOnly"], pulumi.Output<boolean | undefined>>>,
  Assert<Equals<RsyncModule["moduleName"], pulumi.Output<string>>>,
  Assert<Equals<RsyncdConfig["configPath"], pulumi.Output<string>>>,
  Assert<Equals<Exclude<keyof RsyncModuleArgs, keyof RsyncModule>, never>>,
  Assert<Equals<Exclude<keyof RsyncdConfigArgs, keyof RsyncdConfig>, never>>,
  Assert<Equals<Exclude<keyof XinetdServiceArgs, keyof XinetdService>, never>>,
  Assert<Equals<Exclude<keyof RsyncSecretsArgs, keyof RsyncSecrets>, "users">>,
  Assert<Equals<SystemdSocketService["port"], pulumi.Output<number>>>,
  Assert<Equals<SystemdSocketService["serverArgs"], pulumi.Output<string[] | undefined>>>,
  Assert<Equals<SystemdSocketService["wait"], pulumi.Output<boolean>>>,
  Assert<Equals<Exclude<keyof SystemdSocketServiceArgs, keyof SystemdSocketService>, never>>,
];

// ---------------------------------------------------------------------------------------------
// TSDoc and README
// ---------------------------------------------------------------------------------------------

const RESOURCES = join(__dirname, "../../src/resources");

/** Property → TSDoc text (blanks collapsed) of the named interfaces, following `extends` within the files read. */
function interfaceDocs(files: readonly string[], name: string): Map<string, string> {
  const interfaces = new Map<string, ts.InterfaceDeclaration>();
  for (const file of files) {
    const source = ts.createSourceFile(file, readFileSync(join(RESOURCES, file), "utf8"), ts.ScriptTarget.Latest, true);
    source.forEachChild((node) => {
      if (ts.isInterfaceDeclaration(node)) interfaces.set(node.name.text, node);
    });
  }
  const docs = new Map<string, string>();
  const collect = (interfaceName: string): void => {
    const declaration = interfaces.get(interfaceName);
    assert.ok(declaration, `interface ${interfaceName} is declared`);
    for (const clause of declaration.heritageClauses ?? [])
      for (const type of clause.types) collect(type.expression.getText());
    for (const member of declaration.members) {
      if (!ts.isPropertySignature(member)) continue;
      // The raw comment: the JSDoc parser would read `@pulumi/command` as a tag.
      const comment = ts
        .getJSDocCommentsAndTags(member)
        .map((doc) =>
          doc
            .getText()
            .replace(/^\/\*\*|\*\/$/g, "")
            .replace(/^\s*\* ?/gm, ""),
        )
        .join(" ");
      docs.set(member.name.getText(), comment.replace(/\s+/g, " ").trim());
    }
  };
  collect(name);
  return docs;
}

const ARGS: Record<SettingsKind, { files: string[]; name: string }> = {
  XinetdService: { files: ["xinetd-service.ts"], name: "XinetdServiceArgs" },
  RsyncModule: { files: ["rsync-module.ts"], name: "RsyncModuleArgs" },
  RsyncdConfig: { files: ["rsync-module.ts", "rsyncd-config.ts"], name: "RsyncdConfigArgs" },
  RsyncSecrets: { files: ["rsync-secrets.ts"], name: "RsyncSecretsArgs" },
  SystemdSocketService: { files: ["systemd-socket-service.ts"], name: "SystemdSocketServiceArgs" },
};

describe("the tables are the one source of each resource kind's inputs", () => {
  for (const [kind, { files, name }] of Object.entries(ARGS) as Array<[SettingsKind, (typeof ARGS)[SettingsKind]]>) {
    test(`${name}: every field's TSDoc is its table row's doc and default, and no field is missing`, () => {
      const docs = interfaceDocs(files, name);
      const rows = referenceRows(kind);
      assert.deepEqual([...docs.keys()].sort(), rows.map((row) => row.key).sort(), "the same keys");
      for (const row of rows) assert.equal(docs.get(row.key), tsdocOf(row), `TSDoc of ${name}.${row.key}`);
    });
  }

  test("the reference rows can disagree: a changed doc or default is a different TSDoc", () => {
    const row = referenceRows("RsyncModule").find((r) => r.key === "readOnly")!;
    assert.equal(tsdocOf(row), "Refuse uploads (`read only`). Default: unset (rsync uses `true`).");
    assert.notEqual(tsdocOf({ ...row, default: "unset (rsync uses `false`)" }), tsdocOf(row));
  });

  test("the providers' and the fleet's parameter keys are the tables' (name excluded: it is the identity)", () => {
    assert.ok(!MODULE_MODEL_PARAMETERS.some((p) => p.name === "name"));
    assert.deepEqual(
      referenceRows("RsyncModule")
        .filter((row) => row.scope !== "resource")
        .map((row) => row.key),
      MODULE_MODEL_PARAMETERS.map((p) => p.key),
    );
    assert.equal(GLOBAL_MODEL_PARAMETERS.length, MODULE_MODEL_PARAMETERS.length + 11);
  });

  test("README.md's input reference is what `npm run docs` generates from the tables", () => {
    const readme = readFileSync(README, "utf8");
    assert.equal(readme, withReference(readme), "README.md's reference is out of date: run `npm run docs`");
    assert.notEqual(
      withReference(readme.replace("| `readOnly` |", "| `readOnlyX` |")),
      readme.replace("| `readOnly` |", "| `readOnlyX` |"),
    );
  });
});
