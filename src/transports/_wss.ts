// Where connectWebSocket finds the TLS settings of wss: URLs (Deno's HTTP
// client, the certificate checks and hints of _tls.ts): open.ts registers
// them when it is loaded, as it does the TCP transports, so that the browser
// entry point, which leaves open.ts out, bundles none of it.

import type { TlsSettings } from "./_tls.ts";

/** The TLS part of connectWebSocket. */
export interface WebSocketTls {
  /**
   * Checks the options' TLS settings for `url` before anything is opened.
   * @throws {TypeError} For a bad value, or settings for a `ws:` URL.
   */
  check(options: TlsSettings, url: URL): TlsSettings;
  /**
   * A Deno HTTP client with the settings for a `wss:` URL; `undefined` when
   * none apply.
   * @throws {TypeError} When they cannot be used (outside Deno).
   */
  client(settings: TlsSettings, url: URL): Deno.HttpClient | undefined;
  /** A connection failure's message, with what to do about a certificate. */
  describe(message: string, host: string): string;
}

let registered: WebSocketTls | undefined;

/** Makes `tls` the one connectWebSocket uses (open.ts, once loaded). */
export function registerWebSocketTls(tls: WebSocketTls): void {
  registered = tls;
}

/** The registered TLS part; `undefined` without open.ts. */
export function webSocketTls(): WebSocketTls | undefined {
  return registered;
}
