// The library under Node 20 (/usr/bin/node) against RabbitMQ: StompClient over
// the Node transport that connectUrl picks for tcp:// and tls://, and over a
// node:net socket of the script's own (Duplex.toWeb); connectNodeTcp's errors,
// backpressure and close in Node itself; ws:// with and without a global
// WebSocket. The library is bundled with `deno bundle` into a temporary
// package, since Node cannot import the TypeScript sources.

import { assertEquals, assertMatch } from "@std/assert";
import { runUnderNode } from "./_bundle.ts";
import { BROKERS } from "./_client.ts";
import { assertReachable } from "./_codec_session.ts";

// OPEN is "duplex" for a transport the script makes itself, else a URL for
// connectUrl.
const CLIENT_SCRIPT = `
import net from "node:net";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { Duplex } from "node:stream";
import { StompClient } from "@stomper/stomp";

const options = {
  login: "guest",
  passcode: "guest",
  heartBeat: [1000, 1000],
  reconnect: { retries: 1 },
};
let client;
if (process.env.OPEN === "duplex") {
  const url = new URL(process.env.STOMP_URL);
  const open = async () => {
    const socket = net.connect({ host: url.hostname, port: Number(url.port), noDelay: true });
    await once(socket, "connect");
    const { readable, writable } = Duplex.toWeb(socket);
    return { readable, writable, close: () => socket.destroy() };
  };
  client = await StompClient.connect(open, options);
} else {
  client = await StompClient.connectUrl(process.env.OPEN, {
    ...options,
    transport: { caCerts: [readFileSync(process.env.STOMP_CA, "utf8")] },
  });
}
console.log("connected: STOMP " + client.version + " (" + client.server + ")");
const queue = "/queue/stomper-node-" + Math.random().toString(16).slice(2, 10);
const subscription = await client.subscribe(queue, { ack: "client-individual", receipt: true });
await client.send(queue, "hello from Node " + process.version, { receipt: true });
const transaction = await client.begin();
await transaction.send(queue, new Uint8Array([0, 1, 2, 255]));
await transaction.commit({ receipt: true });
const received = [];
for await (const message of subscription) {
  received.push(message);
  await message.ack({ receipt: true });
  if (received.length === 2) break;
}
console.log("received: " + received[0].text);
console.log("received: " + Array.from(received[1].body).join(","));
await client.disconnect();
console.log("disconnected: " + client.state);
`;

Deno.test("StompClient runs under Node 20 over connectUrl's tcp:// and tls://, and over a node:net socket of its own", async () => {
  await assertReachable(BROKERS.rabbitmqTcp, "RabbitMQ");
  await assertReachable(BROKERS.rabbitmqTls, "RabbitMQ over TLS");
  for (const open of ["duplex", BROKERS.rabbitmqTcp, BROKERS.rabbitmqTls]) {
    const { code, stdout, stderr } = await runUnderNode(CLIENT_SCRIPT, {
      OPEN: open,
      STOMP_URL: BROKERS.rabbitmqTcp,
      STOMP_CA: BROKERS.tlsCa,
    });
    assertEquals(code, 0, `node failed for ${open}:\n${stdout}${stderr}`);
    const lines = stdout.trim().split("\n");
    assertEquals(lines.length, 4, stdout);
    assertMatch(lines[0]!, /^connected: STOMP 1\.2 \(RabbitMQ\/[\d.]+\)$/);
    assertMatch(lines[1]!, /^received: hello from Node v2\d+\.\d+\.\d+$/);
    assertEquals(lines[2], "received: 0,1,2,255");
    assertEquals(lines[3], "disconnected: closed");
    assertEquals(stderr, "");
  }
});

// Prints one JSON line per check, for the test to compare.
const TRANSPORT_SCRIPT = `
import net from "node:net";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { connectNodeTcp, openTransport } from "@stomper/stomp";

const report = (name, value) => console.log(JSON.stringify([name, value]));
const failure = async (promise) => {
  try {
    await promise;
    return "resolved";
  } catch (error) {
    return error.name + ": " + error.message;
  }
};
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
/** A server on 127.0.0.1 that hands each accepted socket to onSocket. */
const serve = async (onSocket) => {
  const server = net.createServer(onSocket);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return server;
};

// Errors while connecting.
const closed = await serve(() => {});
const closedPort = closed.address().port;
closed.close();
report("refused", await failure(connectNodeTcp("tcp://127.0.0.1:" + closedPort)));
const wrongCa = readFileSync(process.env.STOMP_WRONG_CA, "utf8");
report("wrong CA", await failure(connectNodeTcp(process.env.STOMP_TLS, { caCerts: [wrongCa] })));
report("no CA", await failure(connectNodeTcp(process.env.STOMP_TLS)));
const silent = await serve(() => {});
report("timeout", await failure(connectNodeTcp("tls://127.0.0.1:" + silent.address().port, { timeout: 200 })));
silent.close();
report("scheme", await failure(connectNodeTcp("ws://127.0.0.1:15674/ws")));

// openTransport picks the Node transport for stomp://.
const picked = await openTransport(process.env.STOMP_TCP.replace(/^tcp:/, "stomp:"));
report("stomp: transport", { coalesce: picked.coalesce, conn: "conn" in picked });
picked.close();

// A reader that falls behind pauses the socket.
const total = 32 * 1024 * 1024;
let written = 0;
const flood = await serve(async (socket) => {
  socket.on("error", () => {});
  const chunk = Buffer.alloc(64 * 1024);
  while (written < total) {
    written += chunk.length;
    if (!socket.write(chunk)) await once(socket, "drain");
  }
  socket.end();
});
const slow = await connectNodeTcp("tcp://127.0.0.1:" + flood.address().port);
await sleep(300);
const writtenWhilePaused = written;
let received = 0;
for await (const chunk of slow.readable) received += chunk.length;
report("read backpressure", { pausedBelow16MiB: writtenWhilePaused <= 16 * 1024 * 1024, received });
flood.close();

// A peer that does not read holds the writer back.
let peer;
const stalled = await serve((socket) => {
  peer = socket;
  socket.pause();
});
const eager = await connectNodeTcp("tcp://127.0.0.1:" + stalled.address().port);
const writer = eager.writable.getWriter();
let wrote = false;
const writing = writer.write(new Uint8Array(32 * 1024 * 1024)).then(() => wrote = true);
await sleep(300);
const waited = !wrote;
peer.resume();
peer.on("data", () => {});
await writing;
report("write backpressure", { waited, wrote });

// close() ends the readable normally; later writes fail.
const reader = eager.readable.getReader();
const reading = reader.read();
eager.close();
report("close", { done: (await reading).done, write: await failure(writer.write(new Uint8Array(1))) });
stalled.close();

// A reset connection errors the readable.
const resetting = await serve((socket) =>
  socket.once("data", () => socket.resetAndDestroy())
);
const reset = await connectNodeTcp("tcp://127.0.0.1:" + resetting.address().port);
await reset.writable.getWriter().write(new Uint8Array([10]));
report("reset", await failure(reset.readable.getReader().read()));
resetting.close();
`;

Deno.test("connectNodeTcp under Node 20: connect errors, the stomp: alias, backpressure both ways, close and reset", async () => {
  await assertReachable(BROKERS.rabbitmqTcp, "RabbitMQ");
  await assertReachable(BROKERS.rabbitmqTls, "RabbitMQ over TLS");
  const { code, stdout, stderr } = await runUnderNode(TRANSPORT_SCRIPT, {
    STOMP_TCP: BROKERS.rabbitmqTcp,
    STOMP_TLS: BROKERS.rabbitmqTls,
    STOMP_WRONG_CA: BROKERS.tlsWrongCa,
  });
  assertEquals(code, 0, `node failed:\n${stdout}${stderr}`);
  assertEquals(stderr, "");
  const results = Object.fromEntries(
    stdout.trim().split("\n").map((line) => JSON.parse(line)),
  );
  const tls = JSON.stringify(BROKERS.rabbitmqTls);
  assertMatch(
    results["refused"],
    /^TransportConnectError: Cannot connect to "tcp:\/\/127\.0\.0\.1:\d+": connection refused \(ECONNREFUSED\)$/,
  );
  for (const name of ["wrong CA", "no CA"]) {
    assertEquals(
      results[name].replace(/: [^:]+ \([A-Z_]+\); /, ": <why> (<CODE>); "),
      `TransportConnectError: Cannot connect to ${tls}: the server's certificate did not verify: <why> (<CODE>); pass the certificate authority that signed it in caCerts`,
      name,
    );
  }
  assertMatch(
    results["timeout"],
    /^TransportConnectError: Cannot connect to "tls:\/\/127\.0\.0\.1:\d+": timed out after 200 ms$/,
  );
  assertMatch(results["scheme"], /^TypeError: .*unsupported scheme "ws:"/);
  assertEquals(results["stomp: transport"], { coalesce: true, conn: false });
  assertEquals(results["read backpressure"], {
    pausedBelow16MiB: true,
    received: 32 * 1024 * 1024,
  });
  assertEquals(results["write backpressure"], { waited: true, wrote: true });
  assertEquals(results["close"], {
    done: true,
    write: "Error: Cannot write frame: the connection is closed",
  });
  assertMatch(results["reset"], /^Error: .*ECONNRESET/);
});

const WS_SCRIPT = `
import { connectWebSocket, openTransport, StompClient } from "@stomper/stomp";

if (typeof WebSocket === "undefined") {
  for (const open of [
    () => openTransport(process.env.STOMP_WS),
    () => StompClient.connectUrl(process.env.STOMP_WS),
    () => connectWebSocket(process.env.STOMP_WS),
  ]) {
    try {
      await open();
      console.log("opened");
    } catch (error) {
      console.log(error.name + ": " + error.message);
    }
  }
} else {
  const client = await StompClient.connectUrl(process.env.STOMP_WS, {
    login: "guest",
    passcode: "guest",
    heartBeat: [0, 0],
  });
  const queue = "/queue/stomper-node-ws-" + Math.random().toString(16).slice(2, 10);
  const inbox = await client.subscribe(queue, { receipt: true });
  await client.send(queue, new Uint8Array([0, 1, 255]), { receipt: true });
  for await (const message of inbox) {
    console.log("received over ws: " + Array.from(message.body).join(","));
    break;
  }
  await client.disconnect();
}
`;

Deno.test("ws:// under Node 20 says how to get a WebSocket without one, and works with --experimental-websocket", async () => {
  await assertReachable(BROKERS.rabbitmqWs, "RabbitMQ Web-STOMP");
  const env = { STOMP_WS: BROKERS.rabbitmqWs };
  const without = await runUnderNode(WS_SCRIPT, env);
  assertEquals(
    without.code,
    0,
    `node failed:\n${without.stdout}${without.stderr}`,
  );
  const lines = without.stdout.trim().split("\n");
  if (lines[0] !== "received over ws: 0,1,255") {
    // Node 20 and 21 have no global WebSocket unless asked for one.
    const hint =
      "ws: URLs need a global WebSocket, and this runtime has none (Node has one from version 22, and from 20.10 with --experimental-websocket; or set globalThis.WebSocket to a standard WebSocket class, such as the ws package's)";
    assertEquals(lines, [
      `TypeError: Cannot open transport: ${hint}`,
      // connectUrl rejects with openTransport's own TypeError, not retried.
      `TypeError: Cannot open transport: ${hint}`,
      "TypeError: Cannot connect over WebSocket: this runtime has no global WebSocket (Node has one from version 22, and from 20.10 with --experimental-websocket; or set globalThis.WebSocket to a standard WebSocket class, such as the ws package's; or pass such a socket to fromWebSocket)",
    ]);
  }
  const flagged = await runUnderNode(WS_SCRIPT, env, {
    nodeArgs: ["--experimental-websocket"],
  });
  assertEquals(
    flagged.code,
    0,
    `node failed:\n${flagged.stdout}${flagged.stderr}`,
  );
  assertEquals(flagged.stdout.trim(), "received over ws: 0,1,255");
});
