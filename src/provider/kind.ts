/**
 * The skeleton of a host-backed resource kind: the opening of `check`, `diff`, and the flow of
 * create, update, read and delete with the partial-failure report. A kind declares what differs:
 * its keys, its own checks, where it lives and how it writes, reads and removes it on the host.
 */
import type { CommandRunner } from "../remote";
import {
  connectionFailures,
  controlCharacterFailures,
  pathFailures,
  settingFailures,
  type CheckFailure,
  type CheckResult,
} from "./checks";
import { resourceId, runnerFor, sameHost, withAcceptedHostKeys, withStateHostKeys } from "./connection";
import { diffProperties, type DiffResult } from "./diff";
import { applyFailure } from "./errors";
import { inputsOf, unknownPropertiesOf, type Props } from "./props";
import { upgradeState } from "./schema";

export interface HostKind {
  /** The resource's name in messages (`XinetdService`). */
  kind: string;
  /** Inputs that default when not given; the checked inputs, and so the state, hold them. */
  defaults?: Props;
  /**
   * Every input the kind takes; any other is refused. Absent for an internal kind whose inputs the
   * library writes itself. `secretContent`, when among them, must be a boolean like `sudo` and `adopt`.
   */
  inputKeys?: ReadonlySet<string>;
  /** Inputs that name one file or directory on the host, in one spelling (see `pathFailures`). */
  paths?: Readonly<Record<string, "file" | "directory">>;
  /** The given inputs as the kind reads them (xinetd's `serverArgs` line split), before any check. */
  spell?(given: Props): Props;
  /** The kind's own failures; `unknown` holds the properties not known yet (preview). */
  failures?(given: Props, unknown: ReadonlySet<string>): CheckFailure[];
  /** The checked inputs, normalized as the host will read them back; the given ones by default. */
  normalized?(given: Props, unknown: ReadonlySet<string>): Props;
  /** What the state's outputs are compared on. */
  diffKeys: readonly string[];
  /**
   * The keys whose change forces a replacement, as does another host or user in `connection`.
   * Absent for a kind that is never replaced: nothing on the host is its own.
   */
  replaceKeys?: readonly string[];
  /** Whether two props (on the same host) manage the same thing: a replacement then deletes first. */
  sameTarget?(olds: Props, news: Props): boolean;
  /** A change that the compared keys do not show (an unknown outcome, a password). */
  changedOtherwise(olds: Props, news: Props): boolean;
  /** Where on its host the resource lives: the part of its id after `host:port:`. */
  location(inputs: Props): string;
  /** The inputs a change writes with: state it keeps across updates (`olds` undefined on create). */
  withState?(inputs: Props, olds: Props | undefined): Props;
  /**
   * Writes what the inputs describe and returns the outputs. When `creating`, it refuses to take
   * over what exists (unless `adopt`) by throwing a `RefusedChange`.
   */
  apply(inputs: Props, change: { runner: CommandRunner; creating: boolean }): Promise<Props>;
  /**
   * The outputs of a change whose outcome is unknown: when given, a failed change is reported as
   * a partial failure (see `applyFailure`); without, its error is thrown as it is.
   */
  unknownOutcome?(inputs: Props): Props;
  /** What the host has, as outputs; undefined when it is gone. */
  readHost(props: Props, runner: CommandRunner): Promise<Props | undefined>;
  /** Removes it from the host; absent when nothing on the host belongs to the resource. */
  remove?(state: Props, runner: CommandRunner): Promise<void>;
}

/** A kind's provider methods, with `delete` named `remove` (a kind file exports them one by one). */
export type HostKindMethods = Omit<ResourceKindProvider, "delete"> & { remove: ResourceKindProvider["delete"] };

/** One resource kind's provider methods, as the dynamic-provider host calls them. */
export interface ResourceKindProvider {
  check(olds: Props, news: Props): CheckResult;
  diff(id: string, olds: Props, news: Props): DiffResult;
  create(inputs: Props): Promise<{ id: string; outs: Props }>;
  read(id: string, props: Props): Promise<{ id: string; props: Props }>;
  update(id: string, olds: Props, news: Props): Promise<{ outs: Props }>;
  delete(id: string, props: Props): Promise<void>;
}

export function defineHostKind(kind: HostKind): HostKindMethods {
  const readHost = async (id: string, props: Props): Promise<{ id: string; props: Props }> => {
    const found = await kind.readHost(props, runnerFor(props));
    return found === undefined ? { id: "", props: {} } : { id, props: found };
  };

  const write = async (inputs: Props, creating: boolean): Promise<{ id: string; outs: Props }> => {
    const runner = runnerFor(inputs);
    const id = resourceId(inputs.connection, kind.location(inputs));
    try {
      return { id, outs: await kind.apply(inputs, { runner, creating }) };
    } catch (error) {
      throw kind.unknownOutcome ? await applyFailure(error, id, inputs, readHost, kind.unknownOutcome) : error;
    }
  };

  return {
    check(_olds, news) {
      const given = inputsOf({ ...kind.defaults, ...news });
      const inputs = kind.spell ? kind.spell(given) : given;
      const unknown = unknownPropertiesOf(inputs);
      const booleans = kind.inputKeys?.has("secretContent") ? ["secretContent"] : [];
      const failures = [...connectionFailures(inputs.connection), ...settingFailures(inputs, booleans)];
      if (kind.inputKeys) {
        for (const key of Object.keys(inputs)) {
          if (!kind.inputKeys.has(key))
            failures.push({ property: key, reason: `\`${key}\` is not a property of ${kind.kind}.` });
        }
      }
      for (const [property, what] of Object.entries(kind.paths ?? {})) {
        if (!unknown.has(property)) failures.push(...pathFailures(property, inputs[property], what));
      }
      failures.push(...(kind.failures?.(inputs, unknown) ?? []));
      failures.push(...controlCharacterFailures(inputs, failures));
      return { inputs: kind.normalized ? kind.normalized(inputs, unknown) : inputs, failures };
    },

    diff(_id, olds, news) {
      const old = upgradeState(olds, kind.kind);
      const { changed, replaces: replaced } = diffProperties(old, news, kind.diffKeys, kind.replaceKeys ?? []);
      const replaces = kind.replaceKeys ? replaced : [];
      // Same host, same thing: the new resource's create would find the old one's.
      const sameTarget = sameHost(old.connection, news.connection) && (kind.sameTarget?.(old, news) ?? false);
      return {
        changes: changed.length > 0 || kind.changedOtherwise(old, news),
        replaces,
        deleteBeforeReplace: replaces.length > 0 && sameTarget,
      };
    },

    async create(news) {
      const inputs = kind.withState ? kind.withState(news, undefined) : news;
      const { id, outs } = await write(inputs, true);
      return { id, outs: withAcceptedHostKeys(outs, inputs) };
    },

    async update(_id, olds, news) {
      const state = upgradeState(olds, kind.kind);
      const withKeys = withStateHostKeys(news, olds);
      const inputs = kind.withState ? kind.withState(withKeys, state) : withKeys;
      return { outs: withAcceptedHostKeys((await write(inputs, false)).outs, inputs) };
    },

    async read(id, props) {
      const state = upgradeState(props, kind.kind);
      const found = await readHost(id, state);
      return found.id ? { id: found.id, props: withAcceptedHostKeys(found.props, state) } : found;
    },

    async remove(_id, props) {
      if (!kind.remove) return;
      const state = upgradeState(props, kind.kind);
      await kind.remove(state, runnerFor(state));
    },
  };
}
