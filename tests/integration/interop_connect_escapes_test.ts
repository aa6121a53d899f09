// What RabbitMQ and ActiveMQ do with a backslash in a CONNECT header. The
// STOMP specification leaves CONNECT and CONNECTED unescaped (for STOMP 1.0's
// sake), and the codec writes them so; both brokers read escapes in CONNECT
// all the same, so a login, passcode or client-id holding a backslash reaches
// them changed. docs/codec.md ("Escaping") says so; these tests keep it true.

import { assertEquals, assertMatch } from "@std/assert";
import { BROKERS } from "./_client.ts";

/**
 * Writes `text` to the broker and reads its answer: up to the end of its
 * first frame or until it closes (3 s at most).
 */
async function exchange(url: string, text: string): Promise<string> {
  const { hostname, port } = new URL(url.replace(/^tcp:/, "http:"));
  const conn = await Deno.connect({ hostname, port: Number(port) });
  try {
    await conn.write(new TextEncoder().encode(text));
    let out = "";
    const decoder = new TextDecoder();
    const buffer = new Uint8Array(65536);
    const deadline = Date.now() + 3000;
    while (Date.now() < deadline) {
      const timer = setTimeout(() => conn.close(), deadline - Date.now());
      let n: number | null;
      try {
        n = await conn.read(buffer);
      } catch {
        n = null;
      } finally {
        clearTimeout(timer);
      }
      if (n === null) break;
      out += decoder.decode(buffer.subarray(0, n));
      // One frame is the answer (CONNECTED or ERROR).
      if (out.includes("\0")) break;
    }
    return out;
  } finally {
    try {
      conn.close();
    } catch { /* closed already */ }
  }
}

Deno.test("RabbitMQ reads escapes in CONNECT headers: a login written gu\\cest is refused as gu:est, and an undefined escape closes the connection without an ERROR", async () => {
  const url = BROKERS.rabbitmqTcp;
  for (const version of ["1.0", "1.2"]) {
    const accept = version === "1.0" ? "" : `accept-version:${version}\n`;
    const refused = await exchange(
      url,
      `CONNECT\n${accept}host:/\nlogin:gu\\cest\npasscode:x\n\n\0`,
    );
    assertMatch(refused, /Access refused for user 'gu:est'/, version);
    const closed = await exchange(
      url,
      `CONNECT\n${accept}host:/\nlogin:gu\\dest\npasscode:x\n\n\0`,
    );
    assertEquals(closed, "", version);
  }
  // A STOMP frame is escaped like any other frame: `\\` is one backslash.
  const stomp = await exchange(
    url,
    "STOMP\naccept-version:1.2\nhost:/\nlogin:gu\\\\est\npasscode:x\n\n\0",
  );
  assertMatch(stomp, /Access refused for user 'gu\\est'/);
});

Deno.test("ActiveMQ reads escapes in CONNECT headers: a client-id written e12\\cid is taken as e12:id", async () => {
  const id = `e12-${crypto.randomUUID()}`;
  const { hostname, port } = new URL(
    BROKERS.activemqTcp.replace(/^tcp:/, "http:"),
  );
  // The first connection holds the client-id; the second is refused,
  // naming the id as ActiveMQ read it.
  const first = await Deno.connect({ hostname, port: Number(port) });
  try {
    await first.write(
      new TextEncoder().encode(
        `CONNECT\naccept-version:1.2\nhost:/\nclient-id:${id}\\cx\n\n\0`,
      ),
    );
    const buffer = new Uint8Array(4096);
    const n = await first.read(buffer);
    const connected = new TextDecoder().decode(buffer.subarray(0, n ?? 0));
    assertMatch(connected, /^CONNECTED\n/);
    const second = await exchange(
      BROKERS.activemqTcp,
      `CONNECT\naccept-version:1.2\nhost:/\nclient-id:${id}\\cx\n\n\0`,
    );
    assertMatch(second, new RegExp(`Client: ${id}:x already connected`));
    // A STOMP frame is read the same way: the same id, so refused too.
    const stomp = await exchange(
      BROKERS.activemqTcp,
      `STOMP\naccept-version:1.2\nhost:/\nclient-id:${id}\\cx\n\n\0`,
    );
    assertMatch(stomp, new RegExp(`Client: ${id}:x already connected`));
  } finally {
    first.close();
  }
});

Deno.test("StompClient on RabbitMQ: a connection closed in answer to a CONNECT whose passcode holds a backslash says why and what to use", async () => {
  const { StompClient } = await import("@stomper/stomp");
  const error = await StompClient.connectUrl(BROKERS.rabbitmqTcp, {
    login: "guest",
    passcode: "p\\dq",
    heartBeat: [0, 0],
  }).then(() => undefined, (e) => e);
  assertMatch(
    String(error?.message),
    /the login or passcode holds a backslash, which RabbitMQ and ActiveMQ read as an escape in CONNECT; use command: "STOMP"$/,
  );
});
