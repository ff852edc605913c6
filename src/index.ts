/** pulumi-xinetd: Pulumi resources for xinetd services and rsync daemon modules, over the format layer. */
export * from "./formats";
export * from "./resources";
