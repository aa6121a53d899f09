// Test certificates made with the openssl command line in a temporary
// directory, and real TLS servers (`openssl s_server`) that present them on
// 127.0.0.1: the peers of the TLS tests. Nothing is written into the tree.

/** A certificate (chain) and its private key, in PEM format. */
export interface KeyPair {
  cert: string;
  key: string;
}

/** The server certificates of the TLS matrix, by what they are valid for. */
export type ServerCertKind =
  /** IP:127.0.0.1 only, signed by the CA. */
  | "ip"
  /** DNS:localhost only, signed by the CA. */
  | "localhost"
  /** DNS:localhost and IP:10.9.9.9 (another address), signed by the CA. */
  | "localhost-other-ip"
  /** DNS:localhost and IP:127.0.0.1, signed by the CA, expired yesterday. */
  | "expired"
  /** DNS:localhost and IP:127.0.0.1, signed by another CA. */
  | "other-ca"
  /** DNS:localhost and IP:127.0.0.1, signed by itself. */
  | "self-signed";

/** Every server certificate kind, for loops. */
export const SERVER_CERT_KINDS: readonly ServerCertKind[] = [
  "ip",
  "localhost",
  "localhost-other-ip",
  "expired",
  "other-ca",
  "self-signed",
];

/** A certificate authority, the server certificates and a client one. */
export interface TestPki extends AsyncDisposable {
  /** The directory holding the PEM files. */
  readonly dir: string;
  /** The CA that signed every certificate except "other-ca" and "self-signed". */
  readonly ca: string;
  /** Path of `ca`'s PEM file. */
  readonly caFile: string;
  /** A CA that signed nothing the servers present. */
  readonly otherCa: string;
  /** The server certificates and keys. */
  readonly servers: Readonly<Record<ServerCertKind, KeyPair>>;
  /** Paths of the server certificates and keys. */
  readonly serverFiles: Readonly<
    Record<ServerCertKind, { cert: string; key: string }>
  >;
  /** A client certificate (extendedKeyUsage clientAuth) signed by the CA. */
  readonly client: KeyPair;
}

const decoder = new TextDecoder();

async function openssl(args: string[], cwd: string): Promise<void> {
  const { code, stderr } = await new Deno.Command("openssl", {
    args,
    cwd,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    throw new Error(
      `openssl ${args.join(" ")} failed (exit ${code}): ${
        decoder.decode(stderr)
      }`,
    );
  }
}

// P-256 keys: quick to make, and accepted by OpenSSL, Node and rustls alike.
const KEY_ARGS = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"];

/** Makes a self-signed CA: `name.pem` and `name.key`. */
function makeCa(dir: string, name: string): Promise<void> {
  return makeLeaf(
    dir,
    name,
    [
      "basicConstraints=critical,CA:TRUE",
      "keyUsage=critical,keyCertSign,cRLSign",
    ],
    undefined,
    2,
  );
}

/**
 * Makes a leaf certificate `name.pem` with key `name.key`, with the given
 * extensions, signed by `ca` (or by itself when `ca` is undefined), valid
 * for `days` (negative: expired).
 */
async function makeLeaf(
  dir: string,
  name: string,
  extensions: string[],
  ca: string | undefined,
  days: number,
): Promise<void> {
  const subject = `/CN=stomper test ${name}`;
  if (ca === undefined) {
    await openssl([
      "req",
      "-x509",
      ...KEY_ARGS,
      "-nodes",
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.pem`,
      "-days",
      String(days),
      "-subj",
      subject,
      ...extensions.flatMap((extension) => ["-addext", extension]),
    ], dir);
    return;
  }
  await openssl([
    "req",
    ...KEY_ARGS,
    "-nodes",
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.csr`,
    "-subj",
    subject,
  ], dir);
  await Deno.writeTextFile(`${dir}/${name}.ext`, extensions.join("\n") + "\n");
  await openssl([
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    `${ca}.pem`,
    "-CAkey",
    `${ca}.key`,
    "-set_serial",
    String(Math.floor(Math.random() * 2 ** 48)),
    // Negative days put notAfter before now: an expired certificate.
    "-days",
    String(days),
    "-extfile",
    `${name}.ext`,
    "-out",
    `${name}.pem`,
  ], dir);
}

const SERVER_USAGE = [
  "basicConstraints=critical,CA:FALSE",
  "keyUsage=critical,digitalSignature",
  "extendedKeyUsage=serverAuth",
];

/** Makes the test PKI in a fresh temporary directory, removed on dispose. */
export async function makePki(): Promise<TestPki> {
  const dir = await Deno.makeTempDir({ prefix: "stomper-tls-" });
  try {
    await Promise.all([makeCa(dir, "ca"), makeCa(dir, "other-ca")]);
    const both = "subjectAltName=DNS:localhost,IP:127.0.0.1";
    const specs: Record<ServerCertKind, [string, string | undefined, number]> =
      {
        "ip": ["subjectAltName=IP:127.0.0.1", "ca", 2],
        "localhost": ["subjectAltName=DNS:localhost", "ca", 2],
        "localhost-other-ip": [
          "subjectAltName=DNS:localhost,IP:10.9.9.9",
          "ca",
          2,
        ],
        "expired": [both, "ca", -1],
        "other-ca": [both, "other-ca", 2],
        "self-signed": [both, undefined, 2],
      };
    await Promise.all([
      ...SERVER_CERT_KINDS.map((kind) => {
        const [san, ca, days] = specs[kind];
        return makeLeaf(
          dir,
          `server-${kind}`,
          [san, ...SERVER_USAGE],
          ca,
          days,
        );
      }),
      makeLeaf(
        dir,
        "client",
        [
          "basicConstraints=critical,CA:FALSE",
          "keyUsage=critical,digitalSignature",
          "extendedKeyUsage=clientAuth",
        ],
        "ca",
        2,
      ),
    ]);
    const read = (name: string) => Deno.readTextFile(`${dir}/${name}`);
    const servers = {} as Record<ServerCertKind, KeyPair>;
    const serverFiles = {} as Record<
      ServerCertKind,
      { cert: string; key: string }
    >;
    for (const kind of SERVER_CERT_KINDS) {
      servers[kind] = {
        cert: await read(`server-${kind}.pem`),
        key: await read(`server-${kind}.key`),
      };
      serverFiles[kind] = {
        cert: `${dir}/server-${kind}.pem`,
        key: `${dir}/server-${kind}.key`,
      };
    }
    return {
      dir,
      ca: await read("ca.pem"),
      caFile: `${dir}/ca.pem`,
      otherCa: await read("other-ca.pem"),
      servers,
      serverFiles,
      client: { cert: await read("client.pem"), key: await read("client.key") },
      async [Symbol.asyncDispose]() {
        await Deno.remove(dir, { recursive: true });
      },
    };
  } catch (error) {
    await Deno.remove(dir, { recursive: true });
    throw error;
  }
}

/** A running `openssl s_server`. */
export interface TlsServer extends AsyncDisposable {
  /** The port it listens on, at 127.0.0.1. */
  readonly port: number;
}

/** Options of {@linkcode startTlsServer}. */
export interface TlsServerOptions {
  /** Require a client certificate signed by the test CA (mutual TLS). */
  requireClientCert?: boolean;
}

/**
 * Starts `openssl s_server` on 127.0.0.1 (a free port) presenting the
 * certificate `kind`. It answers an HTTP GET (`-www`) with "HTTP/1.0 200 ok",
 * so a client knows the server accepted it.
 */
export async function startTlsServer(
  pki: TestPki,
  kind: ServerCertKind,
  options: TlsServerOptions = {},
): Promise<TlsServer> {
  const files = pki.serverFiles[kind];
  const args = [
    "s_server",
    "-accept",
    "127.0.0.1:0",
    "-cert",
    files.cert,
    "-key",
    files.key,
    "-www",
  ];
  if (options.requireClientCert) {
    args.push("-Verify", "1", "-CAfile", pki.caFile);
  }
  const child = new Deno.Command("openssl", {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch {
      // Already exited.
    }
    await child.status;
  };
  // s_server prints "ACCEPT 127.0.0.1:PORT" once it listens.
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  let port: number | undefined;
  const timer = setTimeout(() => stop(), 10_000);
  try {
    while (port === undefined) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
      const match = /ACCEPT 127\.0\.0\.1:(\d+)/.exec(text);
      if (match) port = Number(match[1]);
    }
  } finally {
    clearTimeout(timer);
  }
  if (port === undefined) {
    await stop();
    throw new Error(
      `openssl s_server did not start for ${kind}: ${JSON.stringify(text)}`,
    );
  }
  // Keep draining stdout so s_server never blocks on a full pipe.
  const drained = (async () => {
    try {
      while (!(await reader.read()).done) { /* discard */ }
    } catch {
      // The process went away.
    }
  })();
  return {
    port,
    async [Symbol.asyncDispose]() {
      await stop();
      await drained;
    },
  };
}
