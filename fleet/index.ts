/**
 * The repository's root program (Pulumi.yaml): the package's `Fleet` on this project's stack
 * config. See Pulumi.sample.yaml for a stack file and src/fleet/README.md for every field.
 */
import { Fleet } from "../src";

const fleet = new Fleet("fleet");

/** Host → group → the modules its rsync daemon lists, as checked from the host. */
export const listedModules = Object.fromEntries(
  Object.entries(fleet.hosts).map(([hostName, host]) => [
    hostName,
    Object.fromEntries(
      Object.entries(host.groups).flatMap(([groupName, resources]) =>
        resources.server ? [[groupName, resources.server.listedModules]] : [],
      ),
    ),
  ]),
);
