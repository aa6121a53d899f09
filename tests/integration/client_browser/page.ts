// Runs in headless Chromium, bundled by client_browser_test.ts with `deno
// bundle --platform browser`: the StompClient over the browser's WebSocket,
// against RabbitMQ Web-STOMP, as a web application would use it. The test
// reads the outcome from `globalThis.stomperResult`.

import { StompClient, type StompMessage } from "../../../mod.ts";

/** What the page reports back to the test. */
export interface ClientPageResult {
  version: string | undefined;
  server: string | undefined;
  heartBeat: { send: number; receive: number };
  text: string;
  binary: number[];
  redelivered: string | undefined;
  stateAfterIdle: string;
  finalState: string;
}

async function run(): Promise<ClientPageResult> {
  const params = new URL(location.href).searchParams;
  const queue = params.get("queue")!;
  const client = await StompClient.connectUrl(params.get("ws")!, {
    login: "guest",
    passcode: "guest",
    heartBeat: [1000, 1000],
  });
  const subscription = await client.subscribe(queue, {
    ack: "client-individual",
    receipt: true,
  });
  await client.send(queue, "hello from the browser client", {
    receipt: true,
  });
  const transaction = await client.begin();
  await transaction.send(queue, new Uint8Array([0, 128, 255]));
  await transaction.commit({ receipt: true });

  const received: StompMessage[] = [];
  let redelivered: string | undefined;
  let rejected = false;
  for await (const message of subscription) {
    if (!rejected && message.text === "hello from the browser client") {
      rejected = true;
      await message.nack({ receipt: true });
      continue;
    }
    if (message.headers.has("redelivered")) {
      redelivered = message.headers.get("redelivered");
    }
    received.push(message);
    await message.ack({ receipt: true });
    if (received.length === 2) break;
  }
  // Idle for longer than the heart-beat interval × grace: heart-beats keep
  // the connection up in both directions.
  await new Promise((resolve) => setTimeout(resolve, 3500));
  const stateAfterIdle = client.state;
  const text = received.find((m) => m.body.length !== 3)!.text;
  const binary = Array.from(received.find((m) => m.body.length === 3)!.body);
  const heartBeat = { ...client.heartBeat };
  const { version, server } = client;
  await client.disconnect();
  return {
    version,
    server,
    heartBeat,
    text,
    binary,
    redelivered,
    stateAfterIdle,
    finalState: client.state,
  };
}

(globalThis as { stomperResult?: Promise<ClientPageResult> }).stomperResult =
  run();
