// Our client in the end-to-end benchmark, written as a user of StompClient
// writes each scenario (contract: ../_protocol.ts):
//
//   deno run --import-map=tests/offline/import_map.json -A \
//     tests/bench/e2e/clients/stomper.ts '<Config JSON>'

import process from "node:process";
import { StompClient, type StompMessage } from "../../../../mod.ts";
import type { Config, Result } from "../_protocol.ts";

const config: Config = JSON.parse(Deno.args.at(-1)!);
const url = config.transport === "ws"
  ? config.wsUrl
  : `tcp://${config.host}:${config.port}`;
const client = await StompClient.connectUrl(url, {
  host: config.vhost,
  login: config.login,
  passcode: config.passcode,
  heartBeat: [0, 0],
});
const body = "x".repeat(config.size);
const bodyBytes = new TextEncoder().encode(body).byteLength;

let cpu = process.cpuUsage();
let start = performance.now();
/** Starts the measured section again (after SUBSCRIBE, for the consumers). */
function restart() {
  cpu = process.cpuUsage();
  start = performance.now();
}

let received = 0;
let bytes = 0;
const rttUs: number[] = [];
const last = config.count - 1;

switch (config.scenario) {
  case "publish-awaited":
    for (let i = 0; i < config.count; i++) {
      await client.send(config.destination, body, { receipt: i === last });
    }
    break;
  case "publish-together": {
    const sent: Promise<void>[] = [];
    for (let i = 0; i < config.count; i++) {
      sent.push(client.send(config.destination, body, { receipt: i === last }));
    }
    await Promise.all(sent);
    break;
  }
  case "receipt-rtt":
    for (let i = 0; i < config.count; i++) {
      const t = performance.now();
      await client.send(config.destination, body, { receipt: true });
      rttUs.push(Math.round((performance.now() - t) * 1000));
    }
    break;
  case "consume-auto":
  case "consume-client": {
    const individual = config.scenario === "consume-client";
    const prefetch = config.broker === "rabbitmq"
      ? "prefetch-count"
      : "activemq.prefetchSize";
    const subscription = await client.subscribe(config.destination, {
      ack: individual ? "client-individual" : "auto",
      headers: individual ? { [prefetch]: String(config.prefetch) } : {},
    });
    restart();
    let message: StompMessage;
    for await (message of subscription) {
      received++;
      bytes += message.body.byteLength;
      if (individual) {
        if (received < config.count) message.ack();
        else await message.ack({ receipt: true });
      }
      if (received === config.count) break;
    }
    break;
  }
}

const wallMs = performance.now() - start;
const used = process.cpuUsage(cpu);
await client.disconnect();
const publishing = !config.scenario.startsWith("consume");
const result: Result = {
  count: publishing ? config.count : received,
  bytes: publishing ? config.count * bodyBytes : bytes,
  wallMs,
  cpuUs: used.user + used.system,
  ...(config.scenario === "receipt-rtt" ? { rttUs } : {}),
};
console.log(JSON.stringify(result));
