// The test broker's writes to one TCP connection: queued in order, written
// one at a time (frames must not interleave), and droppable while they wait,
// so that a client that stops reading costs the broker a bounded amount.

import type { Wire } from "./_session.ts";

interface PendingWrite {
  readonly bytes: Uint8Array;
  readonly done: PromiseWithResolvers<void>;
}

/** A {@linkcode Wire} over a Deno TCP connection. */
export class TcpWire implements Wire {
  readonly #conn: Deno.Conn;
  #queue: PendingWrite[] = [];
  // The next write of #queue: taken from the front without shifting.
  #head = 0;
  #running = false;
  #writing: Promise<void> = Promise.resolve();
  #closed = false;

  /**
   * A wire for a connection just accepted.
   *
   * @param conn The connection; {@linkcode TcpWire.close} closes it.
   */
  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  /**
   * Queues bytes after those queued before.
   *
   * @param bytes A whole frame (or part of the stream between frames).
   * @returns A promise that resolves once the socket took every byte, or
   * when the write was dropped; it rejects if the connection failed.
   */
  write(bytes: Uint8Array): Promise<void> {
    if (this.#closed) {
      return Promise.reject(
        new Error("Cannot write: the connection is closed"),
      );
    }
    const done = Promise.withResolvers<void>();
    this.#queue.push({ bytes, done });
    if (!this.#running) {
      this.#running = true;
      this.#writing = this.#run();
    }
    return done.promise;
  }

  /** Drops the writes not yet begun; the one under way finishes. */
  discard(): void {
    const kept = this.#head + (this.#running ? 1 : 0);
    const dropped = this.#queue.slice(kept);
    this.#queue.length = kept;
    for (const write of dropped) write.done.resolve();
  }

  /** Closes the connection; writes not yet done reject. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // Closed by the peer already.
    }
  }

  /**
   * Settles when nothing is being written.
   *
   * @returns A promise that resolves once the queue is empty or failed.
   */
  idle(): Promise<void> {
    return this.#writing;
  }

  async #run(): Promise<void> {
    while (this.#head < this.#queue.length) {
      const write = this.#queue[this.#head]!;
      try {
        let offset = 0;
        while (offset < write.bytes.length) {
          offset += await this.#conn.write(write.bytes.subarray(offset));
        }
      } catch (error) {
        const failed = this.#queue.slice(this.#head);
        this.#queue = [];
        this.#head = 0;
        this.#running = false;
        for (const f of failed) f.done.reject(error);
        return;
      }
      this.#head++;
      // Compacted now and then rather than shifted every time.
      if (this.#head === this.#queue.length) {
        this.#queue = [];
        this.#head = 0;
      } else if (this.#head >= 1024 && this.#head * 2 >= this.#queue.length) {
        this.#queue = this.#queue.slice(this.#head);
        this.#head = 0;
      }
      write.done.resolve();
    }
    this.#running = false;
  }
}
