// The exchange the transport examples share: CONNECT, SUBSCRIBE, SEND, the
// MESSAGE back, DISCONNECT. It uses only the codec and a StompTransport, so
// the examples differ only in how they open the transport.

import {
  connect,
  disconnect,
  send,
  StompDecoderStream,
  StompEncoderStream,
  type StompFrame,
  type StompTransport,
  subscribe,
} from "@stomper/stomp";

/**
 * Says hello through a broker: prints one line per step.
 *
 * @param transport An open transport to a broker that takes guest/guest.
 * @param label Says which transport, in the message sent.
 */
export async function hello(
  transport: StompTransport,
  label: string,
): Promise<void> {
  const encoder = new StompEncoderStream();
  const decoder = new StompDecoderStream();
  const sending = encoder.readable.pipeTo(transport.writable);
  const out = encoder.writable.getWriter();
  const frames = transport.readable.pipeThrough(decoder).getReader();
  const next = async (what: string): Promise<StompFrame | undefined> => {
    const { value, done } = await frames.read();
    if (done) return undefined;
    if (value.command === "ERROR") {
      throw new Error(`ERROR frame: ${value.headers.get("message")}`);
    }
    console.log(`${value.command} (${what})`);
    return value;
  };

  try {
    await out.write(connect({ host: "/", login: "guest", passcode: "guest" }));
    const connected = await next("the answer to CONNECT");
    // Escaping rules depend on the version the broker chose.
    encoder.version =
      decoder.version =
        (connected?.headers.get("version") ?? "1.0") as typeof encoder.version;
    console.log(
      `  version ${encoder.version}, server ${
        connected?.headers.get("server")
      }`,
    );

    const queue = `/queue/stomper-example-${crypto.randomUUID()}`;
    await out.write(subscribe("0", queue, { receipt: "subscribed" }));
    await next("the SUBSCRIBE went through");
    await out.write(send(queue, `hello over ${label}`));
    const message = await next("our message, back from the broker");
    console.log(`  body: ${message?.text}`);

    await out.write(disconnect({ receipt: "bye" }));
    // Over TCP the broker answers with a RECEIPT; RabbitMQ's Web-STOMP just
    // closes the socket.
    const receipt = await next("the broker's goodbye");
    if (receipt === undefined) console.log("closed by the broker");
    await out.close();
    await sending;
  } finally {
    transport.close();
  }
}
