// Batched rsyncd.conf edits: the edits of one batch share one parse of the file (each gets the
// document the previous one returned), yet every edit ends exactly as it would applied alone, one
// after the other: the same bytes on disk, the same `changed`, the same error for an edit that
// throws (hostile values the round-trip guard refuses), and the others still land. Runs this
// machine's real change-file script (and rsync's validation, when rsync is installed) through the
// local runner on files in a temporary directory.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";

import {
  parseRsyncdDocument,
  removeRsyncModule,
  renderRsyncdDocument,
  setRsyncdGlobal,
  setRsyncModule,
  type RsyncdDocument,
  type RsyncdGlobalModel,
  type RsyncModuleModel,
} from "../../src/formats";
import {
  changeRemoteDocumentBatched,
  changeRemoteFileBatched,
  changeRsyncdConfig,
  RSYNCD_CODEC,
  type DocumentCodec,
  type FileChange,
} from "../../src/remote";
import { LocalCommandRunner } from "../../src/remote/local-runner";
import type { CommandRunner } from "../../src/remote/transport";

/** The local runner under its own identity, counting the commands it starts (one per round trip). */
function countingRunner(name: string): CommandRunner & { spawns: number } {
  const local = new LocalCommandRunner();
  const runner = {
    label: `${name}@${local.label}`,
    identity: JSON.stringify(["change-batch", name]),
    spawns: 0,
    run: local.run.bind(local),
    spawn: (script: string, options?: Parameters<CommandRunner["spawn"]>[1]) => {
      runner.spawns++;
      return local.spawn(script, options);
    },
  };
  return runner;
}

type DocumentEdit = (doc: RsyncdDocument) => RsyncdDocument;

const module = (fields: Partial<RsyncModuleModel> & { name: string }): DocumentEdit => {
  const model = { path: `/srv/${fields.name}`, ...fields } as RsyncModuleModel;
  return (doc) => setRsyncModule(doc, model);
};
const removal =
  (name: string): DocumentEdit =>
  (doc) =>
    removeRsyncModule(doc, name);
const global =
  (model: RsyncdGlobalModel): DocumentEdit =>
  (doc) =>
    setRsyncdGlobal(doc, model);
const refusal =
  (message: string): DocumentEdit =>
  () => {
    throw new Error(message);
  };

const STARTS: Record<string, string | undefined> = {
  absent: undefined,
  "hand-written": "# kept as written\nport = 873\n\n[m1]\n\tpath = /srv/m1\n\t# a note\n\tread only = yes\n",
  crlf: "uid = nobody\r\n\r\n[m2]\r\n  path = /srv/m2\r\n  comment = old\r\n",
  "merged and renamed": "[M1]\npath = /srv/a\n[other]\nname = m3\npath = /srv/o\n[ m1 ]\ncomment = twice\n",
};

/** Edits in the order they are issued; the hostile ones are refused by the round-trip guard. */
const EDITS: Record<string, DocumentEdit[]> = {
  "modules, global and a removal": [
    global({ port: 873, logFile: "/var/log/rsync.log" }),
    module({
      name: "m1",
      comment: "first",
      authUsers: ["u1", "u2"],
      secretsFile: "/etc/rsyncd.secrets",
      maxConnections: 4,
    }),
    module({ name: "m2", comment: "ünïcode ☃ # not a comment ; either", maxConnections: 8 }),
    removal("m3"),
    module({ name: "m4", extra: { "hosts allow": "10.0.0.0/8 192.168.1.1" } }),
    removal("absent-module"),
  ],
  "hostile values among good ones": [
    module({ name: "m1", comment: "line\n[evil]\npath = /" }),
    module({ name: "m2", comment: "ends in a backslash \\" }),
    module({ name: "m5", maxConnections: 9 }),
    module({ name: "m6", authUsers: ["a,b", "c"] }),
    module({ name: "m7", maxConnections: 1.5 }),
    module({ name: "m8", path: "  /srv/padded  " }),
    refusal("module [m9] in the file: refused"),
    module({ name: "m9", comment: "after the refusal" }),
  ],
  "one module edited twice, renamed by case, then removed": [
    module({ name: "m1", comment: "one" }),
    module({ name: "m1", comment: "two", maxConnections: 2 }),
    module({ name: "M1", comment: "three" }),
    global({ port: 8873 }),
    removal("m2"),
    removal("m1"),
  ],
  "no change at all": [removal("nothing"), removal("nothing-either")],
};

interface Outcome {
  changed?: boolean;
  error?: string;
}

/** What each edit does applied alone, one after the other, as an unbatched change would. */
function oneAtATime(start: string | undefined, edits: readonly DocumentEdit[]): { text?: string; outcomes: Outcome[] } {
  let text = start;
  const outcomes = edits.map((edit): Outcome => {
    try {
      const next = renderRsyncdDocument(edit(parseRsyncdDocument(text ?? "")));
      const changed = next !== text;
      text = next;
      return { changed };
    } catch (error) {
      return { error: `${(error as Error).name}: ${(error as Error).message}` };
    }
  });
  return { ...(text !== undefined && { text }), outcomes };
}

function outcomeOf(settled: PromiseSettledResult<FileChange>): Outcome {
  if (settled.status === "fulfilled") return { changed: settled.value.changed };
  const error = settled.reason as Error;
  return { error: `${error.name}: ${error.message}` };
}

async function contentOf(file: string): Promise<string | undefined> {
  return readFile(file, "utf8").catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return undefined;
    throw error;
  });
}

describe("a batch of rsyncd.conf edits", () => {
  let dir: string;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "pxbatch-"));
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  for (const [startName, start] of Object.entries(STARTS)) {
    for (const [editsName, edits] of Object.entries(EDITS)) {
      test(`${editsName}, from ${startName}: one round trip, the bytes and per-edit outcomes of one edit at a time`, async () => {
        const file = path.join(dir, `${startName}-${editsName}`.replace(/[^a-z0-9]+/gi, "-"));
        if (start !== undefined) await writeFile(file, start);
        const expected = oneAtATime(start, edits);
        const runner = countingRunner(file);

        const settled = await Promise.allSettled(
          edits.map((edit) => changeRsyncdConfig(runner, file, (current) => edit(current ?? parseRsyncdDocument("")))),
        );

        assert.deepEqual(settled.map(outcomeOf), expected.outcomes);
        assert.equal(await contentOf(file), expected.text);
        assert.equal(runner.spawns, 1, "every edit was issued at once: one round trip for all");
        if (editsName === "hostile values among good ones")
          assert.ok(expected.outcomes.filter((o) => o.error !== undefined).length >= 5, "the guard refused them");
      });
    }
  }

  test("the document edits of a batch parse the file once; a text edit among them sees every earlier edit", async () => {
    const file = path.join(dir, "parse-count");
    await writeFile(file, STARTS["hand-written"]!);
    const counted = { parses: 0 };
    const codec: DocumentCodec<RsyncdDocument> = {
      parse: (text) => {
        counted.parses++;
        return RSYNCD_CODEC.parse(text);
      },
      render: RSYNCD_CODEC.render,
    };
    const runner = countingRunner("parse-count");
    const documentEdit = (edit: DocumentEdit) =>
      changeRemoteDocumentBatched(runner, file, codec, (doc) => ({ document: edit(doc ?? codec.parse("")) }), {
        validate: "rsyncd",
      });
    const modules = Array.from({ length: 10 }, (_, i) => module({ name: `n${i}`, maxConnections: i }));
    const appended = "# appended by a text edit\n";

    const changes = await Promise.all([
      ...modules.slice(0, 5).map(documentEdit),
      changeRemoteFileBatched(runner, file, (current) => `${current ?? ""}${appended}`, { validate: "rsyncd" }),
      ...modules.slice(5).map(documentEdit),
    ]);

    const expected = oneAtATime(STARTS["hand-written"], [
      ...modules.slice(0, 5),
      (doc) => parseRsyncdDocument(renderRsyncdDocument(doc) + appended),
      ...modules.slice(5),
    ]);
    assert.equal(await contentOf(file), expected.text);
    assert.deepEqual(
      changes.map((change) => change.changed),
      expected.outcomes.map((outcome) => outcome.changed),
    );
    assert.equal(runner.spawns, 1);
    // Once for the first edit, once for the first one after the text edit.
    assert.equal(counted.parses, 2);
  });
});
