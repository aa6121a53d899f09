// STOMP frames in HTTP bodies: a streamed fetch request body of frames, and a
// streamed response of frames, against a small endpoint this example serves
// itself on 127.0.0.1 (it needs no broker).
//
//   deno run --allow-net=127.0.0.1 examples/fetch.ts
//
// The endpoint reads SEND frames from the request body as they arrive and
// answers each in the response: a MESSAGE carrying the body back, then a
// RECEIPT when the frame asked for one.

import {
  decodeBody,
  encodeBody,
  HEARTBEAT,
  message,
  receipt,
  send,
  type StompFrame,
} from "@stomper/stomp";

await using server = Deno.serve(
  { hostname: "127.0.0.1", port: 0, onListen() {} },
  (request) => {
    let count = 0;
    async function* answers(frames: AsyncIterable<StompFrame>) {
      for await (const frame of frames) {
        if (frame.command !== "SEND") continue;
        count++;
        yield message(frame.headers.get("destination")!, frame.body, {
          messageId: String(count),
          subscription: "http",
        });
        const id = frame.headers.get("receipt");
        if (id !== undefined) yield receipt(id);
      }
    }
    // decodeBody(request) is request.body piped through a StompDecoderStream.
    return new Response(encodeBody(answers(decodeBody(request))), {
      headers: { "content-type": "application/octet-stream" },
    });
  },
);

// The request body is a stream: frames go out as they are produced.
async function* outgoing() {
  yield send("/queue/http", "first");
  yield HEARTBEAT;
  yield send("/queue/http", new Uint8Array([0, 1, 2, 255]), {
    receipt: "r-2",
  });
}

const response = await fetch(`http://127.0.0.1:${server.addr.port}/stomp`, {
  method: "POST",
  body: encodeBody(outgoing()),
  // A streamed request body needs half-duplex mode (Deno, browsers).
  duplex: "half",
} as RequestInit);
for await (const frame of decodeBody(response)) {
  const id = frame.headers.get("message-id") ?? frame.headers.get("receipt-id");
  console.log(`${frame.command} ${id}: [${[...frame.body].join(", ")}]`);
}
