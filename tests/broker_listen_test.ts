// StompTestBroker.listen on a port a test gave it: one already taken (a broker
// of another test, a leftover process) is an error naming the address.

import { assertEquals, assertInstanceOf, assertThrows } from "@std/assert";
import { StompTestBroker } from "@stomper/stomp/testing";

Deno.test("StompTestBroker.listen on a TCP port in use says which address, as AddrInUse", async () => {
  await using first = StompTestBroker.listen();
  const error = assertThrows(
    () => StompTestBroker.listen({ port: first.port }),
    Deno.errors.AddrInUse,
    `Cannot start test broker: 127.0.0.1:${first.port} is in use`,
  );
  assertInstanceOf(error.cause, Deno.errors.AddrInUse);
});

Deno.test("StompTestBroker.listen on a WebSocket port in use says which address, and frees its TCP port", async () => {
  await using first = StompTestBroker.listen();
  let port = 0;
  assertThrows(
    () => {
      const broker = StompTestBroker.listen({
        webSocket: { port: first.port },
      });
      port = broker.port;
    },
    Deno.errors.AddrInUse,
    `Cannot start test broker: 127.0.0.1:${first.port} (WebSocket) is in use`,
  );
  assertEquals(port, 0);
});
