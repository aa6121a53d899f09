// STOMP from Node 20+ with the client: StompClient.connectUrl opens tcp://
// (or stomp://) with node:net and tls:// (or stomp+ssl://) with node:tls.
//
// Node cannot import the TypeScript sources: install the package from JSR
// (`npx jsr add @stomper/stomp`), or bundle it with `deno bundle` (see the
// README), so that `@stomper/stomp` resolves. Then:
//
//   STOMP_URL=tcp://127.0.0.1:61613 node examples/node.mjs
//   STOMP_URL=tls://localhost:61614 STOMP_CA=/tmp/stomper-brokers/ca.pem \
//     node examples/node.mjs
//
// STOMP_CA (a PEM file, default /tmp/stomper-brokers/ca.pem) is read for TLS
// only. Prints what happened, one line per step, and exits 0 on success
// (also when its output is cut short: `| head -1`).

import { readFileSync } from "node:fs";
import { StompClient } from "@stomper/stomp";

const url = new URL(process.env.STOMP_URL ?? "tcp://127.0.0.1:61613");
const tls = url.protocol === "tls:" || url.protocol === "stomp+ssl:";
const transport = tls
  ? {
    caCerts: [
      readFileSync(
        process.env.STOMP_CA ?? "/tmp/stomper-brokers/ca.pem",
        "utf8",
      ),
    ],
  }
  : {};
// Credentials in the URL win; RabbitMQ's default user otherwise.
const credentials = url.username === ""
  ? { login: "guest", passcode: "guest" }
  : {};

// A reader that goes away (`node node.mjs | head -1`) ends the output, not
// the example: later lines are dropped, and it still disconnects.
process.stdout.on("error", (error) => {
  if (error.code !== "EPIPE") throw error;
});

// Nothing below may wait for ever: give up after a few seconds.
setTimeout(() => {
  console.error("No answer within 10 s");
  process.exit(1);
}, 10_000).unref();

const client = await StompClient.connectUrl(url, {
  ...credentials,
  transport,
});
try {
  console.log(
    `connected: STOMP ${client.version} (${client.server}) over ${url.protocol}`,
  );

  const queue = `/queue/stomper-node-${Math.random().toString(36).slice(2)}`;
  const inbox = await client.subscribe(queue, { receipt: true });
  await client.send(queue, `hello from Node ${process.version}`, {
    receipt: true,
  });
  for await (const message of inbox) {
    console.log(`received: ${message.text}`);
    break;
  }

  await client.disconnect();
  console.log(`disconnected: ${client.state}`);
} catch (error) {
  client.close();
  throw error;
}
