/**
 * The declarative fleet: `Fleet` and the description it takes. `parseFleetConfig` is the pure
 * checker the component runs, for users who want to test a fleet description on its own.
 */
export {
  Fleet,
  FleetHostResource,
  FLEET_CONFIG_NAMESPACE,
  type FleetArgs,
  type HostGroupResources,
  type SecretReader,
} from "./fleet";
export { DEFAULT_RSYNCD_CONFIG_PATH } from "../schema";
export {
  formatFleetProblems,
  parseFleetConfig,
  type FleetConnection,
  type FleetDescription,
  type FleetGroup,
  type FleetHost,
  type FleetModule,
  type FleetParseOptions,
  type FleetParseResult,
  type FleetProblem,
  type FleetRsync,
  type FleetRule,
  type FleetSecrets,
  type FleetXinetdService,
  type RawFleetConfig,
} from "./config";
