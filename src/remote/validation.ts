/**
 * Validation of a candidate file: the format layer's checks, always run locally first, and the
 * daemon's own reading of it on the host (scripts/validators.sh, included in the change script).
 */
import {
  errorsOf,
  FormatError,
  parseRsyncdDocument,
  parseXinetdDocument,
  readXinetdServiceBlocks,
  validateRsyncdDocument,
  validateXinetdDocument,
  type Problem,
  type XinetdServiceModel,
} from "../formats";

/** Which daemon's reading a candidate must pass; `none` for files no daemon parses. */
export type CandidateKind = "xinetd-service" | "rsyncd" | "none";

export interface ValidationReport {
  /** `host`: the daemon itself read the candidate on the host. `library-only`: only the format layer's checks ran. */
  method: "host" | "library-only";
  /** What the host's validator printed, or why the host could not validate. */
  log?: string;
}

/** Every problem the format layer finds in a candidate; throws a FormatError when one is an error. */
export function validateCandidateLocally(kind: CandidateKind, content: string, fileName: string): Problem[] {
  const problems =
    kind === "xinetd-service"
      ? validateXinetdDocument(parseXinetdDocument(content), { fileName })
      : kind === "rsyncd"
        ? validateRsyncdDocument(parseRsyncdDocument(content))
        : [];
  if (errorsOf(problems).length > 0) throw new FormatError(`candidate for ${fileName}`, problems);
  return problems;
}

/** The service entries of an xinetd file as xinetd reads them, skipping those it discards. */
export function xinetdServicesOf(content: string): XinetdServiceModel[] {
  const doc = parseXinetdDocument(content);
  const readings = readXinetdServiceBlocks(doc);
  return doc.blocks.flatMap((block, index) =>
    block.kind === "service" && !block.discarded ? [readings[index]!.model] : [],
  );
}

/** How many services xinetd should report as started for this candidate (its enabled entries). */
export function enabledXinetdServiceCount(content: string): number {
  return xinetdServicesOf(content).filter((service) => service.disable !== true).length;
}
