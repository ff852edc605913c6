/** `RsyncModule`: one module section of an rsyncd.conf; the rest of the file is left as it is. */
import * as pulumi from "@pulumi/pulumi";

import { secretContentOf, withSecretOutputs, type ConnectionArgs, type InputOutputs } from "./connection";
import { providerShim } from "./provider-shim";

/** Every rsync module parameter (rsync 3.x), camelCase; each is written only when set. */
export interface RsyncModuleParameterArgs {
  /** Digest algorithms accepted for authentication (`auth digest`). Default: unset. */
  authDigest?: pulumi.Input<string>;
  /**
   * Users (or @groups) allowed to log in, with optional `:ro`/`:rw`/`:deny`; needs `secretsFile` (`auth users`).
   * Default: unset.
   */
  authUsers?: pulumi.Input<pulumi.Input<string>[]>;
  /** Character set of the module's file names (`charset`). Default: unset. */
  charset?: pulumi.Input<string>;
  /** Text shown next to the module in the module list (`comment`). Default: unset. */
  comment?: pulumi.Input<string>;
  /**
   * File patterns not compressed in transfer (`dont compress`). Default: unset (rsync uses rsync's built-in list of
   * compressed formats).
   */
  dontCompress?: pulumi.Input<pulumi.Input<string>[]>;
  /** Command run before the transfer request is read (`early exec`). Default: unset. */
  earlyExec?: pulumi.Input<string>;
  /** Exclude patterns, space separated (`exclude`). Default: unset. */
  exclude?: pulumi.Input<string>;
  /** File of exclude patterns (`exclude from`). Default: unset. */
  excludeFrom?: pulumi.Input<string>;
  /** Store privileged attributes in extended attributes (`fake super`). Default: unset (rsync uses `false`). */
  fakeSuper?: pulumi.Input<boolean>;
  /** Filter rules for the module (`filter`). Default: unset. */
  filter?: pulumi.Input<string>;
  /** Look up host names in `hostsAllow`/`hostsDeny` (`forward lookup`). Default: unset (rsync uses `true`). */
  forwardLookup?: pulumi.Input<boolean>;
  /** Group (or groups) the transfer runs as (`gid`). Default: unset. */
  gid?: pulumi.Input<string>;
  /** Client addresses, networks or names allowed to connect (`hosts allow`). Default: unset. */
  hostsAllow?: pulumi.Input<pulumi.Input<string>[]>;
  /** Client addresses, networks or names refused (`hosts deny`). Default: unset. */
  hostsDeny?: pulumi.Input<pulumi.Input<string>[]>;
  /** Ignore I/O errors when deciding whether to delete (`ignore errors`). Default: unset (rsync uses `false`). */
  ignoreErrors?: pulumi.Input<boolean>;
  /** Skip files the daemon cannot read (`ignore nonreadable`). Default: unset (rsync uses `false`). */
  ignoreNonreadable?: pulumi.Input<boolean>;
  /** Include patterns, space separated (`include`). Default: unset. */
  include?: pulumi.Input<string>;
  /** File of include patterns (`include from`). Default: unset. */
  includeFrom?: pulumi.Input<string>;
  /** chmod rules applied to received files (`incoming chmod`). Default: unset. */
  incomingChmod?: pulumi.Input<string>;
  /** Allow symlinks that leave the module (`insecure links`). Default: unset (rsync uses `false`). */
  insecureLinks?: pulumi.Input<boolean>;
  /** Whether the module appears in the module list (`list`). Default: unset (rsync uses `true`). */
  list?: pulumi.Input<boolean>;
  /** File used to enforce `maxConnections` (`lock file`). Default: unset (rsync uses `/var/run/rsyncd.lock`). */
  lockFile?: pulumi.Input<string>;
  /** File the daemon logs to instead of syslog (`log file`). Default: unset. */
  logFile?: pulumi.Input<string>;
  /** Format of transfer log lines (`log format`). Default: unset (rsync uses `%o %h [%a] %m (%u) %f %l`). */
  logFormat?: pulumi.Input<string>;
  /** Simultaneous connections allowed (0: no limit) (`max connections`). Default: unset (rsync uses `0`). */
  maxConnections?: pulumi.Input<number>;
  /** Highest verbosity a client may ask for (`max verbosity`). Default: unset (rsync uses `1`). */
  maxVerbosity?: pulumi.Input<number>;
  /** Rewrite symlinks so they cannot escape the module (`munge symlinks`). Default: unset. */
  mungeSymlinks?: pulumi.Input<boolean>;
  /** Program that converts user and group names (`name converter`). Default: unset. */
  nameConverter?: pulumi.Input<string>;
  /** Transfer numeric ids instead of names (`numeric ids`). Default: unset. */
  numericIds?: pulumi.Input<boolean>;
  /** Open files with O_NOATIME (`open noatime`). Default: unset. */
  openNoatime?: pulumi.Input<boolean>;
  /** chmod rules applied to sent files (`outgoing chmod`). Default: unset. */
  outgoingChmod?: pulumi.Input<string>;
  /** Directory the module serves (`path`). Default: unset. */
  path?: pulumi.Input<string>;
  /** Command run after the transfer (`post-xfer exec`). Default: unset. */
  postXferExec?: pulumi.Input<string>;
  /** Command run before the transfer; a failure refuses it (`pre-xfer exec`). Default: unset. */
  preXferExec?: pulumi.Input<string>;
  /** Refuse uploads (`read only`). Default: unset (rsync uses `true`). */
  readOnly?: pulumi.Input<boolean>;
  /** Client options the module refuses (`refuse options`). Default: unset. */
  refuseOptions?: pulumi.Input<pulumi.Input<string>[]>;
  /** Look up the client's host name (`reverse lookup`). Default: unset (rsync uses `true`). */
  reverseLookup?: pulumi.Input<boolean>;
  /** File of `user:password` lines for `authUsers` (`secrets file`). Default: unset. */
  secretsFile?: pulumi.Input<string>;
  /** Refuse a secrets file that others can read (`strict modes`). Default: unset (rsync uses `true`). */
  strictModes?: pulumi.Input<boolean>;
  /** Syslog facility of the daemon's messages (`syslog facility`). Default: unset (rsync uses `daemon`). */
  syslogFacility?: pulumi.Input<string>;
  /** Syslog tag of the daemon's messages (`syslog tag`). Default: unset (rsync uses `rsyncd`). */
  syslogTag?: pulumi.Input<string>;
  /** Directory for temporary files of received files (`temp dir`). Default: unset. */
  tempDir?: pulumi.Input<string>;
  /**
   * Seconds of I/O silence before the daemon drops a client (0: never) (`timeout`). Default: unset (rsync uses `0`).
   */
  timeout?: pulumi.Input<number>;
  /** Log every transferred file (`transfer logging`). Default: unset (rsync uses `false`). */
  transferLogging?: pulumi.Input<boolean>;
  /** User the transfer runs as (`uid`). Default: unset. */
  uid?: pulumi.Input<string>;
  /** chroot to `path` before the transfer (`use chroot`). Default: unset. */
  useChroot?: pulumi.Input<boolean>;
  /** Refuse downloads (`write only`). Default: unset (rsync uses `false`). */
  writeOnly?: pulumi.Input<boolean>;
  /**
   * Parameters this library does not model, by rsync's name (`"max verbosity"`), as text; validated like the rest.
   * Default: none.
   */
  extra?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

export interface RsyncModuleArgs extends RsyncModuleParameterArgs {
  /** How to reach the host (same shape as @pulumi/command's `remote.ConnectionArgs`). Required; secret in the state. */
  connection: pulumi.Input<ConnectionArgs>;
  /**
   * Run every command through `sudo -n` (for a non-root `connection.user` with passwordless sudo). Default: `false`.
   */
  sudo?: pulumi.Input<boolean>;
  /** Take over a module section that already exists in the file instead of refusing to. Default: `false`. */
  adopt?: pulumi.Input<boolean>;
  /** The rsyncd.conf holding the module. A change replaces. Default: `/etc/rsyncd.conf`. */
  configPath?: pulumi.Input<string>;
  /** The name clients ask for (`rsync host::name`): no `/`, `]`, or `global`. Required; a change replaces. */
  moduleName: pulumi.Input<string>;
}

/** Every input as an output (`connection` secret), and what the provider wrote. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- the outputs' types, declared only
export interface RsyncModule extends InputOutputs<RsyncModuleArgs, { configPath: string }> {
  /**
   * The module's section as written (or as found by the last refresh); secret whenever an input other than `connection`
   * is.
   */
  readonly content: pulumi.Output<string>;
  /** sha256 of `content`, hex; secret with it. */
  readonly checksum: pulumi.Output<string>;
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- see the interface
export class RsyncModule extends pulumi.dynamic.Resource {
  constructor(name: string, args: RsyncModuleArgs, opts?: pulumi.CustomResourceOptions) {
    const props = {
      ...args,
      connection: pulumi.secret(args.connection),
      secretContent: secretContentOf(args),
      content: undefined,
      checksum: undefined,
    };
    super(
      providerShim("rsyncModule"),
      name,
      props,
      withSecretOutputs(opts, ["connection"]),
      "pulumi-xinetd",
      "RsyncModule",
    );
  }
}
