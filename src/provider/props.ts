/**
 * Property bags as the dynamic-provider host passes them: plain values, the engine's unknown
 * placeholder during preview, and no `undefined` (which the host cannot encode).
 */
import { isDeepStrictEqual } from "node:util";

export type Props = Record<string, unknown>;

/** What the engine sends during preview for a value not known yet. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export function containsUnknown(value: unknown): boolean {
  if (value === UNKNOWN) return true;
  if (Array.isArray(value)) return value.some(containsUnknown);
  if (typeof value === "object" && value !== null) return Object.values(value).some(containsUnknown);
  return false;
}

/** The top-level properties whose value is (or holds) an unknown. */
export function unknownPropertiesOf(news: Props): Set<string> {
  return new Set(Object.keys(news).filter((key) => containsUnknown(news[key])));
}

/** A copy without `undefined` anywhere: the host cannot encode it ("Unexpected struct type"). */
export function withoutUndefined<T>(value: T): T {
  if (Array.isArray(value)) return value.filter((item) => item !== undefined).map(withoutUndefined) as T;
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value).filter(([, item]) => item !== undefined);
    return Object.fromEntries(entries.map(([key, item]) => [key, withoutUndefined(item)])) as T;
  }
  return value;
}

export function sameProperty(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(withoutUndefined(a), withoutUndefined(b));
}

/** The inputs as given, minus what the engine adds and undefined values. */
export function inputsOf(news: Props): Props {
  const { __provider: _provider, ...rest } = news;
  return withoutUndefined(rest);
}

/** The properties whose values are known (`unknown` holds the others, see `unknownPropertiesOf`). */
export function knownProperties(inputs: Props, unknown: ReadonlySet<string>): Props {
  return Object.fromEntries(Object.entries(inputs).filter(([key]) => !unknown.has(key)));
}
