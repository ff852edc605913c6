/**
 * Edits of one file on one host made within a short window, or while a change of that file is
 * running, are applied together: one locked round trip and one validation on the host for the
 * whole batch, instead of one each queued behind the host-side lock. Ten RsyncModules of one
 * rsyncd.conf converge in one or two round trips rather than ten.
 *
 * Each edit still succeeds or fails on its own: an edit that throws fails only its caller, and a
 * batch the host rejects is retried one edit at a time, so one bad module cannot fail its
 * neighbours.
 */
import { changeRemoteFile, type ChangeFileOptions, type EditResult, type FileChange } from "./change-file";
import type { CommandRunner } from "./transport";

interface QueuedEdit {
  edit: (current: string | undefined) => EditResult;
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
  const key = queueKey(runner, path, options);
  let queue = queues.get(key);
  if (!queue) {
    queue = { running: false, waiting: [] };
    queues.set(key, queue);
  }
  const result = new Promise<FileChange>((resolve, reject) => queue.waiting.push({ edit, resolve, reject }));
  if (!queue.running) void drain(key, queue, runner, path, options);
  return result;
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
    for (const entry of batch) {
      try {
        const result = entry.edit(text);
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
