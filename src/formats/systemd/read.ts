/**
 * systemd's reading of a unit file and its drop-ins: per section and key, the values assigned
 * since the key was last reset by an empty assignment, in file order. A list setting uses them
 * all; a single-valued one uses the last (`effectiveValue`). Drop-ins (`NAME.socket.d/*.conf`)
 * are read after the unit, in the order of their file names, so a later assignment overrides
 * and an empty one resets, as `systemctl edit` relies on.
 */
import type { UnitDocument } from "./document";

/** Section → key → raw values since the last reset (keys and sections are case-sensitive, as in systemd). */
export type UnitReading = Map<string, Map<string, string[]>>;

export interface UnitFileReading {
  reading: UnitReading;
  /** systemd refuses to load the unit: a file it read has a fatal syntax error. */
  fatal: boolean;
}

function assign(reading: UnitReading, section: string, key: string, value: string): void {
  let keys = reading.get(section);
  if (!keys) reading.set(section, (keys = new Map()));
  if (value === "") keys.set(key, []);
  else keys.set(key, [...(keys.get(key) ?? []), value]);
}

function readInto(reading: UnitReading, doc: UnitDocument): void {
  for (const statement of doc.statements) {
    if (statement.kind === "section") {
      if (!reading.has(statement.section!)) reading.set(statement.section!, new Map());
    } else if (statement.kind === "assignment") {
      assign(reading, statement.section!, statement.key!, statement.value!);
    }
  }
}

/** What systemd makes of one unit file alone. */
export function readUnitDocument(doc: UnitDocument): UnitFileReading {
  const reading: UnitReading = new Map();
  readInto(reading, doc);
  return { reading, fatal: doc.fatal };
}

export interface DropIn {
  /** The file name inside `UNIT.d/`, e.g. `override.conf`. */
  name: string;
  doc: UnitDocument;
}

/** Drop-ins systemd reads, in its order: only `*.conf`, sorted by file name byte by byte. */
export function dropInOrder<T extends { name: string }>(dropIns: readonly T[]): T[] {
  const bytes = (name: string) => Buffer.from(name, "utf8");
  return dropIns.filter((d) => d.name.endsWith(".conf")).sort((a, b) => Buffer.compare(bytes(a.name), bytes(b.name)));
}

/** The unit with its drop-ins applied as systemd merges them. */
export function readUnitWithDropIns(doc: UnitDocument, dropIns: readonly DropIn[]): UnitFileReading {
  const reading: UnitReading = new Map();
  readInto(reading, doc);
  let fatal = doc.fatal;
  for (const dropIn of dropInOrder(dropIns)) {
    readInto(reading, dropIn.doc);
    fatal ||= dropIn.doc.fatal;
  }
  return { reading, fatal };
}

/** A single-valued setting's value: the last assignment since the last reset. */
export function effectiveValue(reading: UnitReading, section: string, key: string): string | undefined {
  const values = reading.get(section)?.get(key);
  return values === undefined || values.length === 0 ? undefined : values[values.length - 1];
}

/** A list setting's values (empty when never set or reset). */
export function listValue(reading: UnitReading, section: string, key: string): string[] {
  return reading.get(section)?.get(key) ?? [];
}
