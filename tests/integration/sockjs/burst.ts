// What a burst of awaited sends costs over SockJS, which has no
// bufferedAmount to push back with (docs/sockjs.md has the numbers): in Node,
// 5,000 sends of 4 KiB awaited one by one over each SockJS transport, then
// one with a receipt, through server.cjs to StompTestBroker on 127.0.0.1.
// Prints, per transport, when the sends resolved, when the receipt came and
// the peak RSS; with --receipt-every=N every Nth send asks for a receipt
// (256 is one a MiB).
//
//   deno run -A --import-map=tests/offline/import_map.json \
//     tests/integration/sockjs/burst.ts [--receipt-every=256]

import { StompTestBroker } from "@stomper/stomp/testing";
import { runUnderNode } from "../_bundle.ts";
import { npmPackages, startServer } from "./_server.ts";
import { SOCKJS_TRANSPORTS } from "./scenario.ts";

const SENDS = 5000;
const BODY_BYTES = 4096;

const SCRIPT = `
import { createRequire } from "node:module";
import { fromWebSocket, StompClient } from "@stomper/stomp";
const SockJS = createRequire(process.env.NPM_DIR + "/")("sockjs-client");
const transport = process.env.TRANSPORT;
const every = Number(process.env.RECEIPT_EVERY);
const client = await StompClient.connect(
  () => fromWebSocket(new SockJS(process.env.URL, null, { transports: [transport] })),
  { login: "guest", passcode: "guest", heartBeat: [0, 0] },
);
const queue = "/queue/sockjs-burst-" + transport;
const body = "x".repeat(${BODY_BYTES});
const rssBefore = process.memoryUsage().rss;
let peak = rssBefore;
const start = performance.now();
for (let i = 0; i < ${SENDS}; i++) {
  await client.send(queue, body, { receipt: every > 0 && i % every === every - 1 });
  if (i % 100 === 0) peak = Math.max(peak, process.memoryUsage().rss);
}
const resolved = performance.now() - start;
peak = Math.max(peak, process.memoryUsage().rss);
await client.send(queue, "last", { receipt: true });
const confirmed = performance.now() - start;
const MiB = 1024 * 1024;
console.log(JSON.stringify({
  resolvedMs: Math.round(resolved),
  confirmedMs: Math.round(confirmed),
  rssBeforeMiB: Math.round(rssBefore / MiB),
  peakRssMiB: Math.round(peak / MiB),
}));
await client.disconnect();
process.stdout.write("", () => process.exit(0));
`;

if (import.meta.main) {
  const every = Number(
    Deno.args.find((arg) => arg.startsWith("--receipt-every="))?.split(
      "=",
    )[1] ?? 0,
  );
  const npmDir = await npmPackages();
  await using broker = StompTestBroker.listen({
    login: "guest",
    passcode: "guest",
  });
  await using server = await startServer(npmDir, broker.port);
  console.log(
    `${SENDS} awaited sends of ${BODY_BYTES} bytes over SockJS in Node${
      every > 0 ? `, a receipt every ${every}` : ""
    }`,
  );
  for (const transport of SOCKJS_TRANSPORTS) {
    const { code, stdout, stderr } = await runUnderNode(SCRIPT, {
      NPM_DIR: npmDir,
      URL: `${server.origin}/stomp`,
      TRANSPORT: transport,
      RECEIPT_EVERY: String(every),
    });
    if (code !== 0) throw new Error(`${transport}: ${stdout}${stderr}`);
    console.log(transport.padEnd(14), stdout.trim());
  }
}
