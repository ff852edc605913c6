// The layers depend one way: formats ← schema ← remote ← doctor ← provider ← resources ← fleet, and the
// command line (src/cli.ts) on the doctor. Every import of
// every file under src/ is read with the TypeScript parser and checked against what its layer may
// import, so a shortcut (the format layer reaching for ssh2, a resource calling the remote layer
// at registration time) fails here instead of in review.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { test } from "node:test";

import ts from "typescript";

const SRC = resolve(__dirname, "../../src");

type Layer = "formats" | "schema" | "remote" | "doctor" | "provider" | "resources" | "fleet" | "root" | "cli";

/** What each layer may import: other layers (value imports), layers it may import types from, and packages. */
const ALLOWED: Record<Layer, { values: readonly Layer[]; typesOnly: readonly Layer[]; packages: readonly string[] }> = {
  formats: { values: ["formats"], typesOnly: [], packages: [] },
  // What the layers above share, SSH- and Pulumi-free: settings tables, defaults, value checks.
  schema: { values: ["formats", "schema"], typesOnly: [], packages: [] },
  remote: { values: ["formats", "schema", "remote"], typesOnly: [], packages: ["ssh2"] },
  // The diagnosis reads hosts through the remote layer; Pulumi-free, so the command line runs without it.
  doctor: { values: ["formats", "schema", "remote", "doctor"], typesOnly: [], packages: [] },
  // The provider attaches the doctor's findings to a failed check.
  provider: { values: ["formats", "schema", "remote", "doctor", "provider"], typesOnly: [], packages: [] },
  // The provider is loaded by the serialized shim at call time (a computed require), never imported.
  resources: {
    values: ["formats", "schema", "resources"],
    typesOnly: ["provider", "remote"],
    packages: ["@pulumi/pulumi", "@pulumi/command"],
  },
  fleet: {
    values: ["formats", "schema", "resources", "fleet"],
    typesOnly: ["remote"],
    packages: ["@pulumi/pulumi", "@pulumi/command"],
  },
  root: { values: ["resources", "fleet"], typesOnly: ["formats"], packages: [] },
  // `pulumi-xinetd doctor`, the package's bin.
  cli: { values: ["doctor", "remote"], typesOnly: [], packages: [] },
};

interface Import {
  specifier: string;
  typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

function layerOf(file: string): Layer {
  const first = relative(SRC, file).split("/")[0]!;
  // `src/index.ts` is the package root, `src/cli.ts` the bin; `../formats` (a folder's index) is the formats layer.
  return first === "index.ts" ? "root" : (first.replace(/\.ts$/, "") as Layer);
}

/** Static imports and re-exports (with whether they are type-only) and literal `require("…")` calls. */
function importsOf(file: string, text: string): Import[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: Import[] = [];
  const visit = (node: ts.Node): void => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      const typeOnly = ts.isImportDeclaration(node)
        ? node.importClause?.isTypeOnly === true ||
          (node.importClause !== undefined &&
            node.importClause.name === undefined &&
            node.importClause.namedBindings !== undefined &&
            ts.isNamedImports(node.importClause.namedBindings) &&
            node.importClause.namedBindings.elements.every((element) => element.isTypeOnly))
        : node.isTypeOnly;
      found.push({ specifier: node.moduleSpecifier.text, typeOnly });
    }
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === "require") {
      const [argument] = node.arguments;
      if (argument && ts.isStringLiteral(argument)) found.push({ specifier: argument.text, typeOnly: false });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function isBuiltin(specifier: string): boolean {
  return specifier.startsWith("node:") || builtinModules.includes(specifier);
}

/** The layer a relative import lands in (a folder's index or a file of it). */
function targetFile(from: string, specifier: string): string {
  return resolve(dirname(from), specifier);
}

function violations(file: string, text = readFileSync(file, "utf8")): string[] {
  const layer = layerOf(file);
  const allowed = ALLOWED[layer];
  return importsOf(file, text).flatMap(({ specifier, typeOnly }) => {
    const where = `${relative(SRC, file)} imports ${typeOnly ? "types from " : ""}"${specifier}"`;
    if (isBuiltin(specifier)) return [];
    if (!specifier.startsWith(".")) {
      const name = specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : specifier.split("/")[0]!;
      return allowed.packages.includes(name) ? [] : [`${where}: the ${layer} layer may not load ${name}`];
    }
    const target = targetFile(file, specifier);
    const targetLayer = layerOf(target);
    if (allowed.values.includes(targetLayer)) return [];
    if (typeOnly && allowed.typesOnly.includes(targetLayer)) return [];
    return [
      `${where}: the ${layer} layer may not ${allowed.typesOnly.includes(targetLayer) ? "import values from" : "import"} the ${targetLayer} layer`,
    ];
  });
}

test("every import under src/ follows the layers: formats ← schema ← remote ← doctor ← provider ← resources ← fleet", () => {
  const files = sourceFiles(SRC);
  assert.ok(files.length > 50, `found only ${files.length} source files under ${SRC}`);
  assert.deepEqual(
    files.flatMap((file) => violations(file)),
    [],
  );
});

test("the rule can fail: imports a layer may not make are reported, type-only ones where types are allowed are not", () => {
  const formatsFile = join(SRC, "formats/rsyncd/pretend.ts");
  assert.deepEqual(
    violations(
      formatsFile,
      'import { Client } from "ssh2";\nimport { openHost } from "../../remote/ssh";\nimport { posix } from "node:path";\n',
    ),
    [
      'formats/rsyncd/pretend.ts imports "ssh2": the formats layer may not load ssh2',
      'formats/rsyncd/pretend.ts imports "../../remote/ssh": the formats layer may not import the remote layer',
    ],
  );
  const schemaFile = join(SRC, "schema/pretend.ts");
  assert.deepEqual(
    violations(
      schemaFile,
      'import { RSYNC_PARAMETERS } from "../formats";\nimport type { CommandRunner } from "../remote";\n' +
        'import * as pulumi from "@pulumi/pulumi";\n',
    ),
    [
      'schema/pretend.ts imports types from "../remote": the schema layer may not import the remote layer',
      'schema/pretend.ts imports "@pulumi/pulumi": the schema layer may not load @pulumi/pulumi',
    ],
  );
  assert.deepEqual(violations(join(SRC, "fleet/pretend.ts"), 'import { isReload } from "../schema";\n'), []);
  assert.deepEqual(
    violations(join(SRC, "fleet/pretend.ts"), 'import { maxDialAttempts } from "../remote/ssh/target";\n'),
    ['fleet/pretend.ts imports "../remote/ssh/target": the fleet layer may not import values from the remote layer'],
  );
  assert.deepEqual(
    violations(
      join(SRC, "doctor/pretend.ts"),
      'import * as pulumi from "@pulumi/pulumi";\nimport { kind } from "../provider";\n',
    ),
    [
      'doctor/pretend.ts imports "@pulumi/pulumi": the doctor layer may not load @pulumi/pulumi',
      'doctor/pretend.ts imports "../provider": the doctor layer may not import the provider layer',
    ],
  );
  assert.deepEqual(violations(join(SRC, "resources/pretend.ts"), 'import { diagnoseRsyncHost } from "../doctor";\n'), [
    'resources/pretend.ts imports "../doctor": the resources layer may not import the doctor layer',
  ]);
  const resourceFile = join(SRC, "resources/pretend.ts");
  assert.deepEqual(
    violations(
      resourceFile,
      'import type { ResourceKind } from "../provider";\nimport { type Props } from "../provider";\n',
    ),
    [],
  );
  assert.deepEqual(
    violations(resourceFile, 'import { rsyncModule } from "../provider";\nconst p = require("../provider");\n'),
    [
      'resources/pretend.ts imports "../provider": the resources layer may not import values from the provider layer',
      'resources/pretend.ts imports "../provider": the resources layer may not import values from the provider layer',
    ],
  );
});
