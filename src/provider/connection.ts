/**
 * Where a resource lives and how to reach it: the connection's identity, resource ids, the
 * runner, and the host keys a state accepted on first use.
 */
import type { AcceptedHostKeys, CommandRunner, ConnectionArgs, HostTarget } from "../remote";
import { acceptedHostKeys, openHost } from "../remote/ssh";
import { DEFAULT_PORT, DEFAULT_USER } from "../remote/ssh/target";
import { sameProperty, type Props } from "./props";

/** Host, port and user: a change of any of them means another machine or account, so a replacement. */
function connectionIdentity(connection: unknown): [unknown, unknown, unknown] {
  const c = (connection ?? {}) as Partial<ConnectionArgs>;
  return [c.host, c.port ?? DEFAULT_PORT, c.user ?? DEFAULT_USER];
}

/** The connection with its defaults written out, so `port: 22` equals no port. */
export function withConnectionDefaults(connection: unknown): unknown {
  if (typeof connection !== "object" || connection === null) return connection;
  const c = connection as Partial<ConnectionArgs>;
  return { ...c, port: c.port ?? DEFAULT_PORT, user: c.user ?? DEFAULT_USER };
}

export function sameConnectionIdentity(a: unknown, b: unknown): boolean {
  return sameProperty(connectionIdentity(a), connectionIdentity(b));
}

/** The same host (host and port, whoever logs in): where two resources could touch one file. */
export function sameHost(a: unknown, b: unknown): boolean {
  const [hostA, portA] = connectionIdentity(a);
  const [hostB, portB] = connectionIdentity(b);
  return hostA === hostB && portA === portB;
}

/** `user@host:port`, as the remote layer's errors name a host. */
export function hostLabel(connection: unknown): string {
  const [host, port, user] = connectionIdentity(connection);
  return `${String(user)}@${String(host)}:${String(port)}`;
}

/** A stable id: where the managed thing lives. */
export function resourceId(connection: unknown, location: string): string {
  const [host, port] = connectionIdentity(connection);
  return `${String(host)}:${String(port)}:${location}`;
}

/** Where the resource's props say to connect, with the host keys its state accepted on first use. */
function hostTargetOf(props: Props): HostTarget {
  const accepted = props.acceptedHostKeys as AcceptedHostKeys | undefined;
  return {
    connection: props.connection as ConnectionArgs,
    sudo: props.sudo === true,
    ...(accepted && { acceptedHostKeys: accepted }),
  };
}

export function runnerFor(props: Props): CommandRunner {
  return openHost(hostTargetOf(props));
}

/**
 * The outputs with `acceptedHostKeys`: the known_hosts lines of the keys the host and its proxy
 * were trusted by on first use (`hostKeyChecking: "accept-new"`), learned by this process's
 * connections or carried over from `props`. Later calls pass them back, so a changed key is refused.
 */
export function withAcceptedHostKeys(outs: Props, props: Props): Props {
  const { acceptedHostKeys: _previous, ...rest } = outs;
  const accepted = acceptedHostKeys(hostTargetOf(props));
  return Object.keys(accepted).length > 0 ? { ...rest, acceptedHostKeys: accepted } : rest;
}

/** The new inputs, with the keys the old state accepted on first use (update gets those only in the olds). */
export function withStateHostKeys(news: Props, olds: Props): Props {
  return olds.acceptedHostKeys === undefined ? news : { ...news, acceptedHostKeys: olds.acceptedHostKeys };
}
