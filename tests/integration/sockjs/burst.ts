// What a burst of awaited sends costs over SockJS, which has no
// bufferedAmount to push back with (docs/sockjs.md has the numbers): in
// Node, sends of 4 KiB awaited one by one over each SockJS transport, then
// one with a receipt, through server.cjs to StompTestBroker on 127.0.0.1.
// Prints, per transport, when the sends resolved, when the receipt came, the
// peak RSS (sampled every 5 ms until then) and the most bytes handed to
// SockJS that no RECEIPT had yet confirmed (measured on the socket, from
// the frames it carried: every RECEIPT confirms all before the frame that
// asked it).
//
//   deno run -A --import-map=tests/offline/import_map.json \
//     tests/integration/sockjs/burst.ts [--sends=5000] [--receipt-every=256]
//     [--unconfirmed=1048576|Infinity] [--no-receipts]
//
// --receipt-every=N: every Nth send asks for a receipt itself (256 is one a
// MiB). --unconfirmed: the client's unconfirmedBytes (unset: its default).
// --no-receipts: the broker answers no receipt but DISCONNECT's, as
// Spring's simple broker. burst() is also what sockjs_test.ts runs.

import { StompTestBroker } from "@stomper/stomp/testing";
import { runUnderNode } from "../_bundle.ts";
import { npmPackages, startServer } from "./_server.ts";
import { SOCKJS_TRANSPORTS } from "./scenario.ts";

/** The body of each send, in bytes. */
export const BODY_BYTES = 4096;

const SCRIPT = `
import { createRequire } from "node:module";
import { fromWebSocket, StompClient } from "@stomper/stomp";
const SockJS = createRequire(process.env.NPM_DIR + "/")("sockjs-client");
const transport = process.env.TRANSPORT;
const sends = Number(process.env.SENDS);
const every = Number(process.env.RECEIPT_EVERY);
const unconfirmed = process.env.UNCONFIRMED;
let socket;
// What the socket was handed, and what the server's RECEIPTs confirmed.
let written = 0;
let confirmed = 0;
let peakUnconfirmed = 0;
const ends = new Map();
const asked = [];
function open() {
  socket = new SockJS(process.env.URL, null, { transports: [transport] });
  const send = socket.send.bind(socket);
  socket.send = (data) => {
    written += Buffer.byteLength(data);
    const head = data.slice(0, Math.max(0, data.indexOf("\\n\\n")));
    const receipt = /\\nreceipt:([^\\n]*)/.exec(head)?.[1];
    if (receipt !== undefined) {
      ends.set(receipt, written);
      asked.push(receipt);
    }
    peakUnconfirmed = Math.max(peakUnconfirmed, written - confirmed);
    send(data);
  };
  socket.addEventListener("message", (event) => {
    for (const [, id] of String(event.data).matchAll(/RECEIPT\\nreceipt-id:([^\\n]*)\\n/g)) {
      confirmed = Math.max(confirmed, ends.get(id) ?? 0);
    }
  });
  return fromWebSocket(socket);
}
const client = await StompClient.connect(open, {
  login: "guest",
  passcode: "guest",
  heartBeat: [0, 0],
  ...(unconfirmed === "" ? {} : { unconfirmedBytes: Number(unconfirmed) }),
});
const queue = process.env.QUEUE;
const body = "x".repeat(${BODY_BYTES});
const rssBefore = process.memoryUsage().rss;
let peak = rssBefore;
const sampler = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 5);
const start = performance.now();
for (let i = 0; i < sends; i++) {
  await client.send(queue, body, { receipt: every > 0 && i % every === every - 1 });
  if (i % 100 === 0) peak = Math.max(peak, process.memoryUsage().rss);
}
const resolved = performance.now() - start;
const last = process.env.NO_RECEIPTS === "1"
  ? client.send(queue, "last")
  : client.send(queue, "last", { receipt: true });
await last;
const confirmedMs = performance.now() - start;
clearInterval(sampler);
peak = Math.max(peak, process.memoryUsage().rss);
const MiB = 1024 * 1024;
await client.disconnect();
process.stdout.write(JSON.stringify({
  resolvedMs: Math.round(resolved),
  confirmedMs: Math.round(confirmedMs),
  rssBeforeMiB: Math.round(rssBefore / MiB),
  peakRssMiB: Math.round(peak / MiB),
  peakUnconfirmedKiB: Math.round(peakUnconfirmed / 1024),
  windowReceipts: asked.filter((id) => id.startsWith("unconfirmed-")).length,
}) + "\\n", () => process.exit(0));
`;

/** How a burst is run. */
export interface BurstOptions {
  /** The SockJS transport. */
  readonly transport: string;
  /** The SockJS endpoint, `http://127.0.0.1:port/stomp`. */
  readonly url: string;
  /** Where the npm packages are (see npmPackages). */
  readonly npmDir: string;
  readonly queue: string;
  readonly sends: number;
  /** Every Nth send asks for a receipt itself; 0 for none. */
  readonly receiptEvery?: number;
  /** The client's unconfirmedBytes; unset for its default. */
  readonly unconfirmedBytes?: number;
  /** The broker answers no receipt: the last send asks none. */
  readonly noReceipts?: boolean;
}

/** What a burst measured. */
export interface BurstResult {
  readonly resolvedMs: number;
  readonly confirmedMs: number;
  readonly rssBeforeMiB: number;
  readonly peakRssMiB: number;
  readonly peakUnconfirmedKiB: number;
  /** Receipts the client asked itself (`unconfirmed-N`). */
  readonly windowReceipts: number;
}

/** Runs one burst under Node. */
export async function burst(options: BurstOptions): Promise<BurstResult> {
  const { code, stdout, stderr } = await runUnderNode(SCRIPT, {
    NPM_DIR: options.npmDir,
    URL: options.url,
    TRANSPORT: options.transport,
    QUEUE: options.queue,
    SENDS: String(options.sends),
    RECEIPT_EVERY: String(options.receiptEvery ?? 0),
    UNCONFIRMED: options.unconfirmedBytes === undefined
      ? ""
      : String(options.unconfirmedBytes),
    NO_RECEIPTS: options.noReceipts === true ? "1" : "0",
  });
  if (code !== 0 || stderr !== "") {
    throw new Error(
      `The burst over ${options.transport} failed (exit ${code}): ${stdout}${stderr}`,
    );
  }
  return JSON.parse(stdout) as BurstResult;
}

if (import.meta.main) {
  const flag = (name: string) =>
    Deno.args.find((arg) => arg.startsWith(`--${name}=`))?.split("=")[1];
  const sends = Number(flag("sends") ?? 5000);
  const receiptEvery = Number(flag("receipt-every") ?? 0);
  const unconfirmed = flag("unconfirmed");
  const noReceipts = Deno.args.includes("--no-receipts");
  const npmDir = await npmPackages();
  await using broker = StompTestBroker.listen({
    login: "guest",
    passcode: "guest",
    receipts: !noReceipts,
  });
  await using server = await startServer(npmDir, broker.port);
  console.log(
    `${sends} awaited sends of ${BODY_BYTES} bytes over SockJS in Node${
      receiptEvery > 0 ? `, a receipt every ${receiptEvery}` : ""
    }${unconfirmed === undefined ? "" : `, unconfirmedBytes ${unconfirmed}`}${
      noReceipts ? ", a broker that answers no receipt" : ""
    }`,
  );
  for (const transport of SOCKJS_TRANSPORTS) {
    const result = await burst({
      transport,
      url: `${server.origin}/stomp`,
      npmDir,
      queue: `/queue/sockjs-burst-${transport}`,
      sends,
      receiptEvery,
      ...(unconfirmed === undefined
        ? {}
        : { unconfirmedBytes: Number(unconfirmed) }),
      noReceipts,
    });
    console.log(transport.padEnd(14), JSON.stringify(result));
  }
}
