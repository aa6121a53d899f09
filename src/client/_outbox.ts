// The outgoing order: every operation takes its place here when it is
// called, and the connection's writer takes frames from the head. What waits
// is counted in bytes; past the limit, operations are still queued in order
// but are accepted (their promises resolve) only once written.

import { StompHeaders } from "../headers.ts";
import type { StompFrame, StompVersion } from "../frame.ts";
import { noop } from "./_util.ts";

// A batch entry's frame is never built: its bytes are written at the call.
const noFrame = (): StompFrame => {
  throw new TypeError("A batch has no frame to build");
};

/** One frame waiting to be written. */
export interface Outgoing {
  /**
   * The frame, or a function that builds it when its turn comes (DISCONNECT,
   * which must be built only once everything before it is written).
   */
  frame: StompFrame | (() => StompFrame);
  /**
   * The frame encoded for `version` when it was issued (on a connection
   * whose version was known, within the limit), else `undefined`.
   */
  readonly bytes?: Uint8Array | undefined;
  /**
   * A SEND's text body, kept as the string until the frame is encoded at its
   * turn (`frame` then has no body).
   */
  readonly text?: string | undefined;
  /**
   * A SEND queued without a frame: its flat header list and binary body (or
   * `text`), encoded at its turn; `frame` builds the frame only if needed.
   */
  readonly list?: readonly string[] | undefined;
  readonly body?: Uint8Array | undefined;
  /** The version `bytes` were encoded for. */
  readonly version?: StompVersion | undefined;
  /**
   * A text SEND written without content-length (ActiveMQ's TextMessage);
   * its text was checked for NUL at the call.
   */
  readonly lengthless?: boolean | undefined;
  /**
   * Frames issued one after another, written straight into one buffer (see
   * {@linkcode Batch}); `bytes` is then unused.
   */
  batch?: Batch | undefined;
  /** The bytes it is counted as (a batch's grows as frames join it). */
  size: number;
  /**
   * The connection it belongs to (ACK, NACK, transactions), or `undefined`
   * when it can go out on any (SEND, SUBSCRIBE, UNSUBSCRIBE, DISCONNECT).
   */
  readonly epoch: number | undefined;
  /**
   * Called once the operation is accepted (at once while there is room,
   * else once written); `undefined` for one that waits for a RECEIPT.
   */
  accept: (() => void) | undefined;
  /** Rejects the operation: it will not be written. */
  readonly fail: (error: Error) => void;
  /** At its turn: whether to leave it out (and accept it) on this connection. */
  readonly skip?: (epoch: number) => boolean;
  /** Called once written, with the connection's epoch. */
  readonly written?: (epoch: number) => void;
  /** Set by the outbox: bytes queued before it, counted since the start. */
  start: number;
  /** Set by the outbox. */
  state: "queued" | "taken" | "cancelled";
}

/**
 * Plain frames (their bytes the same under every version) encoded one after
 * another into one buffer at the call, so that a burst of sends costs one
 * buffer and one write instead of one of each per frame.
 */
export interface Batch {
  readonly buffer: Uint8Array<ArrayBuffer>;
  /** Bytes written so far. */
  used: number;
  /** Where each frame ends, for transports that take one frame per write. */
  readonly ends: number[];
  /**
   * The connection that some of its frames (ACK, NACK) belong to, or
   * `undefined` while none does.
   */
  epoch: number | undefined;
  /** Per frame (as `ends`), whether it belongs to `epoch`; empty while none does. */
  readonly bound: boolean[];
  /** Takes no more frames (the arena after it was used for something else). */
  sealed: boolean;
}

/** A batch stops taking frames once it holds this much. */
export const BATCH_BYTES = 64 * 1024;
// Batches are carved out of arenas of this size, and a new batch needs at
// least this much room (else the next arena starts).
const ARENA_BYTES = 256 * 1024;
const ARENA_MIN_ROOM = 16 * 1024;

// Per frame beyond its body: the command, the header lines and the NUL,
// counted roughly; the body dominates what the limit is for.
const FRAME_OVERHEAD = 24;

/** What a frame of `command` is counted as beyond its headers and body. */
export function frameOverhead(command: string): number {
  return FRAME_OVERHEAD + command.length;
}

/** The bytes a frame is counted as in the send buffer. */
export function frameSize(frame: StompFrame): number {
  let size = frameOverhead(frame.command) + frame.body.length;
  const flat = StompHeaders.flat(frame.headers);
  for (let i = 0; i < flat.length; i++) size += flat[i]!.length + 1;
  return size;
}

export class Outbox {
  readonly limit: number;
  #queue: Outgoing[] = [];
  #head = 0;
  // Operations past the limit, waiting to be accepted, in order.
  #waiting: Outgoing[] = [];
  #waitingHead = 0;
  // Bytes ever queued, and ever written or cancelled: their difference is
  // what waits now.
  #queued = 0;
  #finished = 0;
  // Where batches are written, and how much of it is taken.
  #arena = new Uint8Array(0);
  #arenaUsed = 0;
  // The batch written into the arena last.
  #open: Batch | undefined;

  constructor(limit: number) {
    this.limit = limit;
  }

  /** Bytes queued and not yet written. */
  get bufferedAmount(): number {
    return this.#queued - this.#finished;
  }

  /** Whether an operation issued now is accepted at once. */
  get hasRoom(): boolean {
    return this.#queued - this.#finished < this.limit;
  }

  /** Whether anything waits to be written. */
  get empty(): boolean {
    return this.#head === this.#queue.length;
  }

  push(entry: Outgoing): void {
    entry.start = this.#queued;
    entry.state = "queued";
    this.#queued += entry.size;
    this.#queue.push(entry);
    if (entry.accept === undefined) return;
    if (entry.start - this.#finished < this.limit) {
      const accept = entry.accept;
      entry.accept = undefined;
      accept();
    } else {
      this.#waiting.push(entry);
    }
  }

  /**
   * The open batch at the tail of the queue with room for `bound` more bytes,
   * or a new one queued there (its entry accepted, belonging to no
   * connection). Only for operations accepted at once (`hasRoom`).
   */
  batch(bound: number, epoch?: number): Batch {
    const tail = this.#queue.length > this.#head
      ? this.#queue[this.#queue.length - 1]!
      : undefined;
    const open = tail?.batch;
    if (
      open !== undefined && tail!.state === "queued" && !open.sealed &&
      open.used < BATCH_BYTES && open.buffer.length - open.used >= bound &&
      (epoch === undefined || open.epoch === undefined || open.epoch === epoch)
    ) return open;
    // Carved out of a shared arena: bytes once written are never touched
    // again, so a batch taken by the writer and the next one can share it,
    // and a frame a turn costs no allocation.
    let arena = this.#arena;
    if (arena.length - this.#arenaUsed < Math.max(bound, ARENA_MIN_ROOM)) {
      arena = this.#arena = new Uint8Array(Math.max(ARENA_BYTES, bound));
      this.#arenaUsed = 0;
    }
    const batch: Batch = {
      buffer: arena.subarray(this.#arenaUsed),
      used: 0,
      ends: [],
      epoch: undefined,
      bound: [],
      sealed: false,
    };
    this.#open = batch;
    this.push({
      frame: noFrame,
      batch,
      size: 0,
      epoch: undefined,
      accept: undefined,
      fail: noop,
      start: 0,
      state: "queued",
    });
    return batch;
  }

  /**
   * Room for `bound` bytes in the arena, for the writer to encode a frame
   * taken from the queue into; {@linkcode Outbox.carved} then says how much
   * it used. Seals the open batch, whose next frame would go there.
   */
  carve(bound: number): Uint8Array {
    if (this.#open !== undefined) this.#open.sealed = true;
    if (this.#arena.length - this.#arenaUsed < bound) {
      this.#arena = new Uint8Array(Math.max(ARENA_BYTES, bound));
      this.#arenaUsed = 0;
    }
    return this.#arena.subarray(this.#arenaUsed);
  }

  /** The writer used `length` bytes of what {@linkcode Outbox.carve} gave. */
  carved(length: number): void {
    this.#arenaUsed += length;
  }

  /**
   * A frame was written into the tail batch up to `end`: count it, and note
   * the connection it belongs to, if any.
   */
  grow(batch: Batch, end: number, epoch?: number): void {
    const tail = this.#queue[this.#queue.length - 1]!;
    if (batch.buffer.buffer === this.#arena.buffer) {
      this.#arenaUsed += end - batch.used;
    }
    this.#queued += end - batch.used;
    tail.size += end - batch.used;
    batch.used = end;
    batch.ends.push(end);
    if (epoch !== undefined) {
      while (batch.bound.length < batch.ends.length - 1) {
        batch.bound.push(false);
      }
      batch.bound.push(true);
      batch.epoch = epoch;
    } else if (batch.epoch !== undefined) batch.bound.push(false);
  }

  /** Takes an entry out before it is written; false if it was taken already. */
  cancel(entry: Outgoing): boolean {
    if (entry.state !== "queued") return false;
    entry.state = "cancelled";
    entry.accept = undefined;
    this.#finished += entry.size;
    this.#release();
    return true;
  }

  /**
   * The next entry to write, taken out of the queue (cancelled ones are
   * skipped), or `undefined` when nothing waits.
   */
  shift(): Outgoing | undefined {
    while (this.#head < this.#queue.length) {
      const entry = this.#queue[this.#head]!;
      this.#queue[this.#head++] = undefined as unknown as Outgoing;
      if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
        this.#queue = this.#queue.slice(this.#head);
        this.#head = 0;
      }
      if (entry.state === "cancelled") continue;
      entry.state = "taken";
      return entry;
    }
    return undefined;
  }

  /** An entry taken by `shift` could not be written: it fails with `error`. */
  discard(entry: Outgoing, error: Error): void {
    this.#finished += entry.size;
    entry.accept = undefined;
    entry.fail(error);
    this.#release();
  }

  /** Entries taken by `shift` are written (or left out): accept and count them. */
  written(entries: readonly Outgoing[], epoch: number): void {
    for (const entry of entries) {
      this.#finished += entry.size;
      entry.written?.(epoch);
      const accept = entry.accept;
      if (accept !== undefined) {
        entry.accept = undefined;
        accept();
      }
    }
    this.#release();
  }

  /**
   * A connection was lost: what belongs to it and was not written fails
   * with `error` (the rest waits for the next connection).
   */
  dropEpoch(epoch: number, error: Error): void {
    for (let i = this.#head; i < this.#queue.length; i++) {
      const entry = this.#queue[i]!;
      if (entry.state === "queued" && entry.batch?.epoch === epoch) {
        this.#unbind(entry, entry.batch);
      }
    }
    this.#drop(error, (entry) => entry.epoch === epoch);
  }

  /**
   * Takes a batch's frames that belong to a lost connection out of it (they
   * were accepted, and are lost with the connection); the others stay.
   */
  #unbind(entry: Outgoing, batch: Batch): void {
    const kept = new Uint8Array(batch.buffer.length);
    const ends: number[] = [];
    let start = 0;
    let used = 0;
    for (let i = 0; i < batch.ends.length; i++) {
      const end = batch.ends[i]!;
      if (!batch.bound[i]) {
        kept.set(batch.buffer.subarray(start, end), used);
        used += end - start;
        ends.push(used);
      }
      start = end;
    }
    this.#finished += batch.used - used;
    entry.size -= batch.used - used;
    entry.batch = {
      buffer: kept,
      used,
      ends,
      epoch: undefined,
      bound: [],
      sealed: batch.sealed,
    };
    if (this.#open === batch) this.#open = entry.batch;
  }

  /** The client closed: everything still queued fails with `error`. */
  clear(error: Error): void {
    this.#drop(error, () => true);
  }

  #drop(error: Error, which: (entry: Outgoing) => boolean): void {
    const kept: Outgoing[] = [];
    const failed: Outgoing[] = [];
    for (let i = this.#head; i < this.#queue.length; i++) {
      const entry = this.#queue[i]!;
      if (entry.state !== "queued") continue;
      if (which(entry)) {
        entry.state = "cancelled";
        entry.accept = undefined;
        this.#finished += entry.size;
        failed.push(entry);
      } else {
        kept.push(entry);
      }
    }
    this.#queue = kept;
    this.#head = 0;
    this.#release();
    for (const entry of failed) entry.fail(error);
  }

  /** Accepts waiting operations that are now within the limit, in order. */
  #release(): void {
    while (this.#waitingHead < this.#waiting.length) {
      const entry = this.#waiting[this.#waitingHead]!;
      if (entry.accept !== undefined) {
        if (entry.start - this.#finished >= this.limit) return;
        const accept = entry.accept;
        entry.accept = undefined;
        accept();
      }
      this.#waiting[this.#waitingHead++] = undefined as unknown as Outgoing;
    }
    this.#waiting = [];
    this.#waitingHead = 0;
  }
}
