/**
 * A user's infra repo: the fleet is data in stack config (`pulumi-xinetd:hosts`,
 * `pulumi-xinetd:groups`, see Pulumi.dev.yaml), checked as a whole by the package's `Fleet` before
 * anything is created. The `*Secret` fields name secret keys of this project (`my-infra:opsKey`).
 */
import { Fleet } from "pulumi-xinetd";

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
