// StompClient under Node 20 (/usr/bin/node), over a node:net socket turned
// into web streams, against RabbitMQ: the client uses nothing Deno-only and
// nothing newer than Node 20 has. The library is bundled with `deno bundle`
// into a temporary package, since Node cannot import the TypeScript sources.

import { assertEquals, assertMatch } from "@std/assert";
import { runUnderNode } from "./_bundle.ts";
import { BROKERS } from "./_client.ts";
import { assertReachable } from "./_codec_session.ts";

const SCRIPT = `
import net from "node:net";
import { once } from "node:events";
import { Duplex } from "node:stream";
import { StompClient } from "@stomper/stomp";

const url = new URL(process.env.STOMP_URL);
const open = async () => {
  const socket = net.connect({ host: url.hostname, port: Number(url.port), noDelay: true });
  await once(socket, "connect");
  const { readable, writable } = Duplex.toWeb(socket);
  return { readable, writable, close: () => socket.destroy() };
};
const client = await StompClient.connect(open, {
  login: "guest",
  passcode: "guest",
  heartBeat: [1000, 1000],
  reconnect: { retries: 1 },
});
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

Deno.test("StompClient runs under Node 20 over node:net against RabbitMQ", async () => {
  await assertReachable(BROKERS.rabbitmqTcp, "RabbitMQ");
  const { code, stdout, stderr } = await runUnderNode(
    SCRIPT,
    { STOMP_URL: BROKERS.rabbitmqTcp },
  );
  assertEquals(code, 0, `node failed:\n${stdout}${stderr}`);
  const lines = stdout.trim().split("\n");
  assertEquals(lines.length, 4, stdout);
  assertMatch(lines[0]!, /^connected: STOMP 1\.2 \(RabbitMQ\/[\d.]+\)$/);
  assertMatch(lines[1]!, /^received: hello from Node v2\d+\.\d+\.\d+$/);
  assertEquals(lines[2], "received: 0,1,2,255");
  assertEquals(lines[3], "disconnected: closed");
  assertEquals(stderr, "");
});
