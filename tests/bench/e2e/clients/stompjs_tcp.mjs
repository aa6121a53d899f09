// A peer client program of the end-to-end benchmark:
// @stomp/stompjs 7 under Node over TCP, with @stomp/tcp-wrapper's TCPWrapper
// as its socket; TCP transport only. It follows the contract in
// ../_protocol.ts: one scenario, one JSON Result as the last stdout line,
// errors on stderr with a non-zero exit. The packages come from the project's
// node_modules/ (see ../_node_deps.ts). Run as
//
//   node tests/bench/e2e/clients/stompjs_tcp.mjs '<Config JSON>'

import process from "node:process";
import { nodePeer } from "./_node_peer.mjs";

// Bare specifiers are Node's: import() keeps `deno check tests/`, which has no
// package.json to resolve them with, from failing on them.
const { Client } = await import("@stomp/stompjs");
const { TCPWrapper } = await import("@stomp/tcp-wrapper");

const { fail, readConfig, startSection, startSafetyTimer } = nodePeer(
  "stompjs_tcp",
);

// An error thrown inside a socket callback still ends the run on stderr.
process.on("uncaughtException", (error) => fail(`${error.stack ?? error}`));

const config = readConfig();
const safety = startSafetyTimer();

let closing = false;
const client = new Client({
  webSocketFactory: () => new TCPWrapper(config.host, config.port),
  connectHeaders: {
    login: config.login,
    passcode: config.passcode,
    host: config.vhost,
  },
  heartbeatIncoming: 0,
  heartbeatOutgoing: 0,
  // A benchmark run must fail on a lost connection, not quietly reconnect.
  reconnectDelay: 0,
  debug: () => {},
  onStompError: (frame) =>
    fail(`ERROR frame: ${frame.headers.message ?? ""} ${frame.body}`),
  // TCPWrapper hands the Node socket error over as `message`.
  onWebSocketError: (event) =>
    fail(`socket error on ${config.host}:${config.port}: ${event.message}`),
  onWebSocketClose: (event) => {
    if (!closing) fail(`socket closed: ${event.code}`);
  },
});

/** @param {string} id */
function receipt(id) {
  return new Promise((resolve) => client.watchForReceipt(id, resolve));
}

const connected = new Promise((resolve) => {
  client.onConnect = resolve;
});
client.activate();
await connected;

const { destination, count, size } = config;
const body = "x".repeat(size);
let result;

switch (config.scenario) {
  // stompjs's publish() writes the frame to the socket and returns nothing,
  // so "awaited" and "together" are the same loop; only the last receipt is
  // waited for.
  case "publish-awaited":
  case "publish-together": {
    const done = receipt("last-send");
    const end = startSection();
    for (let i = 1; i < count; i++) client.publish({ destination, body });
    client.publish({ destination, body, headers: { receipt: "last-send" } });
    await done;
    result = { count, bytes: count * size, ...end() };
    break;
  }
  case "consume-auto":
  case "consume-client": {
    const individual = config.scenario === "consume-client";
    const prefetch = config.broker === "activemq"
      ? "activemq.prefetchSize"
      : "prefetch-count";
    const headers = individual
      ? { ack: "client-individual", [prefetch]: String(config.prefetch) }
      : { ack: "auto" };
    let received = 0;
    let bytes = 0;
    let end = startSection();
    await new Promise((resolve) => {
      /** @param {import("@stomp/stompjs").IMessage} message */
      const onMessage = (message) => {
        // Messages past `count` (prefetched) are left unacknowledged.
        if (received === count) return;
        // The raw bytes are at hand: counting them needs no text decoding.
        bytes += message.binaryBody.byteLength;
        received++;
        if (!individual) {
          if (received === count) resolve();
        } else if (received < count) {
          message.ack();
        } else {
          client.watchForReceipt("last-ack", resolve);
          message.ack({ receipt: "last-ack" });
        }
      };
      client.subscribe(destination, onMessage, headers);
      end = startSection();
    });
    result = { count: received, bytes, ...end() };
    break;
  }
  case "receipt-rtt": {
    const rttUs = [];
    const end = startSection();
    for (let i = 0; i < count; i++) {
      const id = `rtt-${i}`;
      const t0 = performance.now();
      const done = receipt(id);
      client.publish({ destination, body, headers: { receipt: id } });
      await done;
      rttUs.push(Math.round((performance.now() - t0) * 10_000) / 10);
    }
    result = { count, bytes: count * size, ...end(), rttUs };
    break;
  }
  default:
    fail(`unknown scenario: "${config.scenario}"`);
}

closing = true;
await client.deactivate();
clearTimeout(safety);
console.log(JSON.stringify(result));
