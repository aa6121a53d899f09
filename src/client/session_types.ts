/**
 * The types of {@linkcode StompSession}: its options, the frames it returns
 * and the events it reports.
 *
 * @module
 */

import type { AckMode, HeartBeat } from "../builders.ts";
import type { StompFrame, StompVersion } from "../frame.ts";
import type { StompHeadersInit } from "../headers.ts";
import type { NegotiatedHeartBeat } from "../_heartbeat.ts";
import type { StompServerError } from "./errors.ts";

/**
 * The states of a {@linkcode StompSession}:
 * - `idle`: nothing sent yet (again idle after {@linkcode StompSession.reset}).
 * - `connecting`: CONNECT sent, waiting for CONNECTED.
 * - `connected`: operations allowed.
 * - `disconnecting`: DISCONNECT sent, waiting for its RECEIPT.
 * - `closed`: the session ended (RECEIPT of the DISCONNECT, an ERROR frame, or
 *   {@linkcode StompSession.close}).
 */
export type StompSessionState =
  | "idle"
  | "connecting"
  | "connected"
  | "disconnecting"
  | "closed";

/** Options of {@linkcode StompSession}: what the CONNECT frame says. */
export interface StompSessionOptions {
  /**
   * The virtual host (the `host` header).
   *
   * @default {"/"}
   */
  host?: string | undefined;
  /** The user name. */
  login?: string | undefined;
  /** The password. */
  passcode?: string | undefined;
  /**
   * The versions offered, in `accept-version`.
   *
   * @default {["1.0", "1.1", "1.2"]}
   */
  acceptVersion?: readonly StompVersion[] | undefined;
  /**
   * Heart-beats offered, in milliseconds: `[client sends every, client wants
   * every]`; 0 turns a direction off.
   *
   * @default {[10000, 10000]}
   */
  heartBeat?: HeartBeat | undefined;
  /** Extra CONNECT headers, appended after the session's own. */
  headers?: StompHeadersInit | undefined;
  /**
   * The command that opens the session: `STOMP` (STOMP 1.1+, which servers
   * can tell apart from HTTP) or `CONNECT` (understood by every server).
   *
   * @default {"CONNECT"}
   */
  command?: "CONNECT" | "STOMP" | undefined;
}

/**
 * What {@linkcode StompSession.connectFrame} can take in place of the
 * session's options, for one connection: each value given replaces the
 * option of the same name (`headers` as a whole).
 */
export interface ConnectOverrides {
  /** The virtual host. */
  readonly host?: string | undefined;
  /** The user name. */
  readonly login?: string | undefined;
  /** The password. */
  readonly passcode?: string | undefined;
  /** The extra CONNECT headers. */
  readonly headers?: StompHeadersInit | undefined;
}

/** A subscription as the session knows it. */
export interface SessionSubscription {
  /** The subscription id, unique in the session. */
  readonly id: string;
  /** The destination subscribed to. */
  readonly destination: string;
  /** The acknowledgement mode. */
  readonly ack: AckMode;
  /** Extra SUBSCRIBE headers, sent again when re-subscribing. */
  readonly headers: StompHeadersInit | undefined;
}

/** What the session asks to be sent: a frame, and the receipt id it asked for. */
export interface SessionOutput {
  /** The frame to send. */
  readonly frame: StompFrame;
  /** The receipt id the frame carries, when a receipt was asked for. */
  readonly receipt: string | undefined;
}

/** What {@linkcode StompSession.subscribe} returns. */
export interface SessionSubscribeOutput extends SessionOutput {
  /** The new subscription. */
  readonly subscription: SessionSubscription;
}

/** What {@linkcode StompSession.begin} returns. */
export interface SessionBeginOutput extends SessionOutput {
  /** The new transaction id. */
  readonly transaction: string;
}

/** Options of the session's operations that can ask for a RECEIPT. */
export interface SessionReceiptOptions {
  /** Whether to ask the server for a RECEIPT. */
  receipt?: boolean | undefined;
  /** Extra headers, appended after the frame's own. */
  headers?: StompHeadersInit | undefined;
}

/** Options of {@linkcode StompSession.send}. */
export interface SessionSendOptions extends SessionReceiptOptions {
  /** The MIME type of the body. */
  contentType?: string | undefined;
  /** The transaction the message belongs to. */
  transaction?: string | undefined;
}

/** Options of {@linkcode StompSession.subscribe}. */
export interface SessionSubscribeOptions extends SessionReceiptOptions {
  /**
   * The acknowledgement mode.
   *
   * @default {"auto"}
   */
  ack?: AckMode | undefined;
}

/** Options of {@linkcode StompSession.resubscribe}. */
export interface ResubscribeOptions {
  /** Restores only the subscriptions for which this returns `true`. */
  only?: ((subscription: SessionSubscription) => boolean) | undefined;
  /**
   * Whether each SUBSCRIBE asks for a RECEIPT.
   *
   * @default {false}
   */
  receipt?: boolean | undefined;
}

/** Options of {@linkcode StompSession.ack} and {@linkcode StompSession.nack}. */
export interface SessionAckOptions extends SessionReceiptOptions {
  /** The transaction the acknowledgement belongs to. */
  transaction?: string | undefined;
}

/** The server accepted the session. */
export interface SessionConnectedEvent {
  /** The event type. */
  readonly type: "connected";
  /** The CONNECTED frame. */
  readonly frame: StompFrame;
  /** The negotiated version: the codec must use it from the next frame on. */
  readonly version: StompVersion;
  /** The negotiated heart-beat intervals. */
  readonly heartBeat: NegotiatedHeartBeat;
}

/** A MESSAGE arrived. */
export interface SessionMessageEvent {
  /** The event type. */
  readonly type: "message";
  /** The MESSAGE frame. */
  readonly frame: StompFrame;
  /**
   * The subscription it belongs to; `undefined` when the subscription was
   * cancelled already (a message in flight when UNSUBSCRIBE went out), in
   * which case it is best dropped: the server takes back what was not
   * acknowledged.
   */
  readonly subscription: SessionSubscription | undefined;
}

/** A RECEIPT arrived. */
export interface SessionReceiptEvent {
  /** The event type. */
  readonly type: "receipt";
  /** The RECEIPT frame. */
  readonly frame: StompFrame;
  /** The receipt id it confirms. */
  readonly receiptId: string;
  /** Whether it confirms the DISCONNECT: the session is now closed. */
  readonly disconnected: boolean;
}

/** An ERROR arrived: the session is closed (the server closes the connection). */
export interface SessionErrorEvent {
  /** The event type. */
  readonly type: "error";
  /** The ERROR frame. */
  readonly frame: StompFrame;
  /** The error, carrying the frame. */
  readonly error: StompServerError;
  /** The receipt id of the frame that caused it, when pending. */
  readonly receiptId: string | undefined;
}

/** What a received frame means, as returned by {@linkcode StompSession.receive}. */
export type StompSessionEvent =
  | SessionConnectedEvent
  | SessionMessageEvent
  | SessionReceiptEvent
  | SessionErrorEvent;
