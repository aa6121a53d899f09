// @stomp/stompjs 7 under Node against the test broker, with its own API:
// over WebSocket with the `ws` package (which offers its subprotocols without
// spaces: "v12.stomp,v11.stomp,v10.stomp") or over TCP with
// @stomp/tcp-wrapper. Connect, subscribe, publish (the second watched for
// its receipt), ACK, NACK (1.1 and 1.2) and the redelivery, then deactivate
// (DISCONNECT with a receipt). Driven by
// tests/integration/foreign_clients_test.ts, which installs the packages
// with npm into `nodeModules` and passes one JSON config as argv[2]; the
// result is one JSON line on stdout.
//
//   node stompjs.mjs '{"transport": "ws", "ws": "ws://...", "nodeModules": "/dir", ...}'

import { createRequire } from "node:module";
import process from "node:process";

const config = JSON.parse(process.argv[2]);
// The packages live in the test's npm directory, not beside this file.
const require = createRequire(`${config.nodeModules}/package.json`);
const { Client, Versions } = require("@stomp/stompjs");

function fail(message) {
  console.error(`stompjs: ${message}`);
  process.exit(1);
}
setTimeout(() => fail(`timed out with ${JSON.stringify(received)}`), 10_000)
  .unref();

const { version, queue } = config;
const expected = version === "1.0" ? 2 : 3;
const received = [];
const receipts = [];
let connected;
let protocol = null;
let finishing = false;

function transport() {
  if (config.transport === "ws") {
    // Node 20 has no WebSocket of its own; stompjs's documented recipe.
    globalThis.WebSocket = require("ws");
    return { brokerURL: config.ws };
  }
  const { TCPWrapper } = require("@stomp/tcp-wrapper");
  return { webSocketFactory: () => new TCPWrapper(config.host, config.port) };
}

const client = new Client({
  ...transport(),
  connectHeaders: { login: config.login, passcode: config.passcode, host: "/" },
  // No version given: stompjs offers all three (its default).
  ...(version === null ? {} : { stompVersions: new Versions([version]) }),
  heartbeatIncoming: 0,
  heartbeatOutgoing: 0,
  reconnectDelay: 0,
  debug: () => {},
  onStompError: (frame) => fail(`ERROR ${frame.headers.message}`),
  onWebSocketError: (event) => fail(`socket error ${event?.message ?? event}`),
});

function check() {
  if (finishing || received.length < expected || !receipts.includes("r-send")) {
    return;
  }
  finishing = true;
  client.deactivate().then(() => {
    console.log(JSON.stringify({
      version: connected.headers.version ?? null,
      server: connected.headers.server,
      protocol,
      received,
      receipts,
    }));
    process.exit(0);
  }, (error) => fail(`deactivate: ${error}`));
}

client.onConnect = (frame) => {
  connected = frame;
  if (config.transport === "ws") protocol = client.webSocket.protocol;
  client.subscribe(queue, (message) => {
    const redelivered = message.headers.redelivered === "true";
    received.push({ body: message.body, n: message.headers.n, redelivered });
    // stompjs writes each version's ACK form itself.
    if (message.headers.n === "2" && !redelivered && version !== "1.0") {
      message.nack();
    } else {
      message.ack();
    }
    check();
  }, { id: "sub-1", ack: version === "1.0" ? "client" : "client-individual" });
  client.publish({ destination: queue, body: "one", headers: { n: "1" } });
  client.watchForReceipt("r-send", (receipt) => {
    receipts.push(receipt.headers["receipt-id"]);
    check();
  });
  client.publish({
    destination: queue,
    body: "two \u00fc",
    headers: { n: "2", receipt: "r-send" },
  });
};
client.activate();
