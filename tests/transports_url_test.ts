// URLs the transports refuse as a wrong argument (src/transports/_url.ts),
// before opening anything: a TypeError at the call, never a connection
// error a caller would retry.

import { assertRejects } from "@std/assert";
import {
  connectTcp,
  openTransport,
  TRANSPORT_SCHEMES,
} from "@stomper/stomp/transports";

Deno.test("openTransport refuses port 0 in every scheme with a TypeError", async () => {
  for (const scheme of TRANSPORT_SCHEMES) {
    await assertRejects(
      () => openTransport(`${scheme}//app:s3cret@127.0.0.1:0/ws`),
      TypeError,
      `Cannot open transport: port 0 in "${scheme}//app:***@127.0.0.1:0/ws" is not a port to connect to (1 to 65535)`,
    );
  }
});

Deno.test("connectTcp refuses port 0 with a TypeError", async () => {
  await assertRejects(
    () => connectTcp("tcp://127.0.0.1:0"),
    TypeError,
    'port 0 in "tcp://127.0.0.1:0"',
  );
});

Deno.test("openTransport says which port is out of range", async () => {
  await assertRejects(
    () => openTransport("ws://127.0.0.1:70000/ws"),
    TypeError,
    'Cannot open transport: invalid URL "ws://127.0.0.1:70000/ws"; port 70000 is out of range (1 to 65535)',
  );
});
