// A tls:// URL pointed at a port that does not speak TLS (RabbitMQ's plain
// STOMP port, which closes on the ClientHello, and its Web-STOMP HTTP port,
// which answers it with HTTP): the TransportConnectError says the port may
// speak STOMP without TLS and gives the tcp:// URL, in Deno, in Deno's
// node:tls and in Node 20. A certificate that does not verify and a refused
// port keep their own words, without that hint.

import { assert, assertMatch } from "@std/assert";
import {
  connectNodeTcp,
  connectTcp,
  TransportConnectError,
} from "@stomper/stomp/transports";
import { BROKERS, readPem, START_HINT } from "./_codec_session.ts";
import { runUnderNode } from "./_bundle.ts";

const tcp = new URL(BROKERS.rabbitmqTcp);
const ws = new URL(BROKERS.rabbitmqWs);
const tls = new URL(BROKERS.rabbitmqTls);

/** The plain ports as tls:// URLs, by the name the certificate is for. */
const PLAIN = [
  `tls://localhost:${tcp.port}`,
  `tls://localhost:${ws.port}`,
];

function hint(url: string): RegExp {
  const port = new URL(url).port;
  return new RegExp(
    `\\(if this port speaks STOMP without TLS, use "tcp://localhost:${port}"\\)`,
  );
}

/** A closed loopback port. */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  return port;
}

type Connect = typeof connectTcp | typeof connectNodeTcp;

/** Why each URL was refused (or "connected"), through `connect`. */
async function outcomes(
  connect: Connect,
  urls: string[],
  caCerts: string[] | undefined,
): Promise<string[]> {
  const results: string[] = [];
  for (const url of urls) {
    try {
      const options = caCerts === undefined ? {} : { caCerts };
      (await connect(url, { ...options, timeout: 5000 })).close();
      results.push("connected");
    } catch (error) {
      assert(error instanceof TransportConnectError, String(error));
      results.push(error.message);
    }
  }
  return results;
}

function assertHints(who: string, plain: string[], others: string[]): void {
  for (const [i, message] of plain.entries()) {
    assertMatch(message, hint(PLAIN[i]!), `${who}: ${message}\n${START_HINT}`);
  }
  for (const message of others) {
    assert(!message.includes("without TLS"), `${who}: ${message}`);
  }
}

/** A certificate that does not verify, and a port nobody listens on. */
function otherUrls(): string[] {
  return [`tls://localhost:${tls.port}`, `tls://127.0.0.1:${closedPort()}`];
}

for (
  const [name, connect] of [["connectTcp", connectTcp], [
    "connectNodeTcp (Deno's node:tls)",
    connectNodeTcp,
  ]] as const
) {
  Deno.test(`${name} at a port that does not speak TLS says to use tcp://`, async () => {
    const ca = [await readPem(BROKERS.tlsCa)];
    assertHints(
      name,
      await outcomes(connect, PLAIN, ca),
      await outcomes(connect, otherUrls(), undefined),
    );
  });
}

const NODE_SCRIPT = `
import { connectNodeTcp } from "@stomper/stomp";
const results = [];
for (const [url, caCerts] of JSON.parse(process.env.CASES)) {
  try {
    const options = caCerts === null ? {} : { caCerts };
    (await connectNodeTcp(url, { ...options, timeout: 5000 })).close();
    results.push("connected");
  } catch (error) {
    results.push(error.name + ": " + error.message);
  }
}
console.log(JSON.stringify(results));
`;

Deno.test("connectNodeTcp at a port that does not speak TLS says to use tcp:// (Node 20)", async () => {
  const ca = [await readPem(BROKERS.tlsCa)];
  const urls = [...PLAIN, ...otherUrls()];
  const cases = urls.map((url, i) => [url, i < PLAIN.length ? ca : null]);
  const { code, stdout, stderr } = await runUnderNode(NODE_SCRIPT, {
    CASES: JSON.stringify(cases),
  });
  assert(code === 0, `node failed:\n${stdout}${stderr}`);
  const results: string[] = JSON.parse(stdout);
  for (const result of results) {
    assert(result.startsWith("TransportConnectError: "), result);
  }
  assertHints(
    "Node 20",
    results.slice(0, PLAIN.length),
    results.slice(PLAIN.length),
  );
});
