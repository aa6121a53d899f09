// A peer client program of the end-to-end benchmark:
// @stomp/stompjs 7 over Deno's global WebSocket, WebSocket transport only. It
// follows the contract in ../_protocol.ts: one scenario, one JSON Result as
// the last stdout line, errors on stderr with a non-zero exit. Run as
//
//   deno run --allow-net=127.0.0.1,localhost \
//     tests/bench/e2e/clients/stompjs_ws.ts '<Config JSON>'
//
// (process.cpuUsage() needs no permission.)

import process from "node:process";
import { Client, type IMessage } from "npm:@stomp/stompjs@7";
import type { Config, Result } from "../_protocol.ts";

const NAME = "stompjs_ws";
// Nothing may wait for ever: a stuck broker or a lost receipt ends the run.
const SAFETY_MS = 10 * 60 * 1000;

function fail(message: string): never {
  console.error(`${NAME}: ${message}`);
  Deno.exit(1);
}

function readConfig(): Config {
  const json = Deno.args.at(-1);
  if (json === undefined) fail("missing argument: the Config as JSON");
  let config: Config;
  try {
    config = JSON.parse(json);
  } catch (error) {
    fail(`the Config argument is not JSON: ${error}`);
  }
  if (config.transport !== "ws") {
    fail(`transport "${config.transport}" is not supported: ws only`);
  }
  if (!(config.count >= 1)) fail(`count must be at least 1: ${config.count}`);
  return config;
}

/** Starts the measured section; the returned function ends it. */
function startSection(): () => { wallMs: number; cpuUs: number } {
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  return () => {
    const wallMs = performance.now() - t0;
    const { user, system } = process.cpuUsage(cpu);
    return { wallMs, cpuUs: user + system };
  };
}

const config = readConfig();
const safety = setTimeout(
  () => fail(`no result after ${SAFETY_MS / 1000} s: giving up`),
  SAFETY_MS,
);

let closing = false;
const client = new Client({
  webSocketFactory: () => new WebSocket(config.wsUrl, ["v12.stomp"]),
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
  onWebSocketError: () => fail(`WebSocket error on ${config.wsUrl}`),
  onWebSocketClose: (event) => {
    if (!closing) fail(`WebSocket closed: ${event.code} ${event.reason}`);
  },
});

function receipt(id: string): Promise<void> {
  return new Promise((resolve) => client.watchForReceipt(id, () => resolve()));
}

const connected = new Promise<void>((resolve) => {
  client.onConnect = () => resolve();
});
client.activate();
await connected;

const { destination, count, size } = config;
const body = "x".repeat(size);
let result: Result;

switch (config.scenario) {
  // stompjs's publish() queues the frame on the socket and returns nothing,
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
    const headers: Record<string, string> = individual
      ? { ack: "client-individual", [prefetch]: String(config.prefetch) }
      : { ack: "auto" };
    let received = 0;
    let bytes = 0;
    let end = startSection();
    await new Promise<void>((resolve) => {
      const onMessage = (message: IMessage) => {
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
          client.watchForReceipt("last-ack", () => resolve());
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
    const rttUs: number[] = [];
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
