/**
 * pulumi-xinetd: Pulumi resources for xinetd services and rsync daemon modules.
 *
 * The root holds the resources, the `Fleet` component built from them, and the types their inputs
 * use. The format layer (parsers, models,
 * edits, validation) is `pulumi-xinetd/formats`; the provider implementation the serialized shims
 * load is `pulumi-xinetd/provider`. Loading the root loads neither the provider nor ssh2.
 */
export * from "./resources";
export { Fleet } from "./fleet";
export type {
  FleetArgs,
  FleetConnection,
  FleetDescription,
  FleetGroup,
  FleetHost,
  FleetHostResource,
  FleetModule,
  FleetProblem,
  FleetRsync,
  FleetSecrets,
  FleetXinetdService,
  HostGroupResources,
} from "./fleet";
export type { EnvValue, ListValue, LogType, ResourceLimit, SocketType } from "./formats";
