// A TCP relay on 127.0.0.1 between a test and a broker, that can drop the
// connection after a given number of bytes towards the client: a real
// connection cut in the middle of a real broker's frame.

export interface Relay extends AsyncDisposable {
  readonly port: number;
  /** After `bytes` more bytes reach the client, close both connections. */
  cutAfter(bytes: number): void;
}

export function startRelay(
  upstream: { hostname: string; port: number },
): Relay {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let budget = Infinity;
  const conns = new Set<Deno.Conn>();
  const closeAll = () => {
    for (const conn of conns) {
      try {
        conn.close();
      } catch {
        // Closed already.
      }
    }
    conns.clear();
  };
  const pump = async (from: Deno.Conn, to: Deno.Conn, counted: boolean) => {
    const buffer = new Uint8Array(16 * 1024);
    try {
      while (true) {
        const n = await from.read(buffer);
        if (n === null) break;
        let chunk = buffer.subarray(0, n);
        if (counted && chunk.length >= budget) {
          chunk = chunk.subarray(0, budget);
          budget = 0;
          let at = 0;
          while (at < chunk.length) at += await to.write(chunk.subarray(at));
          break;
        }
        if (counted) budget -= chunk.length;
        let at = 0;
        while (at < chunk.length) at += await to.write(chunk.subarray(at));
      }
    } catch {
      // One side went away; the finally closes the other.
    } finally {
      closeAll();
    }
  };
  const pumps: Promise<void>[] = [];
  const accepting = (async () => {
    for await (const client of listener) {
      const server = await Deno.connect(upstream).catch(() => undefined);
      if (server === undefined) {
        client.close();
        continue;
      }
      conns.add(client);
      conns.add(server);
      pumps.push(pump(client, server, false), pump(server, client, true));
    }
  })();
  return {
    port: listener.addr.port,
    cutAfter(bytes: number) {
      budget = bytes;
    },
    async [Symbol.asyncDispose]() {
      listener.close();
      await accepting.catch(() => {});
      closeAll();
      await Promise.all(pumps);
    },
  };
}
