// The floor of the end-to-end benchmark, not a client: what the runtime
// itself costs to put pre-encoded frames on the wire, so that the tables can
// say how much of a client's cost is its own. Deno, TCP (`Deno.connect`) or
// WebSocket (the global one), publish and receipt-rtt scenarios only
// (contract: ../_protocol.ts):
//
//   - publish-awaited: one awaited write per frame (TCP), one ws.send per
//     frame (WebSocket);
//   - publish-together: every frame in 64 KiB writes (TCP), one ws.send per
//     frame (WebSocket: one frame per message);
//   - receipt-rtt: one SEND with receipt, read until the RECEIPT's NUL.
//
// The frames are encoded once, before the measured section; nothing is
// parsed but the NUL that ends a frame. Run as
//
//   deno run -A tests/bench/e2e/clients/raw.ts '<Config JSON>'

import process from "node:process";
import type { Config, Result } from "../_protocol.ts";

const config: Config = JSON.parse(Deno.args.at(-1)!);
if (
  !config.scenario.startsWith("publish") && config.scenario !== "receipt-rtt"
) {
  console.error(`raw: no ${config.scenario} (publish and receipt-rtt only)`);
  Deno.exit(1);
}
const utf8 = new TextEncoder();
const NUL = 0;

/** Bytes in, frames out: resolves once `count` more frames have ended. */
interface Link {
  write(bytes: Uint8Array): Promise<void> | void;
  frames(count: number): Promise<void>;
  close(): void;
}

async function tcp(): Promise<Link> {
  const conn = await Deno.connect({ hostname: config.host, port: config.port });
  conn.setNoDelay(true);
  const buffer = new Uint8Array(64 * 1024);
  return {
    async write(bytes) {
      for (let at = 0; at < bytes.length;) {
        at += await conn.write(bytes.subarray(at));
      }
    },
    async frames(count) {
      while (count > 0) {
        const n = await conn.read(buffer);
        if (n === null) throw new Error("raw: connection closed");
        for (let i = 0; i < n; i++) if (buffer[i] === NUL) count--;
      }
    },
    close: () => conn.close(),
  };
}

async function ws(): Promise<Link> {
  const socket = new WebSocket(config.wsUrl, ["v12.stomp"]);
  socket.binaryType = "arraybuffer";
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = reject;
  });
  let waiting = 0;
  let wake: (() => void) | undefined;
  socket.onmessage = (event) => {
    const data = new Uint8Array(event.data as ArrayBuffer);
    for (let i = 0; i < data.length; i++) if (data[i] === NUL) waiting--;
    if (waiting <= 0) wake?.();
  };
  return {
    write: (bytes) => socket.send(bytes),
    frames(count) {
      waiting += count;
      if (waiting <= 0) return Promise.resolve();
      return new Promise<void>((resolve) => wake = resolve);
    },
    close: () => socket.close(),
  };
}

const link = config.transport === "ws" ? await ws() : await tcp();
const connected = link.frames(1);
await link.write(
  utf8.encode(
    `CONNECT\naccept-version:1.2\nhost:${config.vhost}\nlogin:${config.login}\npasscode:${config.passcode}\nheart-beat:0,0\n\n\0`,
  ),
);
await connected;

const body = "x".repeat(config.size);
const frame = (receipt?: string) =>
  utf8.encode(
    `SEND\ndestination:${config.destination}\n${
      receipt === undefined ? "" : `receipt:${receipt}\n`
    }content-length:${config.size}\n\n${body}\0`,
  );
const plain = frame();
const last = frame("last");
const rttUs: number[] = [];

const cpu = process.cpuUsage();
const start = performance.now();
switch (config.scenario) {
  case "publish-awaited": {
    const confirmed = link.frames(1);
    for (let i = 0; i < config.count - 1; i++) await link.write(plain);
    await link.write(last);
    await confirmed;
    break;
  }
  case "publish-together": {
    const confirmed = link.frames(1);
    if (config.transport === "ws") {
      for (let i = 0; i < config.count - 1; i++) link.write(plain);
      link.write(last);
    } else {
      // Whole frames gathered into writes of about 64 KiB.
      const per = Math.max(1, Math.floor(64 * 1024 / plain.length));
      const batch = new Uint8Array(per * plain.length);
      for (let i = 0; i < per; i++) batch.set(plain, i * plain.length);
      let left = config.count - 1;
      while (left > 0) {
        const n = Math.min(per, left);
        await link.write(batch.subarray(0, n * plain.length));
        left -= n;
      }
      await link.write(last);
    }
    await confirmed;
    break;
  }
  case "receipt-rtt": {
    const bytes = frame("r");
    for (let i = 0; i < config.count; i++) {
      const t = performance.now();
      const confirmed = link.frames(1);
      await link.write(bytes);
      await confirmed;
      rttUs.push(Math.round((performance.now() - t) * 1000));
    }
    break;
  }
}
const wallMs = performance.now() - start;
const used = process.cpuUsage(cpu);
link.close();

const result: Result = {
  count: config.count,
  bytes: config.count * config.size,
  wallMs,
  cpuUs: used.user + used.system,
  ...(config.scenario === "receipt-rtt" ? { rttUs } : {}),
};
console.log(JSON.stringify(result));
