/**
 * Edits of one file on one host made within a short window, or while a change of that file is
 * running, are applied together: one locked round trip and one validation on the host for the
 * whole batch, instead of one each queued behind the host-side lock. Ten RsyncModules of one
 * rsyncd.conf converge in one or two round trips rather than ten.
 *
 * Each edit still succeeds or fails on its own: an edit that throws fails only its caller, and a
 * batch the host rejects is retried one edit at a time, so one bad module cannot fail its
 * neighbours.
 *
 * Edits of a document (`changeRemoteDocumentBatched`) also share its parse: each edit of the batch
 * gets the document the previous one returned instead of a parse of its rendered text, so a batch
 * of N edits parses the file once, not N times.
 */
import { changeRemoteFile, type ChangeFileOptions, type EditResult, type FileChange } from "./change-file";
import type { CommandRunner } from "./transport";

/** How a file's text reads as a document and is written back. */
export interface DocumentCodec<D> {
  parse(text: string): D;
  render(doc: D): string;
}

/** What a document edit asks for: the new document, no change (`undefined`), or removal of the file. */
export type DocumentEditResult<D> = { document: D } | { delete: true } | undefined;

interface DocumentEdit<D> {
  codec: DocumentCodec<D>;
  edit: (current: D | undefined) => DocumentEditResult<D>;
}

/** The document of a batch's current text, kept for the next edit of the same codec. */
interface ParsedText {
  codec: DocumentCodec<unknown>;
  text: string;
  doc: unknown;
}

interface QueuedEdit {
  /** The edit of the text, as it runs alone. */
  edit: (current: string | undefined) => EditResult;
  /** The same edit of the document, when it is one: a batch then hands it the document it holds. */
  document?: DocumentEdit<unknown>;
  resolve: (change: FileChange) => void;
  reject: (error: unknown) => void;
}

interface FileQueue {
  running: boolean;
  waiting: QueuedEdit[];
}

const queues = new Map<string, FileQueue>();
/**
 * How long the first edit of a burst waits for others. The engine sends the operations of one
 * `pulumi up` a few milliseconds apart; a round trip with validation on the host takes 50-100 ms.
 */
const BURST_WINDOW_MS = 15;

/**
 * By identity, never by label: a batch runs with its first caller's runner, so it may only carry
 * edits of callers that would reach the host exactly as that runner does (same credentials, sudo,
 * host-key trust and proxy).
 */
function queueKey(runner: CommandRunner, path: string, options: ChangeFileOptions): string {
  // Only edits that would run the same script with the same settings may share one round trip.
  return JSON.stringify([
    runner.identity,
    path,
    options.validate,
    options.mode,
    options.owner,
    options.group,
    options.lockWaitSeconds,
    options.secret?.salt,
  ]);
}

/**
 * `changeRemoteFile`, batched with other edits of the same file by runners of the same identity made meanwhile in this
 * process.
 */
export function changeRemoteFileBatched(
  runner: CommandRunner,
  path: string,
  edit: (current: string | undefined) => EditResult,
  options: ChangeFileOptions,
): Promise<FileChange> {
  return enqueue(runner, path, options, edit, undefined);
}

/**
 * `changeRemoteFileBatched` for an edit of the file as a document (undefined: no file). The edits
 * of one batch with the same codec share one parse of the file; each renders its result. The
 * document an edit returns must be what parsing its rendering gives (as for documents parsed
 * from edited text): the next edit of the batch gets it in place of that parse.
 */
export function changeRemoteDocumentBatched<D>(
  runner: CommandRunner,
  path: string,
  codec: DocumentCodec<D>,
  edit: (current: D | undefined) => DocumentEditResult<D>,
  options: ChangeFileOptions,
): Promise<FileChange> {
  const document = { codec, edit } as DocumentEdit<unknown>;
  return enqueue(runner, path, options, (current) => applyDocumentEdit(document, current, {}), document);
}

function enqueue(
  runner: CommandRunner,
  path: string,
  options: ChangeFileOptions,
  edit: (current: string | undefined) => EditResult,
  document: DocumentEdit<unknown> | undefined,
): Promise<FileChange> {
  const key = queueKey(runner, path, options);
  let queue = queues.get(key);
  if (!queue) {
    queue = { running: false, waiting: [] };
    queues.set(key, queue);
  }
  const result = new Promise<FileChange>((resolve, reject) =>
    queue.waiting.push({ edit, ...(document && { document }), resolve, reject }),
  );
  if (!queue.running) void drain(key, queue, runner, path, options);
  return result;
}

/**
 * A document edit of `text`, given the document of `text` when `state` holds it (else parsed and
 * kept there). Leaves in `state` the document of the text that follows, for the next edit.
 */
function applyDocumentEdit(
  document: DocumentEdit<unknown>,
  text: string | undefined,
  state: { parsed?: ParsedText },
): EditResult {
  const { codec } = document;
  let doc: unknown;
  if (text !== undefined) {
    const { parsed } = state;
    doc = parsed?.codec === codec && parsed.text === text ? parsed.doc : codec.parse(text);
    state.parsed = { codec, text, doc };
  }
  const wanted = document.edit(doc);
  if (wanted === undefined) return undefined;
  if ("delete" in wanted) return wanted;
  const next = codec.render(wanted.document);
  state.parsed = { codec, text: next, doc: wanted.document };
  return next;
}

async function drain(
  key: string,
  queue: FileQueue,
  runner: CommandRunner,
  path: string,
  options: ChangeFileOptions,
): Promise<void> {
  queue.running = true;
  await new Promise((resolve) => setTimeout(resolve, BURST_WINDOW_MS));
  while (queue.waiting.length > 0) await applyBatch(queue, runner, path, options);
  queue.running = false;
  queues.delete(key);
}

/**
 * One locked round trip for the edits waiting when the host has sent the file's current content:
 * taken then rather than when the round trip starts, so the edits that arrive while the
 * connection is dialed or the channel opened share it too.
 */
async function applyBatch(queue: FileQueue, runner: CommandRunner, path: string, options: ChangeFileOptions) {
  let batch: QueuedEdit[] | undefined;
  const outcomes = new Map<QueuedEdit, { changed: boolean } | { error: unknown }>();
  const combined = (current: string | undefined): EditResult => {
    batch = queue.waiting.splice(0);
    // Alone, an edit runs as it would unbatched: its own result, its own error.
    if (batch.length === 1) return batch[0]!.edit(current);
    let text = current;
    const state: { parsed?: ParsedText } = {};
    for (const entry of batch) {
      try {
        const result = entry.document ? applyDocumentEdit(entry.document, text, state) : entry.edit(text);
        if (result === undefined) {
          outcomes.set(entry, { changed: false });
          continue;
        }
        const next = typeof result === "string" ? result : undefined;
        outcomes.set(entry, { changed: next !== text });
        text = next;
      } catch (error) {
        outcomes.set(entry, { error });
      }
    }
    if (text === current) return undefined;
    return text === undefined ? { delete: true } : text;
  };
  let change: FileChange;
  try {
    change = await changeRemoteFile(runner, path, combined, options);
  } catch (error) {
    // Failed before the content arrived: the batch is what waits now.
    const failed = batch ?? queue.waiting.splice(0);
    if (failed.length === 1) {
      failed[0]!.reject(error);
      return;
    }
    // The host (or the format layer) refused the combined candidate: find the culprit(s) by
    // applying each edit alone, in order, so the others still land.
    for (const entry of failed)
      await changeRemoteFile(runner, path, entry.edit, options).then(entry.resolve, entry.reject);
    return;
  }
  const applied = batch ?? [];
  if (applied.length === 1) {
    applied[0]!.resolve(change);
    return;
  }
  for (const entry of applied) {
    const outcome = outcomes.get(entry);
    if (outcome && "error" in outcome) entry.reject(outcome.error);
    else entry.resolve({ ...change, changed: outcome?.changed ?? false });
  }
}
