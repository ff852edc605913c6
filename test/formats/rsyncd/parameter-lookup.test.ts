// lookupRsyncParameter answers by rsync's name comparison (case and blanks ignored, a leading `-`
// never a parameter) however often, in whatever order and however many distinct names were looked
// up before: its memo of written names must never change an answer.
import assert from "node:assert/strict";
import { test } from "node:test";

import { lookupRsyncParameter, RSYNC_PARAMETERS } from "../../../src/formats/rsyncd";

const SPELLINGS: [written: string, means: string | undefined][] = [
  ["max connections", "max connections"],
  ["Max Connections", "max connections"],
  ["max\tconnections", "max connections"],
  ["MAXCONNECTIONS", "max connections"],
  [`  max${" ".repeat(80)}connections  `, "max connections"],
  ["-max connections", undefined],
  ["max-connections", undefined],
  ["post-xfer exec", "post-xfer exec"],
  ["POST-XFER\vEXEC", "post-xfer exec"],
  ["nonsense", undefined],
  ["x".repeat(100), undefined],
  ["", undefined],
];

test("every spelling means the same parameter on every lookup, also after the memo filled and emptied", () => {
  const check = (round: string) => {
    for (const [written, means] of SPELLINGS)
      assert.equal(lookupRsyncParameter(written)?.name, means, `${round}: ${JSON.stringify(written)}`);
  };
  check("first lookup");
  check("looked up again");
  for (let i = 0; i < 10_000; i++) assert.equal(lookupRsyncParameter(`unknown ${i}`), undefined);
  check("after ten thousand other names");
  for (const param of RSYNC_PARAMETERS) assert.equal(lookupRsyncParameter(param.name.toUpperCase()), param);
});
