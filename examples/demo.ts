/**
 * The stomper demo: a tour of the client, one printed step at a time.
 *
 *     deno task demo
 *
 * Without STOMP_URL it starts the in-process test broker and talks to it, so
 * it needs nothing but Deno. With STOMP_URL it talks to that broker:
 *
 *     STOMP_URL=tcp://guest:guest@127.0.0.1:61613 deno task demo
 *     STOMP_URL=ws://guest:guest@127.0.0.1:15674/ws deno task demo
 *     STOMP_URL=tls://guest:guest@localhost:61614 STOMP_CA=ca.pem deno task demo
 *
 * STOMP_CA names a PEM file of extra trusted certificate authorities, for a
 * TLS broker with a private CA. Exits with status 1 if a step fails.
 *
 * @module
 */

import {
  type OpenTransportOptions,
  StompClient,
  type StompMessage,
  type StompSubscription,
} from "@stomper/stomp";
import { StompTestBroker } from "@stomper/stomp/testing";

const TEXT = "Hello from stomper";
// Every byte value, NULs included: a binary body survives only if the frame
// carries a content-length and the transport does not mangle bytes.
const BINARY = new Uint8Array(256).map((_, i) => i);
const RECEIVE_TIMEOUT = 5000;
const ABSENCE_WAIT = 500;
const REDELIVERY_WAIT = 1500;

/**
 * The failure of a binary body on a Web-STOMP endpoint in text frame mode,
 * explained: such an endpoint closes the WebSocket on a body that is not
 * UTF-8 ("Invalid UTF-8"). `undefined` for any other error.
 */
function textModeFailure(error: unknown): DemoFailure | undefined {
  for (let e = error; e instanceof Error; e = e.cause) {
    if (e.message.includes("Invalid UTF-8")) {
      return new DemoFailure(
        "The broker closed the WebSocket at the binary body (Invalid UTF-8): this Web-STOMP endpoint sends and takes text frames only (RabbitMQ: web_stomp.ws_frame = text), so a body must be UTF-8 there. Use an endpoint in binary frame mode (web_stomp.ws_frame = binary) for binary bodies",
      );
    }
  }
  return undefined;
}

/** A failed step: printed, then the demo exits with status 1. */
class DemoFailure extends Error {}

function step(number: number, title: string, detail: string): void {
  console.log(`${String(number).padStart(2)}. ${title.padEnd(12)} ${detail}`);
}

function more(detail: string): void {
  console.log(`    ${"".padEnd(12)} ${detail}`);
}

/** Reads a subscription with timeouts, keeping a read that timed out. */
class Inbox {
  readonly #iterator: AsyncIterator<StompMessage>;
  #pending: Promise<IteratorResult<StompMessage>> | undefined;

  constructor(subscription: StompSubscription) {
    this.#iterator = subscription[Symbol.asyncIterator]();
  }

  /** The next message, or `undefined` if none comes within `ms`. */
  async next(ms: number): Promise<StompMessage | undefined> {
    this.#pending ??= this.#iterator.next();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), ms);
    });
    try {
      const result = await Promise.race([this.#pending, timeout]);
      if (result === "timeout") return undefined;
      this.#pending = undefined;
      if (result.done) throw new DemoFailure("The subscription ended early");
      return result.value;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The next message; a failure if none comes in time. */
  async expect(what: string): Promise<StompMessage> {
    const message = await this.next(RECEIVE_TIMEOUT);
    if (message === undefined) {
      throw new DemoFailure(
        `No message within ${RECEIVE_TIMEOUT} ms (expected ${what})`,
      );
    }
    return message;
  }
}

function redact(url: URL): string {
  const shown = new URL(url);
  if (shown.password !== "") shown.password = "***";
  return shown.href;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

async function demo(): Promise<void> {
  console.log("stomper demo: the STOMP client, step by step");
  const configured = Deno.env.get("STOMP_URL");
  let broker: StompTestBroker | undefined;
  let url: URL;
  if (configured === undefined || configured === "") {
    broker = StompTestBroker.listen();
    url = new URL(broker.url);
    console.log(
      `broker: the in-process test broker at ${url.href} (set STOMP_URL to use another)`,
    );
  } else {
    try {
      url = new URL(configured);
    } catch {
      throw new DemoFailure(
        `STOMP_URL is not a URL: ${JSON.stringify(configured)}`,
      );
    }
    console.log(`broker: ${redact(url)} (from STOMP_URL)`);
  }
  const transport: OpenTransportOptions = {};
  const ca = Deno.env.get("STOMP_CA");
  if (ca !== undefined && ca !== "") {
    transport.caCerts = [await Deno.readTextFile(ca)];
  }

  try {
    const client = await StompClient.connectUrl(url, {
      transport,
      onError: (error) => console.log(`    server ERROR: ${error.message}`),
    });
    step(
      1,
      "connect",
      `connected: STOMP ${client.version}, server ${
        JSON.stringify(client.server ?? "(not named)")
      }, heart-beats every ${client.heartBeat.send} ms out / ${client.heartBeat.receive} ms in`,
    );

    const queue = `/queue/stomper-demo-${crypto.randomUUID().slice(0, 8)}`;
    const subscription = await client.subscribe(queue, {
      ack: "client-individual",
      receipt: true,
    });
    const inbox = new Inbox(subscription);
    step(
      2,
      "subscribe",
      `${queue} (ack: client-individual) -> confirmed by RECEIPT`,
    );

    await client.send(queue, TEXT, {
      contentType: "text/plain;charset=utf-8",
      receipt: true,
    });
    step(3, "send text", `${JSON.stringify(TEXT)} -> confirmed by RECEIPT`);

    try {
      await client.send(queue, BINARY, {
        contentType: "application/octet-stream",
        receipt: true,
      });
    } catch (error) {
      throw textModeFailure(error) ?? error;
    }
    step(
      4,
      "send binary",
      `${BINARY.length} bytes (0x00 to 0xff, NULs included) -> confirmed by RECEIPT`,
    );

    const text = await inbox.expect("the text message");
    if (text.text !== TEXT) {
      throw new DemoFailure(
        `Expected ${JSON.stringify(TEXT)}, received ${
          JSON.stringify(text.text)
        }`,
      );
    }
    await text.ack({ receipt: true });
    step(5, "receive", `text ${JSON.stringify(text.text)} -> ACK confirmed`);

    const binary = await inbox.expect("the binary message");
    if (!equalBytes(binary.body, BINARY)) {
      throw new DemoFailure(
        `The binary body changed on the way: ${binary.body.length} bytes came back`,
      );
    }
    await binary.ack({ receipt: true });
    step(
      6,
      "receive",
      `binary ${binary.body.length} bytes, identical to those sent -> ACK confirmed`,
    );

    const commitBody = "sent in a committed transaction";
    const committed = await client.begin({ receipt: true });
    await committed.send(queue, commitBody);
    await committed.commit({ receipt: true });
    step(
      7,
      "commit",
      `${committed.id}: sent ${JSON.stringify(commitBody)}, COMMIT confirmed`,
    );
    const delivered = await inbox.expect("the committed message");
    if (delivered.text !== commitBody) {
      throw new DemoFailure(
        `Expected the committed message, received ${
          JSON.stringify(delivered.text)
        }`,
      );
    }
    await delivered.ack({ receipt: true });
    more(
      `delivered after COMMIT: ${
        JSON.stringify(delivered.text)
      } -> ACK confirmed`,
    );

    const abortBody = "sent in an aborted transaction";
    const aborted = await client.begin({ receipt: true });
    await aborted.send(queue, abortBody);
    await aborted.abort({ receipt: true });
    step(
      8,
      "abort",
      `${aborted.id}: sent ${JSON.stringify(abortBody)}, ABORT confirmed`,
    );
    const leaked = await inbox.next(ABSENCE_WAIT);
    if (leaked !== undefined) {
      throw new DemoFailure(
        `The aborted transaction delivered ${JSON.stringify(leaked.text)}`,
      );
    }
    more(`nothing delivered within ${ABSENCE_WAIT} ms, as it should be`);

    const nackBody = "please reject me";
    await client.send(queue, nackBody, { receipt: true });
    const rejected = await inbox.expect("the message to reject");
    await rejected.nack({ receipt: true });
    step(
      9,
      "nack",
      `received ${JSON.stringify(rejected.text)} -> NACK confirmed`,
    );
    const again = await inbox.next(REDELIVERY_WAIT);
    if (again === undefined) {
      more(
        `not redelivered within ${REDELIVERY_WAIT} ms (this broker does not requeue NACKed messages)`,
      );
    } else {
      if (again.text !== nackBody) {
        throw new DemoFailure(
          `Expected the rejected message again, received ${
            JSON.stringify(again.text)
          }`,
        );
      }
      await again.ack({ receipt: true });
      more(
        `redelivered (redelivered: ${
          again.headers.get("redelivered") ?? "not marked"
        }) -> ACK confirmed`,
      );
    }

    await client.disconnect();
    step(10, "disconnect", `DISCONNECT done, client ${client.state}`);
    console.log("done: every step passed");
  } finally {
    await broker?.close();
  }
}

try {
  await demo();
} catch (error) {
  // A StompServerError's message already carries what the server said.
  let message = error instanceof Error ? error.message : String(error);
  const cause = error instanceof Error ? error.cause : undefined;
  if (cause instanceof Error && !message.includes(cause.message)) {
    message += ` (cause: ${cause.message})`;
  }
  console.error(`demo failed: ${message}`);
  Deno.exit(1);
}
