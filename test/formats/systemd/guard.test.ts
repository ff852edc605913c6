/**
 * The round-trip guard on unit files: hostile values either are refused by a named rule or come
 * back from systemd's reading exactly as given; with the rules bypassed, the guard alone refuses
 * every value that would change the meaning, naming the field.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { FormatError } from "../../../src/formats/problems";
import {
  applySystemdSocketService,
  normalizeSystemdSocketService,
  parseUnitDocument,
  readSystemdSocketService,
  readUnitDocument,
  renderSystemdSocketService,
  validateSystemdSocketService,
  type SystemdSocketServiceModel,
} from "../../../src/formats/systemd";

const RSYNC: SystemdSocketServiceModel = {
  name: "rsyncd",
  port: 873,
  user: "root",
  server: "/usr/bin/rsync",
  serverArgs: ["--daemon"],
};

function refusal(run: () => unknown): Array<[string, string]> {
  try {
    run();
    return [];
  } catch (error) {
    assert.ok(error instanceof FormatError, String(error));
    return error.problems.map((p) => [p.field, p.rule]);
  }
}

const hostileCases: Array<[string, Partial<SystemdSocketServiceModel>, string]> = [
  ["a line break adding a setting", { user: "root\nExecStartPre=/bin/sh" }, "user"],
  ["a line break opening a section", { description: "x\n[Service]\nUser=root" }, "description"],
  ["a trailing `\\` joining the next line", { description: "x\\" }, "description"],
  ["a CR ending the line", { group: "g\rUser=root" }, "group"],
  ["a NUL ending the line", { description: "a\0b" }, "description"],
  ["outer blanks systemd strips", { description: " padded " }, "description"],
  ["an extra value that continues", { extra: { service: { ProtectHome: "yes\\" } } }, "extra.service.ProtectHome"],
  ["an extra value with a line break", { extra: { socket: { Backlog: "1\nAccept=no" } } }, "extra.socket.Backlog"],
  ["an empty extra value (a reset)", { extra: { service: { ProtectHome: "" } } }, "extra.service.ProtectHome"],
];

test("hostile values are refused by the guard alone (rules bypassed), naming the field", async (t) => {
  for (const [title, change, field] of hostileCases) {
    await t.test(title, () => {
      const model = { ...RSYNC, ...change } as SystemdSocketServiceModel;
      assert.ok(validateSystemdSocketService(model).length > 0, "the rules refuse it too");
      const existing = renderSystemdSocketService(RSYNC);
      for (const run of [
        () => renderSystemdSocketService(model),
        () =>
          applySystemdSocketService(
            { socket: parseUnitDocument(existing.socket), service: parseUnitDocument(existing.service) },
            model,
          ),
      ]) {
        const found = refusal(run);
        assert.ok(found.length > 0, "refused");
        assert.ok(
          found.every(([, rule]) => rule === "round-trip-mismatch"),
          JSON.stringify(found),
        );
        assert.ok(
          found.some(([f]) => f === field),
          `${field} in ${JSON.stringify(found)}`,
        );
      }
    });
  }
});

const HOSTILE_PIECES = [
  "%",
  "%%",
  "%i",
  "$",
  "$$",
  "${X}",
  "$HOME",
  '"',
  "'",
  "\\",
  "\\n",
  ";",
  " ",
  "\t",
  "#",
  "=",
  "[",
  "]",
  "\n",
  "\r",
  "\0",
  "\u001b",
  "\u2028",
  "é",
  "a",
  "-",
  "/",
];
const hostile = fc.array(fc.constantFrom(...HOSTILE_PIECES), { maxLength: 8 }).map((parts) => parts.join(""));

test("property: a hostile value is refused by a rule, or read back by systemd exactly as given", () => {
  fc.assert(
    fc.property(
      fc.record({
        serverArgs: fc.array(hostile, { maxLength: 4 }),
        description: hostile,
        envValue: hostile,
        extraValue: hostile,
      }),
      ({ serverArgs, description, envValue, extraValue }) => {
        const model: SystemdSocketServiceModel = {
          ...RSYNC,
          serverArgs,
          description,
          env: [`V=${envValue}`],
          extra: { service: { "X-Note": extraValue } },
        };
        const refusedByRules = validateSystemdSocketService(model).some((p) => p.severity === "error");
        if (refusedByRules) return;
        // A valid model is never refused by the guard, and systemd reads it back as the model.
        const units = renderSystemdSocketService(model);
        const back = readSystemdSocketService(
          model.name,
          readUnitDocument(parseUnitDocument(units.socket)).reading,
          readUnitDocument(parseUnitDocument(units.service)).reading,
        );
        assert.deepEqual(back.unreadable, []);
        assert.deepEqual(back.model, normalizeSystemdSocketService(model));
      },
    ),
    { numRuns: 1500 },
  );
});

test("property: with the rules bypassed, whatever the guard lets through means the model", () => {
  fc.assert(
    fc.property(hostile, hostile, fc.array(hostile, { maxLength: 3 }), (user, description, serverArgs) => {
      const model: SystemdSocketServiceModel = { ...RSYNC, user, description, serverArgs };
      let units;
      try {
        units = renderSystemdSocketService(model);
      } catch (error) {
        assert.ok(error instanceof FormatError);
        assert.ok(error.problems.every((p) => p.rule === "round-trip-mismatch"));
        return;
      }
      const back = readSystemdSocketService(
        model.name,
        readUnitDocument(parseUnitDocument(units.socket)).reading,
        readUnitDocument(parseUnitDocument(units.service)).reading,
      );
      assert.deepEqual(back.model, normalizeSystemdSocketService(model));
    }),
    { numRuns: 1500 },
  );
});
