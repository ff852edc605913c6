/** pulumi-xinetd: the public entry point. The resources arrive on top of the format layer. */
export * from "./formats";
