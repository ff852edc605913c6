/**
 * The provider object every dynamic resource registers. Pulumi serializes it into the stack state
 * as JavaScript text, and delete and refresh later run that stored text, so it holds no code of
 * its own: each method loads `pulumi-xinetd/provider` at call time and delegates to it. The
 * dynamic-provider host evaluates the text as a module without a file name, where a bare
 * `require` of this package fails inside its own repository; resolving from the project directory
 * (the host's working directory) finds the installed package, or this package itself by name.
 */
import type * as pulumi from "@pulumi/pulumi";

import type { ResourceKind } from "../provider";

export function providerShim(kind: ResourceKind): pulumi.dynamic.ResourceProvider {
  // Serialized by value with the methods below: a few lines, no library code. The require runs at
  // call time so a state written by an older version runs with the installed code.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const implementation = () => require("module").createRequire(`${process.cwd()}/`)("pulumi-xinetd/provider")[kind];
  return {
    check: async (olds, news) => implementation().check(olds, news),
    diff: async (id, olds, news) => implementation().diff(id, olds, news),
    create: async (inputs) => implementation().create(inputs),
    read: async (id, props) => implementation().read(id, props),
    update: async (id, olds, news) => implementation().update(id, olds, news),
    delete: async (id, props) => implementation().delete(id, props),
  };
}
