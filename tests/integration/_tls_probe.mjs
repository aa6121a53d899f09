// The TLS matrix's probe, in JavaScript so that the same code runs in Deno
// (imported by tls_test.ts) and under Node (inlined into its script).

/**
 * Connects, sends an HTTP GET and calls the connection accepted only if the
 * server's answer (openssl s_server -www: "HTTP/1.0 200 ok") comes back:
 * with TLS 1.3 a server that refuses the client's certificate says so only
 * after the client's side of the handshake has completed.
 *
 * @param {(url: string, options: object) => Promise<{readable: ReadableStream<Uint8Array>, writable: WritableStream<Uint8Array>, close(): void}>} connect
 * @param {{url: string, options: object}} input
 * @returns {Promise<string>} "accepted", or "refused: " and why.
 */
export async function probe(connect, input) {
  let transport;
  try {
    transport = await connect(input.url, input.options);
  } catch (error) {
    return `refused: ${error instanceof Error ? error.message : error}`;
  }
  let text = "";
  try {
    const writer = transport.writable.getWriter();
    await writer.write(new TextEncoder().encode("GET / HTTP/1.0\r\n\r\n"));
    writer.releaseLock();
    const reader = transport.readable.getReader();
    const decoder = new TextDecoder();
    while (!text.includes("\r\n")) {
      let timer;
      const result = await Promise.race([
        reader.read(),
        new Promise((resolve) => {
          timer = setTimeout(() => resolve({ done: true }), 5000);
        }),
      ]);
      clearTimeout(timer);
      if (result.done) break;
      text += decoder.decode(result.value, { stream: true });
    }
  } catch (error) {
    return `refused: ${error instanceof Error ? error.message : error}`;
  } finally {
    transport.close();
  }
  return text.startsWith("HTTP/1.0 200")
    ? "accepted"
    : `refused: the server answered ${JSON.stringify(text.slice(0, 40))}`;
}
