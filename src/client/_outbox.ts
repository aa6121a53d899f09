// The outgoing order: every operation takes its place here when it is
// called, and the connection's writer takes frames from the head. What waits
// is counted in bytes; past the limit, operations are still queued in order
// but are accepted (their promises resolve) only once written.

import { StompHeaders } from "../headers.ts";
import { StompFrame, type StompVersion } from "../frame.ts";
import { StompConnectionError } from "./errors.ts";
import { encodePlain, encodeWhole, plainBound } from "./_encoding.ts";
import { deferred, noop } from "./_util.ts";

/** What every entry of the outgoing order has. */
interface Entry {
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
 * Frames issued one after another, written straight into one buffer at the
 * call (see {@linkcode Batch}); accepted at once, and part of no operation.
 */
export interface BatchEntry extends Entry {
  readonly kind: "batch";
  batch: Batch;
}

/**
 * A SEND without receipt, timeout or signal that had to wait: its flat
 * header list and body, encoded at its turn (the frame is built only for
 * the general encoder).
 */
export interface SendEntry extends Entry {
  readonly kind: "send";
  readonly list: readonly string[];
  /** A text body, kept as the string until it is encoded. */
  readonly text: string | undefined;
  readonly body: Uint8Array | undefined;
  /**
   * A text SEND written without content-length (ActiveMQ's TextMessage);
   * its text was checked for NUL at the call.
   */
  readonly lengthless: boolean;
  /** The frame, built only for the general encoder. */
  readonly frame: StompFrame;
}

/** An operation's frame. */
export interface FrameEntry extends Entry {
  readonly kind: "frame";
  /**
   * The frame, or a function that builds it when its turn comes (DISCONNECT,
   * which must be built only once everything before it is written).
   */
  readonly frame: StompFrame | (() => StompFrame);
  /**
   * The frame encoded for `version` when it was issued (on a connection
   * whose version was known, within the limit), else `undefined`.
   */
  readonly bytes: Uint8Array | undefined;
  /** The version `bytes` were encoded for. */
  readonly version: StompVersion | undefined;
  /**
   * A SEND's text body, kept as the string until the frame is encoded at its
   * turn (`frame` then has no body).
   */
  readonly text: string | undefined;
  /** A text SEND written without content-length (see SendEntry). */
  readonly lengthless: boolean;
}

/** One entry of the outgoing order. */
export type Outgoing = BatchEntry | SendEntry | FrameEntry;

/** What an operation's frame is queued with (see {@linkcode Outbox.push}). */
export interface FrameSpec {
  readonly frame: StompFrame | (() => StompFrame);
  readonly bytes?: Uint8Array | undefined;
  readonly version?: StompVersion | undefined;
  readonly text?: string | undefined;
  readonly lengthless?: boolean | undefined;
  /** Counted as this many bytes; by default its frame's size. */
  readonly size?: number;
  readonly epoch: number | undefined;
  readonly accept: (() => void) | undefined;
  readonly fail: (error: Error) => void;
  readonly skip?: ((epoch: number) => boolean) | undefined;
  readonly written?: ((epoch: number) => void) | undefined;
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
// Batches are carved out of arenas: the first small (a client that sends
// little holds little), each next one twice the last, up to the largest; a
// new batch needs a sixteenth of its arena free (else the next one starts).
const ARENA_FIRST = 4 * 1024;
const ARENA_BYTES = 256 * 1024;

// Per frame beyond its body: the command, the header lines and the NUL,
// counted roughly; the body dominates what the limit is for.
const FRAME_OVERHEAD = 24;

/**
 * What holding a queued entry costs in memory beyond its frame's bytes,
 * counted in what the limit holds (and in `bufferedAmount`), so that the
 * limit bounds memory for small frames too: an operation (its promise, its
 * callbacks and what they keep: about 3.9 KB measured for a queued
 * SUBSCRIBE and UNSUBSCRIBE) and a SEND nobody waits for (about 430 B
 * measured beyond a 100 B body). Frames encoded into a batch at the call
 * cost their bytes only.
 */
export const ENTRY_OVERHEAD = { frame: 2048, send: 384 } as const;

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

/**
 * A SEND queued by {@linkcode Outbox.pushSend}: its header list and body,
 * and the promise its caller holds, settled by the outbox (accepted once
 * there is room or once written; failed if it cannot be written).
 */
class PendingSend implements SendEntry {
  readonly kind = "send";
  readonly promise: Promise<void>;
  accept: (() => void) | undefined;
  readonly list: readonly string[];
  readonly text: string | undefined;
  readonly body: Uint8Array | undefined;
  readonly size: number;
  readonly epoch = undefined;
  readonly lengthless: boolean;
  start = 0;
  state: Outgoing["state"] = "queued";
  readonly #reject: (reason: unknown) => void;
  readonly #report: (error: Error) => void;

  constructor(
    list: readonly string[],
    body: string | Uint8Array,
    lengthless: boolean,
    report: (error: Error) => void,
  ) {
    this.lengthless = lengthless;
    const { promise, resolve, reject } = deferred<void>();
    // Whoever awaits still sees the rejection; nobody awaiting is no crash.
    promise.catch(noop);
    this.promise = promise;
    this.accept = resolve;
    this.#reject = reject;
    this.#report = report;
    this.list = list;
    this.text = typeof body === "string" ? body : undefined;
    this.body = typeof body === "string" ? undefined : body;
    let size = frameOverhead("SEND") + body.length + ENTRY_OVERHEAD.send;
    for (let i = 0; i < list.length; i++) size += list[i]!.length + 1;
    this.size = size;
  }

  get frame(): StompFrame {
    const headers = new StompHeaders();
    for (let i = 0; i < this.list.length; i += 2) {
      headers.append(this.list[i]!, this.list[i + 1]!);
    }
    return new StompFrame("SEND", headers, this.text ?? this.body);
  }

  /**
   * Rejects (a no-op once accepted); a failure of its own (not a lost
   * connection's) also goes to onError, like any operation's.
   */
  fail(error: Error): void {
    this.#reject(error);
    if (!(error instanceof StompConnectionError)) this.#report(error);
  }
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
  readonly #now: () => number;
  // Memory held elsewhere until the server answers (awaited receipts),
  // counted against the limit: see `hold`.
  #held = 0;
  #progressAt = -Infinity;

  /**
   * @param limit Bytes up to which operations are accepted at once.
   * @param now The clock `progressAt` is read on.
   */
  constructor(limit: number, now: () => number = () => 0) {
    this.limit = limit;
    this.#now = now;
  }

  /** Bytes queued and not yet written. */
  get bufferedAmount(): number {
    return this.#queued - this.#finished;
  }

  /** Whether an operation issued now is accepted at once. */
  get hasRoom(): boolean {
    return this.#queued - this.#finished + this.#held < this.limit;
  }

  /**
   * Counts `bytes` (less, when negative) of memory held until the server
   * answers against the limit: while it holds the limit, operations are
   * accepted neither at once nor once written, but once answers come, so
   * that a loop of awaited operations that each await a receipt under the
   * hood (SUBSCRIBE) cannot outrun them.
   */
  hold(bytes: number): void {
    this.#held += bytes;
    if (bytes < 0) this.#release();
  }

  /**
   * When an entry was last written or taken out (by the clock given to the
   * constructor): what `disconnect()` watches.
   */
  get progressAt(): number {
    return this.#progressAt;
  }

  /**
   * The frames and their bytes (without what holding them costs) queued and
   * not yet taken by the writer.
   */
  pending(): { frames: number; bytes: number } {
    let frames = 0;
    let bytes = 0;
    for (let i = this.#head; i < this.#queue.length; i++) {
      const entry = this.#queue[i]!;
      if (entry.state !== "queued") continue;
      frames += entry.kind === "batch" ? entry.batch.ends.length : 1;
      bytes += entry.size -
        (entry.kind === "batch" ? 0 : ENTRY_OVERHEAD[entry.kind]);
    }
    return { frames, bytes };
  }

  /** Whether anything waits to be written. */
  get empty(): boolean {
    return this.#head === this.#queue.length;
  }

  /**
   * Queues an operation's frame: accepted at once while there is room
   * (`accept` called), else once written. Returns the entry, for `cancel`.
   */
  push(spec: FrameSpec): FrameEntry {
    const entry: FrameEntry = {
      kind: "frame",
      frame: spec.frame,
      bytes: spec.bytes,
      version: spec.bytes === undefined ? undefined : spec.version,
      text: spec.text,
      lengthless: spec.lengthless === true,
      size: ENTRY_OVERHEAD.frame + (spec.size ??
        (spec.bytes !== undefined
          ? spec.bytes.length
          : frameSize(spec.frame as StompFrame) + (spec.text?.length ?? 0))),
      epoch: spec.epoch,
      accept: spec.accept,
      fail: spec.fail,
      ...(spec.skip === undefined ? {} : { skip: spec.skip }),
      ...(spec.written === undefined ? {} : { written: spec.written }),
      start: 0,
      state: "queued",
    };
    this.#push(entry);
    return entry;
  }

  /**
   * Queues a SEND without receipt, timeout or signal as its header list and
   * body: no frame, session output or operation, so that a long burst holds
   * little for the garbage collector to walk. The promise settles as an
   * operation's would; `report` gets a failure of its own.
   */
  pushSend(
    list: readonly string[],
    body: string | Uint8Array,
    lengthless: boolean,
    report: (error: Error) => void,
  ): Promise<void> {
    const entry = new PendingSend(list, body, lengthless, report);
    this.#push(entry);
    return entry.promise;
  }

  /**
   * Encodes a plain frame straight into the open batch at the tail of the
   * queue (a new one if need be): accepted at once, no operation. Only
   * while there is room (`hasRoom`). `epoch`: the connection it belongs to
   * (ACK, NACK), whose `version` it is escaped for. False, having queued no
   * frame, when it is not plain.
   */
  pushPlain(
    command: string,
    list: readonly string[],
    body: string | Uint8Array,
    version: StompVersion | undefined,
    epoch: number | undefined,
    contentLength = true,
  ): boolean {
    const batch = this.#batch(plainBound(command, list, body, version), epoch);
    const end = encodePlain(
      batch.buffer,
      batch.used,
      command,
      list,
      body,
      version,
      contentLength,
    );
    if (end === -1) return false;
    this.#grow(batch, end, epoch);
    return true;
  }

  /**
   * Encodes a frame at the call (an operation accepted at once): a plain
   * one into the arena, without a buffer of its own (the writer joins it to
   * its neighbours), any other for `version`, which throws a `TypeError`
   * for a frame the version cannot carry.
   */
  encodeNow(
    frame: StompFrame,
    text: string | undefined,
    version: StompVersion,
    lengthless: boolean,
  ): Uint8Array {
    const body = text ?? frame.body;
    const list = StompHeaders.flat(frame.headers);
    const room = this.#carve(plainBound(frame.command, list, body));
    const end = encodePlain(
      room,
      0,
      frame.command,
      list,
      body,
      undefined,
      !lengthless,
    );
    if (end !== -1) {
      this.#arenaUsed += end;
      return room.subarray(0, end);
    }
    return encodeWhole(frame, version, text, !lengthless);
  }

  /**
   * The bytes of an entry taken at its turn, for the connection's
   * `version`: encoded at the call for that version already, or now (a
   * plain frame straight into the arena, text bodies too). Throws for a
   * frame the version cannot carry (it then fails alone, unwritten).
   */
  bytesOf(entry: SendEntry | FrameEntry, version: StompVersion): Uint8Array {
    if (
      entry.kind === "frame" && entry.bytes !== undefined &&
      entry.version === version
    ) return entry.bytes;
    const lean = entry.kind === "send" ? entry : undefined;
    const built = lean === undefined
      ? typeof entry.frame === "function" ? entry.frame() : entry.frame
      : undefined;
    const command = built?.command ?? "SEND";
    const text = entry.text;
    const body = text ?? lean?.body ?? built!.body;
    const list = lean?.list ?? StompHeaders.flat(built!.headers);
    // Written now, on this connection: escaped for its version if need be.
    const room = this.#carve(plainBound(command, list, body, version));
    const end = encodePlain(
      room,
      0,
      command,
      list,
      body,
      version,
      !entry.lengthless,
    );
    if (end !== -1) {
      this.#arenaUsed += end;
      return room.subarray(0, end);
    }
    return encodeWhole(
      built ?? entry.frame as StompFrame,
      version,
      text,
      !entry.lengthless,
    );
  }

  #push(entry: Outgoing): void {
    entry.start = this.#queued;
    entry.state = "queued";
    this.#queued += entry.size;
    this.#queue.push(entry);
    if (entry.accept === undefined) return;
    if (entry.start - this.#finished + this.#held < this.limit) {
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
  #batch(bound: number, epoch?: number): Batch {
    const tail = this.#queue.length > this.#head
      ? this.#queue[this.#queue.length - 1]!
      : undefined;
    const open = tail?.kind === "batch" ? tail.batch : undefined;
    if (
      open !== undefined && tail!.state === "queued" && !open.sealed &&
      open.used < BATCH_BYTES && open.buffer.length - open.used >= bound &&
      (epoch === undefined || open.epoch === undefined || open.epoch === epoch)
    ) return open;
    // Carved out of a shared arena: bytes once written are never touched
    // again, so a batch taken by the writer and the next one can share it,
    // and a frame a turn costs no allocation.
    let arena = this.#arena;
    if (arena.length - this.#arenaUsed < Math.max(bound, arena.length >> 4)) {
      arena = this.#nextArena(bound);
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
    this.#push({
      kind: "batch",
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
   * Room for `bound` bytes in the arena, to encode a frame into; the caller
   * then adds what it used to `#arenaUsed`. Seals the open batch, whose next
   * frame would go there.
   */
  #carve(bound: number): Uint8Array {
    if (this.#open !== undefined) this.#open.sealed = true;
    if (this.#arena.length - this.#arenaUsed < bound) this.#nextArena(bound);
    return this.#arena.subarray(this.#arenaUsed);
  }

  /** A new arena with room for `bound`: twice the last, up to the largest. */
  #nextArena(bound: number): Uint8Array<ArrayBuffer> {
    const size = Math.min(ARENA_BYTES, this.#arena.length * 2 || ARENA_FIRST);
    this.#arena = new Uint8Array(Math.max(size, bound));
    this.#arenaUsed = 0;
    return this.#arena;
  }

  /**
   * A frame was written into the tail batch up to `end`: count it, and note
   * the connection it belongs to, if any.
   */
  #grow(batch: Batch, end: number, epoch?: number): void {
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
    this.#progressAt = this.#now();
    this.#finished += entry.size;
    entry.accept = undefined;
    entry.fail(error);
    this.#release();
  }

  /**
   * Entries taken by `shift` are written (or left out): count them, and
   * accept those that waited (in order, once what receipts hold allows).
   */
  written(entries: readonly Outgoing[], epoch: number): void {
    this.#progressAt = this.#now();
    for (const entry of entries) {
      this.#finished += entry.size;
      entry.written?.(epoch);
    }
    this.#release();
  }

  /**
   * A connection was lost: what belongs to it and was not written fails
   * with `error` (the rest waits for the next connection).
   */
  lost(epoch: number, error: Error): void {
    for (let i = this.#head; i < this.#queue.length; i++) {
      const entry = this.#queue[i]!;
      if (
        entry.state === "queued" && entry.kind === "batch" &&
        entry.batch.epoch === epoch
      ) {
        this.#unbind(entry, entry.batch);
      }
    }
    this.#drop(error, (entry) => entry.epoch === epoch);
  }

  /**
   * Takes a batch's frames that belong to a lost connection out of it (they
   * were accepted, and are lost with the connection); the others stay.
   */
  #unbind(entry: BatchEntry, batch: Batch): void {
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

  /**
   * The client closed: everything still queued fails with `error`, and the
   * arena goes (a closed client that is still referenced holds none).
   */
  closed(error: Error): void {
    this.#drop(error, () => true);
    this.#arena = new Uint8Array(0);
    this.#arenaUsed = 0;
    this.#open = undefined;
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
        // Written already: it waits only while receipts hold the limit.
        const ahead = Math.max(0, entry.start - this.#finished);
        if (ahead + this.#held >= this.limit) return;
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
