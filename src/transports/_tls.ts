// TLS settings shared by the transports: their checks, Deno's HTTP client
// for wss:, and the hints that turn a certificate error into what to do.

import type { WebSocketTls } from "./_wss.ts";
import { typeName } from "../_type_name.ts";

/** The TLS settings a transport takes. */
export interface TlsSettings {
  caCerts?: string[] | undefined;
  cert?: string | undefined;
  key?: string | undefined;
}

/**
 * Checks the TLS settings, before anything is opened: `caCerts` is an array
 * of strings (a single PEM string is a common slip), and `cert` and `key` come
 * together.
 *
 * @param options The transport's options.
 * @param context How the error messages start, e.g. "Cannot connect over TCP".
 * @returns The settings given, without the unset ones.
 * @throws {TypeError} For a bad value.
 */
export function tlsSettings(
  options: TlsSettings,
  context: string,
): TlsSettings {
  const settings: TlsSettings = {};
  const { caCerts, cert, key } = options;
  if ((cert === undefined) !== (key === undefined)) {
    throw new TypeError(
      `${context}: cert and key go together (a client certificate and its private key), got ${
        cert === undefined ? "key without cert" : "cert without key"
      }`,
    );
  }
  if (caCerts !== undefined) {
    if (!Array.isArray(caCerts)) {
      throw new TypeError(
        `${context}: caCerts must be an array of PEM strings, got ${
          typeof caCerts === "string" ? "a string" : typeof caCerts
        } (write caCerts: [pem])`,
      );
    }
    caCerts.forEach((pem: unknown, i) => {
      if (typeof pem !== "string") {
        throw new TypeError(
          `${context}: caCerts[${i}] must be a PEM string, got ${
            typeName(pem)
          }${bytesHint(pem)}`,
        );
      }
      checkPem(pem, CERTIFICATE_PEM, `caCerts[${i}]`, "certificate", context);
    });
    settings.caCerts = caCerts;
  }
  if (cert !== undefined && key !== undefined) {
    checkPem(cert, CERTIFICATE_PEM, "cert", "certificate", context);
    checkPem(key, KEY_PEM, "key", "private key", context);
    settings.cert = cert;
    settings.key = key;
  }
  return settings;
}

/**
 * For a PEM setting given as bytes (Node's `readFileSync(path)` without an
 * encoding returns a Buffer), how to read it as text; "" otherwise.
 */
function bytesHint(value: unknown): string {
  return value instanceof Uint8Array
    ? ' (read the file as text: readFileSync(path, "utf8") in Node, Deno.readTextFileSync(path) in Deno)'
    : "";
}

const CERTIFICATE_PEM = /-----BEGIN CERTIFICATE-----/;
const KEY_PEM = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;

/**
 * Refuses a value without the PEM block it must hold: the runtimes skip such
 * a CA silently, and a file's path where its contents belong is easy to pass.
 * The value is shown only when it looks like a path: it may be a secret.
 */
function checkPem(
  value: unknown,
  pattern: RegExp,
  name: string,
  what: string,
  context: string,
): void {
  if (typeof value === "string" && pattern.test(value)) return;
  if (value instanceof Uint8Array) {
    throw new TypeError(
      `${context}: ${name} must be a PEM ${what} as a string, got ${
        typeName(value)
      }${bytesHint(value)}`,
    );
  }
  const path = typeof value === "string" && !/\n|-----/.test(value) &&
    /[/\\]|\.(?:pem|crt|cer|key)$/i.test(value.trim());
  throw new TypeError(
    `${context}: ${name} must be a PEM ${what} (a "-----BEGIN ..." block)${
      path
        ? `; pass the contents of the file, not its path ${
          JSON.stringify(value)
        }`
        : ""
    }`,
  );
}

/** Whether any TLS setting is given. */
export function hasTlsSettings(settings: TlsSettings): boolean {
  return settings.caCerts !== undefined || settings.cert !== undefined;
}

/**
 * Refuses TLS settings for a plain connection: given them, the caller most
 * likely meant TLS and wrote the wrong scheme.
 *
 * @param settings The checked settings.
 * @param target `scheme//host:port` of the plain connection (no credentials).
 * @param secureScheme The scheme that would use them, e.g. "tls:".
 * @param context How the error message starts.
 * @throws {TypeError} When a TLS setting is given.
 */
export function refuseTlsSettings(
  settings: TlsSettings,
  target: string,
  secureScheme: string,
  context: string,
): void {
  if (!hasTlsSettings(settings)) return;
  throw new TypeError(
    `${context}: caCerts, cert and key are TLS settings, and ${
      JSON.stringify(target)
    } is not TLS; write a ${secureScheme} URL to connect with TLS`,
  );
}

/** What to do about a certificate no trusted authority signed. */
export const TRUST_HINT =
  "pass the certificate authority that signed it in caCerts";

/**
 * What to do about a certificate that is not for the host connected to.
 *
 * @param host The host the certificate was checked against.
 * @param hostnameOption Whether the transport has a `hostname` option.
 */
export function nameHint(host: string, hostnameOption: boolean): string {
  return `the certificate must be for ${JSON.stringify(host)} (${
    hostnameOption ? "the URL's host, or the hostname option" : "the URL's host"
  }): names are checked against its DNS names, addresses against its IP addresses`;
}

/**
 * For a TLS handshake that failed without a certificate to blame (the server
 * closed or reset the connection, or answered with something that is not
 * TLS), as the end of an error message: the port may speak STOMP without
 * TLS, at the same address over `tcp://`.
 *
 * @param name The target, `tls://host:port`.
 */
export function plainPortHint(name: string): string {
  return ` (if this port speaks STOMP without TLS, use ${
    JSON.stringify(`tcp:${name.slice(name.indexOf("//"))}`)
  })`;
}

/**
 * Deno's (rustls') certificate errors, with what to do about them; other
 * messages unchanged.
 *
 * @param message The error's message.
 * @param host The host the certificate was checked against.
 * @param hostnameOption Whether the transport has a `hostname` option.
 */
export function describeDenoTlsError(
  message: string,
  host: string,
  hostnameOption: boolean,
): string {
  if (!/invalid peer certificate/i.test(message)) return message;
  if (/UnknownIssuer|BadSignature/i.test(message)) {
    return `the server's certificate did not verify: ${message}; ${TRUST_HINT}`;
  }
  if (/not valid for name|NotValidForName/i.test(message)) {
    return `the server's certificate did not verify: ${message}; ${
      nameHint(host, hostnameOption)
    }`;
  }
  return `the server's certificate did not verify: ${message}`;
}

/** The part of `Deno` used here, looked up at run time (absent elsewhere). */
interface DenoHttpClientApi {
  createHttpClient(
    options: Deno.CreateHttpClientOptions & Partial<Deno.TlsCertifiedKeyPem>,
  ): Deno.HttpClient;
}

/**
 * A Deno HTTP client with the TLS settings, for `new WebSocket(url, {
 * client })`; `undefined` in a runtime without `Deno.createHttpClient`.
 */
export function denoHttpClient(
  settings: TlsSettings,
): Deno.HttpClient | undefined {
  const deno =
    (globalThis as { Deno?: Partial<DenoHttpClientApi> | undefined }).Deno;
  if (typeof deno?.createHttpClient !== "function") return undefined;
  const options:
    & Deno.CreateHttpClientOptions
    & Partial<Deno.TlsCertifiedKeyPem> = {};
  if (settings.caCerts !== undefined) options.caCerts = settings.caCerts;
  if (settings.cert !== undefined && settings.key !== undefined) {
    options.cert = settings.cert;
    options.key = settings.key;
  }
  return deno.createHttpClient(options);
}

const WEBSOCKET_CONTEXT = "Cannot connect over WebSocket";

/** connectWebSocket's TLS settings, registered by open.ts. */
export const WEBSOCKET_TLS: WebSocketTls = {
  check(options, url) {
    const tls = tlsSettings(options, WEBSOCKET_CONTEXT);
    if (url.protocol === "ws:") {
      refuseTlsSettings(tls, `ws://${url.host}`, "wss:", WEBSOCKET_CONTEXT);
    }
    return tls;
  },
  client(settings, url) {
    // Deno's WebSocket takes TLS settings through an HTTP client; no other
    // does, and connecting without them would trust what the user did not
    // ask.
    if (url.protocol !== "wss:" || !hasTlsSettings(settings)) return undefined;
    let client: Deno.HttpClient | undefined;
    try {
      client = denoHttpClient(settings);
    } catch (cause) {
      throw new TypeError(
        `${WEBSOCKET_CONTEXT}: caCerts, cert or key cannot be used: ${
          cause instanceof Error ? cause.message : String(cause)
        }`,
        { cause },
      );
    }
    if (client === undefined) {
      throw new TypeError(
        `${WEBSOCKET_CONTEXT}: caCerts, cert and key need Deno (this runtime's WebSocket takes no TLS settings); trust the certificate authority in the runtime instead (Node: NODE_EXTRA_CA_CERTS=ca.pem; a browser: its certificate store), or connect with a tls: URL, whose transport takes them`,
      );
    }
    return client;
  },
  describe(message, host) {
    return describeDenoTlsError(message, host, false);
  },
};
