// TLS checks the address the user named, in every runtime: one matrix of
// certificates (made with openssl in the test, see _certs.ts) presented by
// real TLS servers (openssl s_server) on 127.0.0.1, run through Deno's
// connectTcp, connectNodeTcp under Deno's Node compatibility and under Node 20
// (/usr/bin/node), and wss:// in Deno. Also: options a runtime cannot honour
// are refused with a TypeError, never ignored.
//
// An integration test, not a unit test: it spawns openssl and node, and
// writes certificates to a temporary directory.

import { assertEquals, assertMatch, assertRejects } from "@std/assert";
import {
  connectNodeTcp,
  connectTcp,
  connectWebSocket,
  openTransport,
  type StompTransport,
  TransportConnectError,
} from "@stomper/stomp/transports";
import {
  type KeyPair,
  makePki,
  type ServerCertKind,
  startTlsServer,
  type TestPki,
  type TlsServer,
} from "./_certs.ts";
import { runUnderNode } from "./_bundle.ts";
import { probe as probeJs } from "./_tls_probe.mjs";

/** One case of the matrix. */
interface TlsCase {
  /** What it shows. */
  name: string;
  /** The certificate the server presents; "mtls": "ip", client cert required. */
  server: ServerCertKind | "mtls";
  /** The URL's host. */
  host: "127.0.0.1" | "localhost";
  /** The `hostname` option, when set. */
  hostname?: string;
  /** What to pass in caCerts: the CA that signed the servers, or nothing. */
  trust: "ca" | "none";
  /** Whether to present the client certificate. */
  clientCert?: boolean;
  /** The outcome expected. */
  accepted: boolean;
  /** For a refusal: what its message must say (a helpful hint). */
  says?: RegExp;
}

// A refusal for a name mismatch names the hostname option; one for an
// untrusted certificate names caCerts.
const NAME_HINT = /hostname/;
const TRUST_HINT = /caCerts/;

const CASES: readonly TlsCase[] = [
  {
    name: "IP-only certificate (IP:127.0.0.1) at tls://127.0.0.1",
    server: "ip",
    host: "127.0.0.1",
    trust: "ca",
    accepted: true,
  },
  {
    name: "DNS:localhost-only certificate at tls://127.0.0.1",
    server: "localhost",
    host: "127.0.0.1",
    trust: "ca",
    accepted: false,
    says: NAME_HINT,
  },
  {
    name: "DNS:localhost + IP:10.9.9.9 certificate at tls://127.0.0.1",
    server: "localhost-other-ip",
    host: "127.0.0.1",
    trust: "ca",
    accepted: false,
    says: NAME_HINT,
  },
  {
    name: "DNS:localhost certificate at tls://localhost",
    server: "localhost",
    host: "localhost",
    trust: "ca",
    accepted: true,
  },
  {
    name: "DNS:localhost + IP:10.9.9.9 certificate at tls://localhost",
    server: "localhost-other-ip",
    host: "localhost",
    trust: "ca",
    accepted: true,
  },
  {
    name: "IP-only certificate at tls://localhost",
    server: "ip",
    host: "localhost",
    trust: "ca",
    accepted: false,
    says: NAME_HINT,
  },
  {
    name:
      'DNS:localhost certificate at tls://127.0.0.1 with hostname "localhost"',
    server: "localhost",
    host: "127.0.0.1",
    hostname: "localhost",
    trust: "ca",
    accepted: true,
  },
  {
    name: 'IP-only certificate at tls://127.0.0.1 with hostname "localhost"',
    server: "ip",
    host: "127.0.0.1",
    hostname: "localhost",
    trust: "ca",
    accepted: false,
    says: NAME_HINT,
  },
  {
    name: 'IP-only certificate at tls://localhost with hostname "127.0.0.1"',
    server: "ip",
    host: "localhost",
    hostname: "127.0.0.1",
    trust: "ca",
    accepted: true,
  },
  {
    name: "certificate signed by another CA",
    server: "other-ca",
    host: "127.0.0.1",
    trust: "ca",
    accepted: false,
    says: TRUST_HINT,
  },
  {
    name: "expired certificate",
    server: "expired",
    host: "127.0.0.1",
    trust: "ca",
    accepted: false,
    says: /expired/i,
  },
  {
    name: "self-signed certificate",
    server: "self-signed",
    host: "127.0.0.1",
    trust: "ca",
    accepted: false,
    says: TRUST_HINT,
  },
  {
    name: "IP-only certificate without caCerts",
    server: "ip",
    host: "127.0.0.1",
    trust: "none",
    accepted: false,
    says: TRUST_HINT,
  },
  {
    name: "server requiring a client certificate, given one (mutual TLS)",
    server: "mtls",
    host: "127.0.0.1",
    trust: "ca",
    clientCert: true,
    accepted: true,
  },
  {
    name: "server requiring a client certificate, given none",
    server: "mtls",
    host: "127.0.0.1",
    trust: "ca",
    accepted: false,
  },
];

/** The servers of the matrix, one per certificate kind, and the PKI. */
interface Peers extends AsyncDisposable {
  pki: TestPki;
  ports: Record<TlsCase["server"], number>;
}

async function startPeers(): Promise<Peers> {
  const pki = await makePki();
  const servers: TlsServer[] = [];
  try {
    const kinds = [...new Set(CASES.map((c) => c.server))];
    const ports = {} as Record<TlsCase["server"], number>;
    for (const kind of kinds) {
      const server = kind === "mtls"
        ? await startTlsServer(pki, "ip", { requireClientCert: true })
        : await startTlsServer(pki, kind);
      servers.push(server);
      ports[kind] = server.port;
    }
    return {
      pki,
      ports,
      async [Symbol.asyncDispose]() {
        for (const server of servers) await server[Symbol.asyncDispose]();
        await pki[Symbol.asyncDispose]();
      },
    };
  } catch (error) {
    for (const server of servers) await server[Symbol.asyncDispose]();
    await pki[Symbol.asyncDispose]();
    throw error;
  }
}

/** A case as a URL and the connect options, as plain data (for Node too). */
interface CaseInput {
  name: string;
  url: string;
  options: {
    hostname?: string;
    caCerts?: string[];
    cert?: string;
    key?: string;
    timeout: number;
  };
}

function caseInput(peers: Peers, c: TlsCase): CaseInput {
  const options: CaseInput["options"] = { timeout: 5000 };
  if (c.hostname !== undefined) options.hostname = c.hostname;
  if (c.trust === "ca") options.caCerts = [peers.pki.ca];
  if (c.clientCert) {
    options.cert = peers.pki.client.cert;
    options.key = peers.pki.client.key;
  }
  return {
    name: c.name,
    url: `tls://${c.host}:${peers.ports[c.server]}`,
    options,
  };
}

type Connect = (
  url: string,
  options: CaseInput["options"],
) => Promise<StompTransport>;

const probe = probeJs as (
  connect: Connect,
  input: CaseInput,
) => Promise<string>;
const PROBE_SOURCE = await Deno.readTextFile(
  new URL("./_tls_probe.mjs", import.meta.url),
);

/**
 * Checks every outcome against the matrix and fails once, with a table of
 * the cases that went wrong.
 */
function assertMatrix(runtime: string, outcomes: readonly string[]): void {
  const wrong: string[] = [];
  CASES.forEach((c, i) => {
    const outcome = outcomes[i] ?? "no outcome";
    const accepted = outcome === "accepted";
    if (accepted !== c.accepted) {
      wrong.push(
        `${c.name}: expected ${
          c.accepted ? "accepted" : "refused"
        }, got ${outcome}`,
      );
    } else if (!accepted && c.says !== undefined && !c.says.test(outcome)) {
      wrong.push(`${c.name}: the refusal does not say ${c.says}: ${outcome}`);
    }
  });
  assertEquals(
    wrong,
    [],
    `${runtime}: ${wrong.length} of ${CASES.length} cases wrong:\n  ${
      wrong.join("\n  ")
    }`,
  );
}

async function runMatrix(peers: Peers, connect: Connect): Promise<string[]> {
  const outcomes: string[] = [];
  for (const c of CASES) {
    outcomes.push(await probe(connect, caseInput(peers, c)));
  }
  return outcomes;
}

Deno.test("connectTcp checks the certificate against the address or name given (TLS matrix, Deno)", async () => {
  await using peers = await startPeers();
  assertMatrix("connectTcp", await runMatrix(peers, connectTcp));
});

Deno.test("connectNodeTcp checks the certificate against the address or name given (TLS matrix, Deno's node:tls)", async () => {
  await using peers = await startPeers();
  assertMatrix(
    "connectNodeTcp in Deno",
    await runMatrix(peers, connectNodeTcp),
  );
});

const NODE_MATRIX_SCRIPT = `
import { readFileSync } from "node:fs";
import { connectNodeTcp } from "@stomper/stomp";
${PROBE_SOURCE}
const inputs = JSON.parse(readFileSync(process.env.TLS_CASES, "utf8"));
const outcomes = [];
for (const input of inputs) outcomes.push(await probe(connectNodeTcp, input));
console.log(JSON.stringify(outcomes));
`;

Deno.test("connectNodeTcp checks the certificate against the address or name given (TLS matrix, Node 20)", async () => {
  await using peers = await startPeers();
  const file = `${peers.pki.dir}/cases.json`;
  await Deno.writeTextFile(
    file,
    JSON.stringify(CASES.map((c) => caseInput(peers, c))),
  );
  const { code, stdout, stderr } = await runUnderNode(NODE_MATRIX_SCRIPT, {
    TLS_CASES: file,
  });
  assertEquals(code, 0, `node failed:\n${stdout}${stderr}`);
  assertMatrix("connectNodeTcp in Node 20", JSON.parse(stdout));
});

/** A wss:// server (Deno.serve) that greets each WebSocket with "hello". */
function serveWss(pair: KeyPair): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve(
    {
      hostname: "127.0.0.1",
      port: 0,
      cert: pair.cert,
      key: pair.key,
      onListen() {},
    },
    (request) => {
      const { socket, response } = Deno.upgradeWebSocket(request, {
        protocol: "v12.stomp",
      });
      socket.onopen = () => socket.send("hello");
      return response;
    },
  );
}

/** Connects over wss:// and reads the greeting: "accepted" or why not. */
async function probeWss(
  url: string,
  options: { caCerts?: string[]; cert?: string; key?: string },
): Promise<string> {
  let transport;
  try {
    transport = await connectWebSocket(url, { ...options, timeout: 5000 });
  } catch (error) {
    return `refused: ${(error as Error).message}`;
  }
  const reader = transport.readable.getReader();
  try {
    const { value } = await reader.read();
    return new TextDecoder().decode(value) === "hello"
      ? "accepted"
      : "refused: no greeting";
  } finally {
    reader.releaseLock();
    await transport.writable.close();
  }
}

Deno.test("connectWebSocket over wss:// in Deno trusts caCerts and checks the address given", async () => {
  await using pki = await makePki();
  await using ipServer = serveWss(pki.servers.ip);
  await using nameServer = serveWss(pki.servers.localhost);
  const ip = ipServer.addr.port;
  const name = nameServer.addr.port;
  const outcomes = {
    "IP-only certificate at 127.0.0.1 with caCerts": await probeWss(
      `wss://127.0.0.1:${ip}`,
      { caCerts: [pki.ca] },
    ),
    "DNS:localhost certificate at localhost with caCerts": await probeWss(
      `wss://localhost:${name}`,
      { caCerts: [pki.ca] },
    ),
    "DNS:localhost certificate at 127.0.0.1 with caCerts": await probeWss(
      `wss://127.0.0.1:${name}`,
      { caCerts: [pki.ca] },
    ),
    "IP-only certificate at 127.0.0.1 without caCerts": await probeWss(
      `wss://127.0.0.1:${ip}`,
      {},
    ),
    "IP-only certificate at 127.0.0.1 with another CA": await probeWss(
      `wss://127.0.0.1:${ip}`,
      { caCerts: [pki.otherCa] },
    ),
  };
  const verdicts = Object.fromEntries(
    Object.entries(outcomes).map((
      [name, outcome],
    ) => [name, outcome === "accepted" ? "accepted" : "refused"]),
  );
  assertEquals(verdicts, {
    "IP-only certificate at 127.0.0.1 with caCerts": "accepted",
    "DNS:localhost certificate at localhost with caCerts": "accepted",
    "DNS:localhost certificate at 127.0.0.1 with caCerts": "refused",
    "IP-only certificate at 127.0.0.1 without caCerts": "refused",
    "IP-only certificate at 127.0.0.1 with another CA": "refused",
  }, JSON.stringify(outcomes, null, 2));
  assertMatch(
    outcomes["IP-only certificate at 127.0.0.1 without caCerts"],
    TRUST_HINT,
  );
  assertMatch(
    outcomes["DNS:localhost certificate at 127.0.0.1 with caCerts"],
    /certificate must be for "127\.0\.0\.1"/,
  );
});

// A wss:// server that requires a client certificate: node:https under
// /usr/bin/node, answering the WebSocket upgrade by hand (Deno.serve cannot
// ask for client certificates) and greeting with the client's name.
const NODE_MTLS_WSS_SERVER = `
import https from "node:https";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
const dir = process.env.PKI_DIR;
const server = https.createServer({
  cert: readFileSync(dir + "/server-ip.pem"),
  key: readFileSync(dir + "/server-ip.key"),
  ca: readFileSync(dir + "/ca.pem"),
  requestCert: true,
  rejectUnauthorized: true,
});
server.on("upgrade", (request, socket) => {
  const accept = createHash("sha1")
    .update(request.headers["sec-websocket-key"] + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")
    .digest("base64");
  const greeting = Buffer.from("hello " + socket.getPeerCertificate().subject.CN);
  socket.write(
    "HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\n" +
    "Sec-WebSocket-Accept: " + accept + "\\r\\nSec-WebSocket-Protocol: v12.stomp\\r\\n\\r\\n",
  );
  socket.write(Buffer.concat([Buffer.from([0x81, greeting.length]), greeting]));
  // Whatever the client sends next is its close frame: answer it and end.
  socket.once("data", () => socket.end(Buffer.from([0x88, 0x00])));
  socket.on("error", () => {});
});
server.listen(0, "127.0.0.1", () => console.log("PORT " + server.address().port));
process.stdin.on("data", () => {});
process.stdin.on("end", () => process.exit(0));
`;

Deno.test("connectWebSocket over wss:// in Deno presents cert and key to a server that requires a client certificate", async () => {
  await using pki = await makePki();
  const script = `${pki.dir}/server.mjs`;
  await Deno.writeTextFile(script, NODE_MTLS_WSS_SERVER);
  const child = new Deno.Command("/usr/bin/node", {
    args: [script],
    env: { PKI_DIR: pki.dir },
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  try {
    const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!/PORT \d+\n/.test(text)) {
      const { value, done } = await lines.read();
      if (done) throw new Error(`the Node server did not start: ${text}`);
      text += value;
    }
    lines.releaseLock();
    const port = Number(/PORT (\d+)/.exec(text)![1]);
    const url = `wss://127.0.0.1:${port}`;

    const transport = await connectWebSocket(url, {
      caCerts: [pki.ca],
      cert: pki.client.cert,
      key: pki.client.key,
      timeout: 5000,
    });
    const reader = transport.readable.getReader();
    const { value } = await reader.read();
    assertEquals(
      new TextDecoder().decode(value),
      "hello stomper test client",
    );
    reader.releaseLock();
    transport.close();
    await transport.closed;

    await assertRejects(
      () => connectWebSocket(url, { caCerts: [pki.ca], timeout: 5000 }),
      TransportConnectError,
    );
  } finally {
    await child.stdin.close();
    await child.stdout.cancel().catch(() => {});
    await child.status;
  }
});

Deno.test("connectTcp, connectNodeTcp and connectWebSocket refuse TLS settings they would skip or misread, before connecting", async () => {
  await using pki = await makePki();
  const { cert, key } = pki.client;
  // [options, what the message says]
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ cert }, /cert and key go together.*cert without key/],
    [{ key }, /cert and key go together.*key without cert/],
    [
      { caCerts: pki.ca },
      /caCerts must be an array of PEM strings, got a string/,
    ],
    [{ caCerts: ["x"] }, /caCerts\[0\] must be a PEM certificate/],
    [
      { caCerts: [pki.caFile] },
      /caCerts\[0\] must be a PEM certificate.*the contents of the file, not its path/,
    ],
    [{ cert, key: cert }, /key must be a PEM private key/],
    [{ cert: key, key }, /cert must be a PEM certificate/],
  ];
  // Port 9 (discard) on loopback: nothing listens, so a refusal that came
  // from connecting would be a TransportConnectError, not a TypeError.
  const connects: [string, (options: never) => Promise<StompTransport>][] = [
    ["connectTcp", (options) => connectTcp("tls://127.0.0.1:9", options)],
    [
      "connectNodeTcp",
      (options) => connectNodeTcp("tls://127.0.0.1:9", options),
    ],
    [
      "connectWebSocket",
      (options) => connectWebSocket("wss://127.0.0.1:9", options),
    ],
  ];
  for (const [name, connect] of connects) {
    for (const [options, says] of bad) {
      const error = await assertRejects(
        () => connect(options as never),
        TypeError,
        undefined,
        `${name} ${JSON.stringify(Object.keys(options))}`,
      );
      assertMatch(error.message, says, name);
      // A private key never appears in a message.
      assertEquals(error.message.includes("PRIVATE KEY-----\n"), false);
    }
  }
});

Deno.test("openTransport refuses the hostname option for a ws: or wss: URL (a WebSocket connects to its URL's host)", async () => {
  for (const scheme of ["ws", "wss"]) {
    const error = await assertRejects(
      () => openTransport(`${scheme}://127.0.0.1:9/ws`, { hostname: "a" }),
      TypeError,
    );
    assertMatch(error.message, /hostname/);
    assertMatch(error.message, /URL/);
  }
});

// Shaped like PEM, which is all that is checked before the runtime is.
const FAKE_CERT =
  "-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----\\n";
const FAKE_KEY =
  "-----BEGIN PRIVATE KEY-----\\nMIIB\\n-----END PRIVATE KEY-----\\n";

const NODE_WSS_REFUSAL_SCRIPT = `
import { connectWebSocket, openTransport } from "@stomper/stomp";
const cert = "${FAKE_CERT}";
const key = "${FAKE_KEY}";
const results = [];
for (const [name, call] of [
  ["connectWebSocket caCerts", () => connectWebSocket(process.env.WSS_URL, { caCerts: [cert] })],
  ["connectWebSocket cert+key", () => connectWebSocket(process.env.WSS_URL, { cert, key })],
  ["openTransport caCerts", () => openTransport(process.env.WSS_URL, { caCerts: [cert] })],
]) {
  try {
    const transport = await call();
    transport.close();
    results.push([name, "opened"]);
  } catch (error) {
    results.push([name, error.constructor.name + ": " + error.message]);
  }
}
console.log(JSON.stringify(results));
`;

Deno.test("connectWebSocket under Node 20 refuses caCerts, cert and key for wss:// with a TypeError that says what to do instead", async () => {
  // A listener that must never see a connection: the options are refused
  // before any socket opens.
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let connections = 0;
  const accepting = (async () => {
    for await (const conn of listener) {
      connections++;
      conn.close();
    }
  })();
  const { code, stdout, stderr } = await runUnderNode(
    NODE_WSS_REFUSAL_SCRIPT,
    { WSS_URL: `wss://127.0.0.1:${listener.addr.port}/ws` },
    { nodeArgs: ["--experimental-websocket"] },
  );
  listener.close();
  await accepting.catch(() => {});
  assertEquals(code, 0, `node failed:\n${stdout}${stderr}`);
  const results = JSON.parse(stdout) as [string, string][];
  assertEquals(results.length, 3, stdout);
  for (const [name, result] of results) {
    assertMatch(result, /^TypeError: /, name);
    assertMatch(result, /NODE_EXTRA_CA_CERTS/, name);
    assertMatch(result, /tls:/, name);
  }
  assertEquals(connections, 0);
});
