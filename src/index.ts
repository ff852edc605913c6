/**
 * pulumi-xinetd: Pulumi resources for xinetd services and rsync daemon modules.
 *
 * The root holds the resources and the types their inputs use. The format layer (parsers, models,
 * edits, validation) is `pulumi-xinetd/formats`; the provider implementation the serialized shims
 * load is `pulumi-xinetd/provider`. Loading the root loads neither the provider nor ssh2.
 */
export * from "./resources";
export type { EnvValue, ListValue, LogType, ResourceLimit, SocketType } from "./formats";
