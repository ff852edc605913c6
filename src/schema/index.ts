/**
 * What the resources, their providers, the SSH transport and the fleet parser share, SSH-free and
 * Pulumi-free: the resource-level settings of each kind, the defaults, the value checks of
 * connections and `reload`, and where a format-layer problem lands among a resource's inputs.
 * Imports only the format layer, so the package root loads it without the remote layer.
 */
export * from "./connection-rules";
export * from "./defaults";
export * from "./launcher-rules";
export * from "./problem-paths";
export * from "./settings";
export * from "./reference";
export * from "./systemd-parameters";
