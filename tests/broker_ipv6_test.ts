// A test broker on an IPv6 address gives URLs a client can open: the address
// in brackets (tcp://[::1]:PORT), not tcp://::1:PORT, which is no URL.

import { assertEquals } from "@std/assert";
import { StompClient } from "@stomper/stomp";
import { StompTestBroker } from "@stomper/stomp/testing";

/**
 * Whether this machine has an IPv6 loopback to listen on. Not having the
 * permission is an error (the test tasks grant it), not a reason to skip.
 */
function hasIpv6Loopback(): boolean {
  try {
    Deno.listen({ hostname: "::1", port: 0 }).close();
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable) throw error;
    return false;
  }
}

Deno.test({
  name:
    "StompTestBroker on ::1 gives url and webSocketUrl with the address in brackets, and clients connect through both",
  ignore: !hasIpv6Loopback(),
  async fn() {
    await using broker = StompTestBroker.listen({
      hostname: "::1",
      webSocket: true,
    });
    assertEquals(broker.url, `tcp://[::1]:${broker.port}`);
    assertEquals(new URL(broker.webSocketUrl!).hostname, "[::1]");
    for (const url of [broker.url, broker.webSocketUrl!]) {
      await using client = await StompClient.connectUrl(url);
      await client.send("/queue/a", "over ::1", { receipt: true });
    }
    assertEquals(broker.depth("/queue/a"), 2);
  },
});
