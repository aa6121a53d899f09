// A client whose option callbacks fail, run as its own process by
// client_hooks_test.ts: `deno run ... _hooks_script.ts <case>`. The process
// must end with status 0 (a callback's error that reached reportError or
// became an unhandled rejection would end it with 1) and print, as its last
// line of stdout, what the client reported: the hooks named by the
// StompCallbackErrors onError got, and stats.callbackErrors.

import { connected, message, receipt } from "@stomper/stomp";
import {
  StompCallbackError,
  StompClient,
  type StompClientOptions,
} from "@stomper/stomp/client";
import { StompTestBroker } from "@stomper/stomp/testing";
import { scriptedServer } from "../_peer.ts";

const which = Deno.args[0];
const hooks: string[] = [];
const collect = (error: Error) => {
  if (error instanceof StompCallbackError) hooks.push(error.hook);
};

function fails(): never {
  throw new Error("Broken hook");
}

/** Runs `use` with a client of the test broker, then disconnects. */
async function withBroker(
  options: StompClientOptions,
  use: (client: StompClient) => Promise<void> = async () => {},
): Promise<StompClient> {
  await using broker = StompTestBroker.listen();
  const client = await StompClient.connectUrl(broker.url, {
    heartBeat: [0, 0],
    ...options,
  });
  await use(client);
  await client.send("/queue/hooks", "after", { receipt: true });
  await client.disconnect();
  return client;
}

/**
 * A server that sends `count` MESSAGE frames with hostile bodies for a
 * subscription the client never made, then answers DISCONNECT.
 */
async function withUnhandled(
  options: StompClientOptions,
  count: number,
): Promise<StompClient> {
  await using server = scriptedServer(async (peer) => {
    await peer.expect("CONNECT");
    await peer.send(connected({ version: "1.2" }));
    for (let i = 0; i < count; i++) {
      await peer.send(
        message("/queue/x", "{not json", {
          subscription: "never-made",
          messageId: `m-${i}`,
        }),
      );
    }
    const bye = await peer.expect("DISCONNECT");
    await peer.send(receipt(bye.headers.get("receipt")!));
  });
  const client = await StompClient.connectUrl(server.url, {
    heartBeat: [0, 0],
    ...options,
  });
  // The messages come right behind CONNECTED; give them a moment.
  while (client.stats.unhandled < count) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await client.disconnect();
  return client;
}

/** A client whose attempts all fail (nothing listens on the port). */
async function withRefusals(options: StompClientOptions): Promise<void> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  try {
    await StompClient.connectUrl(`tcp://127.0.0.1:${port}`, options);
  } catch {
    // Expected: every attempt is refused.
  }
}

let client: StompClient | undefined;
let failed: number | undefined;
switch (which) {
  case "trace":
    client = await withBroker({ trace: fails });
    break;
  case "trace-async":
    client = await withBroker({
      trace: async () => {
        await Promise.resolve();
        fails();
      },
      onError: collect,
    });
    break;
  case "onStateChange-reads-client": {
    // The hook reads the variable connectUrl is about to assign: it fires
    // (with "connected") before connectUrl resolves.
    await using broker = StompTestBroker.listen();
    const states: string[] = [];
    const early: StompClient = await StompClient.connectUrl(broker.url, {
      heartBeat: [0, 0],
      onStateChange: (change) => {
        states.push(`${change.state} ${change.client.state}`);
        states.push(early.state);
      },
      onError: collect,
    });
    await early.disconnect();
    client = early;
    console.log(JSON.stringify(states));
    break;
  }
  case "onStateChange-async":
    client = await withBroker({
      onStateChange: async () => {
        await Promise.resolve();
        fails();
      },
      onError: collect,
    });
    break;
  case "onUnhandledMessage":
    client = await withUnhandled({
      onUnhandledMessage: (frame) => JSON.parse(frame.text),
      onError: collect,
    }, 3);
    break;
  case "onError":
    // Three unhandled messages, each to an onError that throws.
    client = await withUnhandled({ onError: fails }, 3);
    break;
  case "onError-async":
    client = await withUnhandled({
      onError: async () => {
        await Promise.resolve();
        fails();
      },
    }, 3);
    break;
  case "onFailedAttempt": {
    let count = 0;
    await withRefusals({
      onError: collect,
      reconnect: {
        retries: 2,
        initialDelay: 1,
        onFailedAttempt: () => {
          count++;
          fails();
        },
      },
    });
    failed = count;
    break;
  }
  case "random":
    await withRefusals({
      onError: collect,
      reconnect: { retries: 2, initialDelay: 1, random: fails },
    });
    break;
  default:
    throw new Error(`Unknown case ${JSON.stringify(which)}`);
}
// Time for anything that would still reach reportError or go unhandled.
await new Promise((resolve) => setTimeout(resolve, 50));
console.log(JSON.stringify({
  hooks,
  callbackErrors: client?.stats.callbackErrors,
  ...(failed === undefined ? {} : { failed }),
}));
