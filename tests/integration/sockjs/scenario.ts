// What sockjs_test.ts runs over each SockJS transport, in Node and in
// Chromium alike: StompClient over `fromWebSocket(new SockJS(url))` with the
// default options, against StompTestBroker behind the SockJS server in
// server.cjs. Bundled with `deno bundle`; the SockJS constructor comes from
// the caller (sockjs-client's npm module in Node, its dist script in a page).

import { StompClient, type StompMessage } from "../../../mod.ts";
import {
  fromWebSocket,
  type WebSocketLike,
} from "../../../src/transports/mod.ts";

/** `SockJS` from sockjs-client, as far as the scenario uses it. */
export type SockJsConstructor = new (
  url: string,
  protocols: null,
  options: { transports: string[] },
) => WebSocketLike & { readonly transport?: string | null };

/** The SockJS transports the test runs over. */
export const SOCKJS_TRANSPORTS: readonly string[] = [
  "websocket",
  "xhr-streaming",
  "xhr-polling",
  "eventsource",
];

/** What one run reports. */
export interface SockJsRun {
  /** The transport asked for. */
  transport: string;
  /** The transport SockJS says it used. */
  used: string | null;
  messageType: string;
  version: string | undefined;
  heartBeat: { send: number; receive: number };
  /** The bodies received, in order. */
  received: string[];
  /** How the send of a body that is not UTF-8 failed. */
  refused: string;
  stateAfterIdle: string;
  finalState: string;
}

/** The largest SockJS message the client sends (maxMessageBytes). */
export const MAX_MESSAGE_BYTES = 4096;
/** A body of several SockJS messages, with characters cut nowhere. */
export const LARGE_BODY = "stomp €𝄞 ".repeat(2000);

async function runOne(
  SockJS: SockJsConstructor,
  url: string,
  transport: string,
  queue: string,
  idleMs: number,
): Promise<SockJsRun> {
  let socket: InstanceType<SockJsConstructor> | undefined;
  let messageType = "";
  const client = await StompClient.connect(
    () => {
      socket = new SockJS(url, null, { transports: [transport] });
      // The default options but the message size, so that large frames go
      // as several SockJS messages.
      const wrapped = fromWebSocket(socket, {
        maxMessageBytes: MAX_MESSAGE_BYTES,
      });
      messageType = wrapped.messageType;
      return wrapped;
    },
    { login: "guest", passcode: "guest", heartBeat: [1000, 1000] },
  );
  const subscription = await client.subscribe(queue, {
    ack: "client-individual",
    receipt: true,
  });
  await client.send(queue, `héllo € 𝄞 over ${transport}`, { receipt: true });
  let refused = "not refused";
  try {
    await client.send(queue, new Uint8Array([0x68, 0xff]), { receipt: true });
  } catch (error) {
    refused = `${(error as Error).name}: ${(error as Error).message}`;
  }
  await client.send(queue, LARGE_BODY, { receipt: true });
  await client.send(queue, new TextEncoder().encode("UTF-8 bytes ✓"), {
    receipt: true,
  });
  const received: StompMessage[] = [];
  for await (const message of subscription) {
    received.push(message);
    await message.ack({ receipt: true });
    if (received.length === 3) break;
  }
  // Idle: only heart-beats keep the connection (the broker drops a client
  // silent for two of its 1000 ms intervals).
  await new Promise((resolve) => setTimeout(resolve, idleMs));
  const stateAfterIdle = client.state;
  const run: SockJsRun = {
    transport,
    used: socket?.transport ?? null,
    messageType,
    version: client.version,
    heartBeat: client.heartBeat,
    received: received.map((message) => message.text),
    refused,
    stateAfterIdle,
    finalState: "",
  };
  await client.disconnect();
  run.finalState = client.state;
  return run;
}

/** Runs the scenario over every SockJS transport at once. */
export function runAll(
  SockJS: SockJsConstructor,
  url: string,
  queuePrefix: string,
  idleMs: number,
): Promise<SockJsRun[]> {
  return Promise.all(
    SOCKJS_TRANSPORTS.map((transport) =>
      runOne(SockJS, url, transport, `${queuePrefix}-${transport}`, idleMs)
    ),
  );
}
