// Which runtime the library runs in, for openTransport to pick a transport.
// Each test reads a global that only that runtime sets, and imports nothing.

/** Whether the runtime is Deno (`Deno.connect` is there). */
export function isDeno(): boolean {
  return typeof (globalThis as { Deno?: unknown }).Deno === "object";
}

/**
 * Whether the runtime is Cloudflare Workers or workerd, whose sockets come
 * from `cloudflare:sockets`. Checked before {@linkcode isNodeLike}: with
 * `nodejs_compat` a Worker has `process.versions.node` as well.
 */
export function isCloudflareWorkers(): boolean {
  const navigator = (globalThis as { navigator?: { userAgent?: unknown } })
    .navigator;
  return navigator?.userAgent === "Cloudflare-Workers";
}

/** Whether the runtime offers Node's built-in modules: Node, or Bun. */
export function isNodeLike(): boolean {
  const process = (globalThis as {
    process?: { versions?: { node?: unknown } };
  }).process;
  return typeof process?.versions?.node === "string";
}
