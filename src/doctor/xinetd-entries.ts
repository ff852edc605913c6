/** The xinetd entries of a host as xinetd reads them, and which of them are meant to serve rsync. */
import { posix } from "node:path";

import {
  errorsOf,
  formatProblem,
  parseXinetdDocument,
  readXinetdServiceBlocks,
  validateXinetdDocument,
  type XinetdDocument,
  type XinetdServiceModel,
} from "../formats";
import type { HostEvidence, HostFile } from "./host-probe";

export interface XinetdEntry {
  file: string;
  /** 1-based line of `service NAME`. */
  line: number;
  name: string;
  /** `id`, or the name when the entry sets none (xinetd's own default). */
  id: string;
  model: XinetdServiceModel;
  /** `disable = yes`, or the `defaults` section's `disabled` / `enabled` lists leave it off. */
  disabled: boolean;
  /** Where the entry is switched off, for the evidence. */
  disabledBy?: string;
  /** The file is in an `includedir` directory under a name xinetd skips (a `.` in it, or a trailing `~`). */
  skippedFile: boolean;
  /** Problems xinetd has with the entry (it drops the entry for an error), as `file:line: message`. */
  errors: string[];
}

/** Names `includedir` skips: any `.` in the name, or a trailing `~`. */
function skippedName(path: string): boolean {
  const name = posix.basename(path);
  return name.includes(".") || name.endsWith("~");
}

/** The values of the `defaults` section's attribute `name` (`disabled`, `enabled`), undefined when unset. */
function defaultsList(doc: XinetdDocument, name: string): string[] | undefined {
  let found: string[] | undefined;
  for (const block of doc.blocks) {
    if (block.kind !== "defaults") continue;
    for (const index of block.attributes) {
      const syntax = doc.lines[index]?.attribute;
      if (syntax?.name.toLowerCase() !== name) continue;
      found = [...(found ?? []), ...syntax.values.map((token) => token.text)];
    }
  }
  return found;
}

/** Every service entry of the main file and the files it includes. */
export function readXinetdEntries(evidence: HostEvidence): XinetdEntry[] {
  const files: Array<HostFile & { fromDir: boolean }> = [
    ...(evidence.xinetdMain ? [{ ...evidence.xinetdMain, fromDir: false }] : []),
    ...evidence.xinetdFiles,
  ];
  const mainDoc = evidence.xinetdMain ? parseXinetdDocument(evidence.xinetdMain.content) : undefined;
  const disabledList = mainDoc && defaultsList(mainDoc, "disabled");
  const enabledList = mainDoc && defaultsList(mainDoc, "enabled");
  return files.flatMap((file) => {
    const doc = parseXinetdDocument(file.content);
    const readings = readXinetdServiceBlocks(doc);
    const problems = errorsOf(validateXinetdDocument(doc));
    return doc.blocks.flatMap((block, index) => {
      const reading = readings[index];
      if (block.kind !== "service" || reading === undefined) return [];
      const model = reading.model;
      const id = model.serviceId ?? block.name;
      const last = block.close ?? doc.lines.length - 1;
      const errors = problems
        .filter((p) => p.position && p.position.line >= block.header + 1 && p.position.line <= last + 1)
        .map((p) => `${file.path}:${formatProblem(p).replace(/^line /, "")}`);
      if (block.discarded && errors.length === 0) errors.push(`${file.path}:${block.header + 1}: the entry is dropped`);
      const disabledBy =
        model.disable === true
          ? `${file.path}: \`disable = yes\` in \`service ${block.name}\``
          : disabledList?.some((name) => name === id || name === block.name)
            ? `${evidence.xinetdMain?.path ?? "xinetd.conf"}: \`disabled\` in \`defaults\` names \`${id}\``
            : enabledList && !enabledList.some((name) => name === id || name === block.name)
              ? `${evidence.xinetdMain?.path ?? "xinetd.conf"}: \`enabled\` in \`defaults\` does not name \`${id}\``
              : undefined;
      return [
        {
          file: file.path,
          line: block.header + 1,
          name: block.name,
          id,
          model,
          disabled: disabledBy !== undefined,
          ...(disabledBy === undefined ? {} : { disabledBy }),
          skippedFile: file.fromDir && skippedName(file.path),
          errors,
        },
      ];
    });
  });
}

/** An entry that starts rsync's daemon, or serves the rsync port. */
export function servesRsync(entry: XinetdEntry, port: number): boolean {
  const { model } = entry;
  if (posix.basename(model.server ?? "") === "rsync" || (model.serverArgs ?? []).includes("--daemon")) return true;
  // Without `port`, xinetd takes the service's port from /etc/services: rsync is 873 there.
  return model.port === undefined ? entry.name === "rsync" && port === 873 : model.port === port;
}

/** The `--config` an rsync command line names (`--config=FILE` or `--config FILE`). */
export function configOption(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg.startsWith("--config=")) return arg.slice("--config=".length);
    if (arg === "--config" && argv[i + 1] !== undefined) return argv[i + 1];
  }
  return undefined;
}
