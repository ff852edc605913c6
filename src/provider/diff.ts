/** Comparing a state's outputs with new inputs, top-level property by property. */
import { sameConnectionIdentity, withConnectionDefaults } from "./connection";
import { sameProperty, type Props } from "./props";

export interface DiffResult {
  changes: boolean;
  replaces: string[];
  deleteBeforeReplace: boolean;
}

/**
 * The top-level properties that differ, and which of them force a replacement: the connection
 * only when its identity changes, `replaceKeys` always.
 */
export function diffProperties(
  olds: Props,
  news: Props,
  keys: readonly string[],
  replaceKeys: readonly string[],
): { changed: string[]; replaces: string[] } {
  // A state from before `secretContent` existed has none: that is `false`, not a change.
  const comparable = (props: Props, key: string) =>
    key === "connection"
      ? withConnectionDefaults(props.connection)
      : key === "secretContent"
        ? props[key] === true
        : props[key];
  const changed = keys.filter((key) => !sameProperty(comparable(olds, key), comparable(news, key)));
  const replaces = changed.filter(
    (key) =>
      replaceKeys.includes(key) || (key === "connection" && !sameConnectionIdentity(olds.connection, news.connection)),
  );
  return { changed, replaces };
}
