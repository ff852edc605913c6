/** Building and ordering findings. */
import type { Finding, FindingCode, FindingSeverity } from "./types";

const SEVERITY_ORDER: Record<FindingSeverity, number> = { error: 0, warning: 1, info: 2 };

export function finding(
  code: FindingCode,
  severity: FindingSeverity,
  message: string,
  evidence: readonly string[],
  fix: string,
): Finding {
  return { code, severity, message, evidence: [...evidence], fix };
}

/** Errors first, then warnings, then info; otherwise in the order found. */
export function ordered(findings: readonly Finding[]): Finding[] {
  return findings
    .map((item, index) => ({ item, index }))
    .sort((a, b) => SEVERITY_ORDER[a.item.severity] - SEVERITY_ORDER[b.item.severity] || a.index - b.index)
    .map(({ item }) => item);
}
