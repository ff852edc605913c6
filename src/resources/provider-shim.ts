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
  return {
    check: async (olds, news) => require("module").createRequire(`${process.cwd()}/`)("pulumi-xinetd/provider")[kind].check(olds, news),
    diff: async (id, olds, news) => require("module").createRequire(`${process.cwd()}/`)("pulumi-xinetd/provider")[kind].diff(id, olds, news),
    create: async (inputs) => require("module").createRequire(`${process.cwd()}/`)("pulumi-xinetd/provider")[kind].create(inputs),
    read: async (id, props) => require("module").createRequire(`${process.cwd()}/`)("pulumi-xinetd/provider")[kind].read(id, props),
    update: async (id, olds, news) => require("module").createRequire(`${process.cwd()}/`)("pulumi-xinetd/provider")[kind].update(id, olds, news),
    delete: async (id, props) => require("module").createRequire(`${process.cwd()}/`)("pulumi-xinetd/provider")[kind].delete(id, props),
  };
}
