// Hints for URLs given the wrong way, shared by openTransport and the
// client's connectUrl.

/**
 * For what looks like `host:port` without a scheme (which URL parsing takes
 * for an invalid URL, or for a scheme named after the host), the URL meant,
 * as the end of an error message; else "".
 */
export function hostPortHint(text: string): string {
  return /^[^/:\s]+:\d+$/.test(text)
    ? `; to connect over TCP, write ${JSON.stringify(`tcp://${text}`)}`
    : "";
}
