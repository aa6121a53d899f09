// STOMP from Node 20+: the library's codec over a node:net socket, turned into
// web streams by Duplex.toWeb.
//
// Node cannot import the TypeScript sources: install the package from JSR
// (`npx jsr add @stomper/stomp`), or bundle it with `deno bundle` (see the
// README), so that `@stomper/stomp` resolves. Then:
//
//   STOMP_URL=tcp://127.0.0.1:61613 node examples/node.mjs
//
// Prints what happened, one line per step, and exits 0 on success.

import { once } from "node:events";
import net from "node:net";
import { Duplex } from "node:stream";
import {
  connect,
  disconnect,
  send,
  StompDecoderStream,
  StompEncoderStream,
  subscribe,
} from "@stomper/stomp";

const url = new URL(process.env.STOMP_URL ?? "tcp://127.0.0.1:61613");
if (url.protocol !== "tcp:") {
  throw new TypeError(`This example speaks tcp: only, got ${url.protocol}`);
}
const socket = net.connect({
  host: url.hostname,
  port: Number(url.port || 61613),
  noDelay: true, // frames are small writes: don't let Nagle hold them back
});
await once(socket, "connect");

// A StompTransport is just this: bytes in, bytes out, and a way to close.
const { readable, writable } = Duplex.toWeb(socket);
const transport = { readable, writable, close: () => socket.destroy() };

const encoder = new StompEncoderStream();
const sending = encoder.readable.pipeTo(transport.writable);
const out = encoder.writable.getWriter();
const decoder = new StompDecoderStream();
const frames = transport.readable.pipeThrough(decoder).getReader();

/** The next frame, failing after a few seconds or on an ERROR frame. */
async function next(what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`No ${what} within 5 s`)),
      5000,
    );
  });
  const { value, done } = await Promise.race([frames.read(), timeout])
    .finally(() => clearTimeout(timer));
  if (done) throw new Error(`The connection ended before ${what}`);
  if (value.command === "ERROR") {
    throw new Error(`ERROR frame: ${value.headers.get("message")}`);
  }
  return value;
}

try {
  await out.write(connect({ host: "/", login: "guest", passcode: "guest" }));
  const connected = await next("CONNECTED");
  // Header escaping depends on the version agreed.
  encoder.version = decoder.version = connected.headers.get("version") ??
    "1.0";
  console.log(
    `connected: STOMP ${encoder.version} (${connected.headers.get("server")})`,
  );

  const queue = `/queue/stomper-node-${Math.random().toString(36).slice(2)}`;
  await out.write(subscribe("0", queue, { receipt: "subscribed" }));
  await next("the RECEIPT for SUBSCRIBE");
  await out.write(send(queue, `hello from Node ${process.version}`));
  const message = await next("the MESSAGE");
  console.log(`received: ${message.text}`);

  await out.write(disconnect({ receipt: "bye" }));
  const receipt = await next("the RECEIPT for DISCONNECT");
  console.log(`disconnected: receipt ${receipt.headers.get("receipt-id")}`);
  await out.close();
  await sending;
} finally {
  transport.close();
}
