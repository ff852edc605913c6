/**
 * The rsync daemon greeting spoken from this machine, over a plain TCP socket: read the daemon's
 * `@RSYNCD: <version>` line, answer with ours, ask for the module list (an empty module name), and
 * read until `@RSYNCD: EXIT`. Nothing is transferred.
 */
import { connect } from "node:net";

import type { ClientProbe } from "./types";

/** The protocol version we announce: old enough that no digest list is expected, as rsync 3.0 clients do. */
const CLIENT_VERSION = "@RSYNCD: 30.0\n";
const MAX_ANSWER_BYTES = 1024 * 1024;

export function probeRsyncGreeting(address: string, port: number, timeoutMs = 5_000): Promise<ClientProbe> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port });
    let received = "";
    let greeting: string | undefined;
    let settled = false;
    const finish = (outcome: ClientProbe["outcome"], detail?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const lines = received.split("\n");
      const modules =
        outcome === "listed" ? lines.filter((l) => l.includes("\t")).map((l) => l.split("\t")[0]!.trimEnd()) : [];
      resolve({
        address,
        port,
        outcome,
        ...(greeting === undefined ? {} : { greeting }),
        modules,
        ...(detail === undefined ? {} : { detail }),
      });
    };
    const timer = setTimeout(
      () => finish("timeout", `no ${greeting === undefined ? "greeting" : "module list"} within ${timeoutMs} ms`),
      timeoutMs,
    );
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => {
      received += chunk;
      if (greeting === undefined) {
        const newline = received.indexOf("\n");
        if (newline < 0) return;
        const line = received.slice(0, newline);
        received = received.slice(newline + 1);
        if (!line.startsWith("@RSYNCD: ")) {
          finish("error", `not an rsync daemon: it sent ${JSON.stringify(line.slice(0, 80))}`);
          return;
        }
        greeting = line;
        socket.write(`${CLIENT_VERSION}\n`);
      }
      const error = received.split("\n").find((line) => line.startsWith("@ERROR"));
      if (error !== undefined) finish("error", error);
      else if (/^@RSYNCD: EXIT$/m.test(received)) finish("listed");
      else if (received.length > MAX_ANSWER_BYTES) finish("error", "the module list never ended");
    });
    socket.on("error", (error: NodeJS.ErrnoException) =>
      finish(error.code === "ECONNREFUSED" ? "refused" : "error", `${error.code ?? "error"}: ${error.message}`),
    );
    socket.on("close", () =>
      finish("closed", greeting === undefined ? "closed before the greeting" : "closed before the module list ended"),
    );
  });
}
