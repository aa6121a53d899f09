// "localhost" is both loopback addresses, but Deno connects to the first
// address a name resolves to and no other: where localhost resolves to ::1
// first (Docker's /etc/hosts, Fedora, macOS) a broker that listens on
// 127.0.0.1 only, as RabbitMQ and ActiveMQ do here, was refused. This
// machine resolves localhost to 127.0.0.1 alone, so the test takes the
// mirror case: a broker that listens on ::1 only.

import { assertEquals } from "@std/assert";
import { StompClient } from "@stomper/stomp/client";
import { connectTcp } from "@stomper/stomp/transports";
import { StompTestBroker } from "@stomper/stomp/testing";

/** Whether this machine has an IPv6 loopback (a container may have none). */
function hasIpv6Loopback(): boolean {
  try {
    Deno.listen({ hostname: "::1", port: 0 }).close();
    return true;
  } catch {
    return false;
  }
}

Deno.test({
  name:
    "connectTcp reaches a broker that listens on the other loopback address than localhost resolves to first",
  ignore: !hasIpv6Loopback(),
}, async () => {
  await using broker = StompTestBroker.listen({ hostname: "::1" });
  const port = broker.port;
  const transport = await connectTcp(`tcp://localhost:${port}`);
  assertEquals((transport.conn.remoteAddr as Deno.NetAddr).hostname, "::1");
  transport.close();
  await using client = await StompClient.connectUrl(`tcp://localhost:${port}`);
  await client.send("/queue/localhost", "hello", { receipt: true });
  assertEquals(broker.depth("/queue/localhost"), 1);
});

Deno.test("connectTcp to localhost where neither loopback address listens fails with the first refusal", async () => {
  // A port just used and closed: nothing listens there on either address.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  const error = await connectTcp(`tcp://localhost:${port}`).then(
    () => undefined,
    (error) => error,
  );
  assertEquals(error?.name, "TransportConnectError");
  assertEquals(
    error.message,
    `Cannot connect to "tcp://localhost:${port}": Connection refused (os error 111)`,
  );
  assertEquals(error.cause instanceof Deno.errors.ConnectionRefused, true);
});
