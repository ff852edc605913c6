/**
 * Which input a format-layer problem is about. The providers name it as a property
 * (`extra.max verbosity`), the fleet parser as a config path (`groups.g.rsync.modules.m.extra["max
 * verbosity"]`); both map the problem the same way, here.
 */
import { attributeByName, lookupRsyncParameter, type Problem } from "../formats";

/** The resource's name (`moduleName`, `serviceName`), an `extra` entry by its written name, or a typed input. */
export type ProblemProperty = { kind: "name" } | { kind: "extra"; name: string } | { kind: "key"; key: string };

function extraNames(extra: unknown): string[] {
  return typeof extra === "object" && extra !== null && !Array.isArray(extra) ? Object.keys(extra) : [];
}

/** The input of an rsync module or global part a problem is about; `extra` names match as rsync reads them. */
export function rsyncProblemProperty(extra: unknown, problem: Problem): ProblemProperty {
  if (problem.field === "module name") return { kind: "name" };
  const fromExtra = extraNames(extra).find((name) => (lookupRsyncParameter(name)?.name ?? name) === problem.field);
  if (fromExtra !== undefined) return { kind: "extra", name: fromExtra };
  return { kind: "key", key: lookupRsyncParameter(problem.field)?.key ?? problem.field };
}

/** The input of an xinetd service a problem is about: `extra` first, then the service's name, else the attribute. */
export function xinetdProblemProperty(extra: unknown, problem: Problem): ProblemProperty {
  if (extraNames(extra).includes(problem.field)) return { kind: "extra", name: problem.field };
  if (problem.field === "service" || problem.field === "file name") return { kind: "name" };
  return { kind: "key", key: attributeByName(problem.field)?.key ?? problem.field };
}

/** The path of `property` under `base`, steps joined by `join`; the name is at `namePath`. */
export function problemPropertyPath(
  property: ProblemProperty,
  base: string,
  namePath: string,
  join: (parent: string, key: string) => string,
): string {
  if (property.kind === "name") return namePath;
  if (property.kind === "extra") return join(join(base, "extra"), property.name);
  return join(base, property.key);
}
