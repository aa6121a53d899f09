// A frame from the server over one of the client's decode limits ends the
// connection with an error naming the client option that raises that limit.
// Scripted servers over loopback TCP: no broker sends such frames on cue.

import { assertEquals, assertInstanceOf, assertMatch } from "@std/assert";
import { connected, encodeFrame } from "@stomper/stomp";
import { StompClient, StompConnectionError } from "@stomper/stomp/client";
import { within } from "./_helpers.ts";
import { type RawPeer, scriptedServer } from "./_peer.ts";

const LIMITS = {
  maxHeaders: { text: "MESSAGE\n" + "a:b\n".repeat(11), limit: 10 },
  maxHeaderLineBytes: { text: `MESSAGE\na:${"b".repeat(100)}\n`, limit: 50 },
  maxHeaderBytes: {
    text: "MESSAGE\n" + "a:bbbbbbbbbb\n".repeat(20),
    limit: 100,
  },
  maxBodyBytes: {
    text: "MESSAGE\nsubscription:s\nmessage-id:1\n\n" + "x".repeat(200),
    limit: 100,
  },
} as const;

for (const [option, { text, limit }] of Object.entries(LIMITS)) {
  Deno.test(`StompClient names decodeLimits: { ${option} } when a frame from the server crosses that limit (scripted server)`, async () => {
    await using server = scriptedServer(async (peer: RawPeer) => {
      await peer.expect("CONNECT");
      await peer.send(encodeFrame(connected({ version: "1.2" })));
      await peer.expect("SEND");
      await peer.send(new TextEncoder().encode(text));
      await peer.end();
    });
    const errors: Error[] = [];
    const client = await StompClient.connectUrl(server.url, {
      heartBeat: [0, 0],
      decodeLimits: { [option]: limit },
      onError: (error) => errors.push(error),
    });
    await client.send("/queue/go", "");
    const closed = await within(
      client.closed.then(() => undefined, (error: unknown) => error),
      5000,
      "closed",
    );
    assertInstanceOf(closed, StompConnectionError);
    assertMatch(
      closed.message,
      new RegExp(
        `^Cannot decode data from the server: .*\\(raise it with the client option decodeLimits: \\{ ${option} \\}`,
      ),
    );
    assertEquals(errors.length, 1);
  });
}
