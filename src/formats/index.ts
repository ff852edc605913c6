/**
 * The format layer: lossless documents, typed models, edits and validation for xinetd service
 * files, rsyncd.conf and systemd unit files. Pure code: it imports neither Pulumi nor an SSH client, so everything here
 * can be tested on strings alone and reused by the remote and resource layers.
 */
export * from "./problems";
export * from "./strings";
export * from "./xinetd";
export * from "./rsyncd";
export * from "./systemd";
