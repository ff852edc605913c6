/**
 * The fleet program (root Pulumi.yaml): hosts and groups from stack config, checked as a whole
 * before any resource is created. See Pulumi.sample.yaml for a stack file and fleet/config.ts for
 * every field and its default.
 */
import * as pulumi from "@pulumi/pulumi";

import { formatFleetProblems, parseFleetConfig } from "./config";
import { deployFleet } from "./fleet";

const config = new pulumi.Config();
const parsed = parseFleetConfig(
  { hosts: config.getObject<unknown>("hosts"), groups: config.getObject<unknown>("groups") },
  // `get` of a secret key only tells whether it is set; its value is read with requireSecret below.
  { configKeyExists: (key) => config.get(key) !== undefined, environment: process.env },
);
for (const warning of parsed.warnings) pulumi.log.warn(`${warning.path}: ${warning.message} [${warning.rule}]`);
if (!parsed.ok) {
  throw new pulumi.RunError(`The fleet config has ${parsed.problems.length} problem(s):\n${formatFleetProblems(parsed.problems)}`);
}

const hosts = deployFleet(parsed.fleet, (key) => config.requireSecret(key));

/** Host → group → the modules its rsync daemon lists, as checked from the host. */
export const listedModules = Object.fromEntries(Object.entries(hosts).map(([hostName, host]) => [
  hostName,
  Object.fromEntries(Object.entries(host.groups).flatMap(([groupName, resources]) => (resources.server ? [[groupName, resources.server.listedModules]] : []))),
]));
