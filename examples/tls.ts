// STOMP over TLS from Deno, verifying the broker's certificate against a
// certificate authority given as PEM (scripts/brokers.sh generates one).
//
//   deno run --allow-net=localhost --allow-read --allow-env=STOMP_URL,STOMP_CA \
//     examples/tls.ts
//
// STOMP_URL defaults to tls://localhost:61614 (stomp+ssl:// works too) and
// STOMP_CA to /tmp/stomper-brokers/ca.pem.

import { connectTcp } from "@stomper/stomp";
import { hello } from "./_hello.ts";

const url = Deno.env.get("STOMP_URL") ?? "tls://localhost:61614";
const ca = await Deno.readTextFile(
  Deno.env.get("STOMP_CA") ?? "/tmp/stomper-brokers/ca.pem",
);
await hello(await connectTcp(url, { caCerts: [ca] }), url);
