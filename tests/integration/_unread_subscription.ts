// Run as a subprocess by subscription_bytes_rabbitmq_test.ts (with
// --v8-flags=--expose-gc): publishes large bodies to a RabbitMQ queue,
// subscribes without reading, and prints as JSON how much the unread
// subscription buffered and how far the process's RSS grew; then reads every
// message and says whether all came, in order.
//
// deno run --v8-flags=--expose-gc -A tests/integration/_unread_subscription.ts \
//   <count> <bytes each> [highWaterMarkBytes]

import { BROKERS, connectTo } from "./_client.ts";
import { uniqueQueue } from "../_helpers.ts";

const count = Number(Deno.args[0] ?? 40);
const size = Number(Deno.args[1] ?? 4 * 1024 * 1024);
const bound = Deno.args[2] === undefined ? undefined : Number(Deno.args[2]);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const rss = () => {
  gc();
  return Deno.memoryUsage().rss;
};

const queue = uniqueQueue("unread");
await using stomp = await connectTo(BROKERS.rabbitmqTcp, {
  onError: () => {},
  ...(bound === undefined ? {} : { highWaterMarkBytes: bound }),
});
{
  const body = new Uint8Array(size).fill(0x61);
  for (let i = 0; i < count; i++) {
    await stomp.send(queue, body, { receipt: true, headers: { n: String(i) } });
  }
}
const baseline = rss();
const subscription = await stomp.subscribe(queue, { receipt: true });
// Nobody reads: wait until the buffer stops growing for a second.
let peak = baseline;
let last = -1;
let still = 0;
for (let waited = 0; waited < 20000 && still < 10; waited += 100) {
  await new Promise((resolve) => setTimeout(resolve, 100));
  peak = Math.max(peak, Deno.memoryUsage().rss);
  still = subscription.buffered === last ? still + 1 : 0;
  last = subscription.buffered;
}
const settled = rss();
const buffered = subscription.buffered;
const bufferedBytes = subscription.buffered * size;
let read = 0;
let ordered = true;
let whole = true;
for await (const message of subscription) {
  if (message.headers.get("n") !== String(read)) ordered = false;
  if (message.body.length !== size) whole = false;
  if (++read === count) break;
}
console.log(JSON.stringify({
  count,
  size,
  baseline,
  peak,
  settled,
  buffered,
  bufferedBytes,
  read,
  ordered,
  whole,
}));
