// Runs in headless Chromium, bundled by browser_test.ts with `deno bundle
// --platform browser`: a STOMP session with RabbitMQ over Web-STOMP made of
// the library's WebSocket transport and codec, as a web page would use them.
// The test reads the outcome from `globalThis.stomperResult`.

import {
  connect,
  connectWebSocket,
  disconnect,
  send,
  StompDecoderStream,
  StompEncoderStream,
  type StompFrame,
  subscribe,
} from "../../../mod.ts";

/** What the page reports back to the test. */
export interface PageResult {
  protocol: string;
  version: string | undefined;
  server: string | undefined;
  text: string | undefined;
  textContentType: string | undefined;
  binary: number[] | undefined;
  userAgent: string;
  /** Exports of the whole library, bundled on its own and imported here. */
  libraryExports: string[];
  /** How the whole library's openTransport refuses a tcp: URL in a browser. */
  tcpRefusal: string;
}

async function run(): Promise<PageResult> {
  const params = new URLSearchParams(location.search);
  const url = params.get("ws")!;
  const queue = params.get("queue")!;
  const transport = await connectWebSocket(url, { timeout: 5000 });
  const encoder = new StompEncoderStream();
  const piped = encoder.readable.pipeTo(transport.writable);
  const writer = encoder.writable.getWriter();
  const reader = transport.readable.pipeThrough(new StompDecoderStream())
    .getReader();
  const next = async (): Promise<StompFrame> => {
    const { value, done } = await reader.read();
    if (done) throw new Error("The connection ended early");
    if (value.command === "ERROR") {
      throw new Error(`ERROR frame: ${value.headers.get("message")}`);
    }
    return value;
  };

  await writer.write(connect({ host: "/", login: "guest", passcode: "guest" }));
  const connected = await next();
  await writer.write(subscribe("0", queue, { receipt: "subscribed" }));
  if ((await next()).command !== "RECEIPT") throw new Error("No RECEIPT");

  const binary = new Uint8Array(256).map((_, i) => 255 - i);
  await writer.write(
    send(queue, "hello from Chromium \u{1F310}", {
      contentType: "text/plain;charset=utf-8",
    }),
  );
  await writer.write(
    send(queue, binary, { contentType: "application/octet-stream" }),
  );
  const first = await next();
  const second = await next();

  // Web-STOMP answers DISCONNECT by closing the socket (code 1000).
  await writer.write(disconnect({ receipt: "bye" }));
  await writer.close();
  await piped;
  while (!(await reader.read()).done) { /* drain until the close */ }

  // The whole library (not tree-shaken) must load in a browser: nothing may
  // touch Deno.* when the module is evaluated.
  const library = await import(new URL("./stomper.js", location.href).href);
  let tcpRefusal = "not refused";
  try {
    await library.openTransport("tcp://127.0.0.1:61613");
  } catch (error) {
    tcpRefusal = `${(error as Error).name}: ${(error as Error).message}`;
  }

  return {
    libraryExports: Object.keys(library).sort(),
    tcpRefusal,
    protocol: transport.socket.protocol,
    version: connected.headers.get("version"),
    server: connected.headers.get("server"),
    text: first.text,
    textContentType: first.headers.get("content-type"),
    binary: [...second.body],
    userAgent: navigator.userAgent,
  };
}

(globalThis as { stomperResult?: Promise<PageResult> }).stomperResult = run();
