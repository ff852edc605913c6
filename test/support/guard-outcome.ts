// What the guard property tests of both formats ask of an edit: a result, or a refusal by the guard alone.
import assert from "node:assert/strict";

import { FormatError } from "../../src/formats/problems";

/**
 * The edit's result, or "refused" when it threw a FormatError of the round-trip guard (anything else fails the test).
 */
export function guardOutcome<T>(run: () => T): T | "refused" {
  try {
    return run();
  } catch (error) {
    assert.ok(error instanceof FormatError, String(error));
    assert.ok(
      error.problems.every((p) => p.rule === "round-trip-mismatch"),
      JSON.stringify(error.problems),
    );
    return "refused";
  }
}

/** The `[field, rule]` of every problem the edit was refused with; empty when it went through. */
export function refusal(run: () => unknown): Array<[string, string]> {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof FormatError, String(error));
    return error.problems.map((p) => [p.field, p.rule]);
  }
  return [];
}
