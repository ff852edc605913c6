// The pool's SSH sockets hold a tick's writes back until the tick's work is done, then send them
// together: nothing waits past the tick, bytes arrive whole and in order, and a later tick corks
// afresh. A real TCP connection on loopback.
import assert from "node:assert/strict";
import * as net from "node:net";
import { once } from "node:events";
import { test } from "node:test";

import { coalesceWrites } from "../../src/remote/ssh/pool";

const nextTick = () => new Promise<void>((resolve) => process.nextTick(resolve));

test("the writes of one tick are corked until the tick ends, and arrive whole and in order", async () => {
  const received: Buffer[] = [];
  const server = net.createServer((peer) => peer.on("data", (chunk: Buffer) => received.push(chunk)));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as net.AddressInfo;
  const socket = coalesceWrites(net.connect({ host: "127.0.0.1", port }));
  try {
    await once(socket, "connect");

    for (const packet of ["one ", "two ", "three "]) socket.write(packet);
    assert.equal(socket.writableCorked, 1, "held while the tick runs");
    await nextTick();
    assert.equal(socket.writableCorked, 0, "released within the same turn of the event loop");

    socket.write(Buffer.from("four"));
    assert.equal(socket.writableCorked, 1, "a later tick corks again");
    await nextTick();
    assert.equal(socket.writableCorked, 0);

    const want = "one two three four";
    while (Buffer.concat(received).length < want.length) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(Buffer.concat(received).toString(), want);
  } finally {
    socket.destroy();
    server.close();
  }
});
