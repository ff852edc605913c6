/** /etc/services, as xinetd consults it through getservbyname(3). */

/** Service name or alias → protocol → port. Names are case-sensitive, as in getservbyname. */
export type ServicesTable = ReadonlyMap<string, ReadonlyMap<string, number>>;

/** Parses /etc/services content; lines that are not `name port/protocol [aliases…]` are skipped. */
export function parseServicesTable(text: string): ServicesTable {
  const table = new Map<string, Map<string, number>>();
  for (const raw of text.split("\n")) {
    const [name, portProtocol, ...aliases] = raw.replace(/#.*/, "").trim().split(/\s+/);
    const m = portProtocol ? /^(\d+)\/(\S+)$/.exec(portProtocol) : null;
    if (!name || !m) continue;
    for (const n of [name, ...aliases]) {
      const byProtocol = table.get(n) ?? new Map<string, number>();
      // getservbyname returns the first matching line.
      if (!byProtocol.has(m[2]!)) byProtocol.set(m[2]!, Number(m[1]));
      table.set(n, byProtocol);
    }
  }
  return table;
}
