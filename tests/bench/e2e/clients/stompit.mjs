// A peer client program of the end-to-end benchmark: stompit 1
// under Node, TCP transport only. It follows the contract in ../_protocol.ts:
// one scenario, one JSON Result as the last stdout line, errors on stderr with
// a non-zero exit. The package comes from the project's node_modules/ (see
// ../_node_deps.ts). Run as
//
//   node tests/bench/e2e/clients/stompit.mjs '<Config JSON>'

import { Buffer } from "node:buffer";
import process from "node:process";
import { nodePeer } from "./_node_peer.mjs";

// A bare specifier is Node's: import() keeps `deno check tests/`, which has no
// package.json to resolve it with, from failing on it.
const { default: stompit } = await import("stompit");

const { fail, readConfig, startSection, startSafetyTimer } = nodePeer(
  "stompit",
);

// stompit emits an 'error' nobody can listen to when the broker refuses the
// CONNECT with an ERROR body; it must still end the run with a clear message.
process.on(
  "uncaughtException",
  (error) => fail(`${error.message} ${error.longMessage ?? ""}`.trim()),
);

const config = readConfig();
const safety = startSafetyTimer();

const client = await new Promise((resolve) => {
  const options = {
    host: config.host,
    port: config.port,
    // stompit writes a frame in several socket writes and turns Nagle off
    // only when it sends heart-beats; with Nagle on, every receipt round trip
    // waits for the peer's delayed ACK (about 44 ms on loopback).
    noDelay: true,
    connectHeaders: {
      host: config.vhost,
      login: config.login,
      passcode: config.passcode,
      "heart-beat": "0,0",
    },
  };
  stompit.connect(options, (error, client) => {
    if (error) fail(`cannot connect: ${error.message}`);
    resolve(client);
  });
});
let closing = false;
client.on("error", (error) => {
  if (!closing) fail(`${error.message} ${error.longMessage ?? ""}`);
});

const { destination, count, size } = config;
const body = "x".repeat(size);

/** Sends one message; resolves when stompit got its RECEIPT. */
function sendWithReceipt() {
  return new Promise((resolve) =>
    client.sendString({ destination }, body, { onReceipt: resolve })
  );
}

let result;
switch (config.scenario) {
  // stompit calls back once the frame is written to the socket: that is what
  // an awaited loop waits for.
  case "publish-awaited": {
    const end = startSection();
    for (let i = 1; i < count; i++) {
      await new Promise((resolve) =>
        client.sendString({ destination }, body, undefined, (error) => {
          if (error) fail(`send failed: ${error.message}`);
          resolve();
        })
      );
    }
    await sendWithReceipt();
    result = { count, bytes: count * size, ...end() };
    break;
  }
  case "publish-together": {
    const end = startSection();
    for (let i = 1; i < count; i++) client.sendString({ destination }, body);
    await sendWithReceipt();
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
      ? {
        destination,
        ack: "client-individual",
        [prefetch]: String(config.prefetch),
      }
      : { destination, ack: "auto" };
    let received = 0;
    let bytes = 0;
    let end = startSection();
    await new Promise((resolve) => {
      client.subscribe(headers, (error, message) => {
        if (error) fail(`subscription failed: ${error.message}`);
        // stompit reads the next frame only once this body is consumed, so
        // even messages past `count` are read (and left unacknowledged).
        message.readString("utf-8", (error, text) => {
          if (error) fail(`reading a message failed: ${error.message}`);
          if (received === count) return;
          bytes += Buffer.byteLength(text);
          received++;
          if (!individual) {
            if (received === count) resolve();
          } else if (received < count) {
            client.ack(message);
          } else {
            client.ack(message, undefined, { onReceipt: resolve });
          }
        });
      });
      end = startSection();
    });
    result = { count: received, bytes, ...end() };
    break;
  }
  case "receipt-rtt": {
    const rttUs = [];
    const end = startSection();
    for (let i = 0; i < count; i++) {
      const t0 = performance.now();
      await sendWithReceipt();
      rttUs.push(Math.round((performance.now() - t0) * 10_000) / 10);
    }
    result = { count, bytes: count * size, ...end(), rttUs };
    break;
  }
  default:
    fail(`unknown scenario: "${config.scenario}"`);
}

closing = true;
await new Promise((resolve) =>
  client.disconnect((error) => {
    if (error) fail(`disconnect failed: ${error.message}`);
    resolve();
  })
);
clearTimeout(safety);
console.log(JSON.stringify(result));
