// What the end-to-end benchmark tells a client program and what the program
// answers. Every client (ours and each peer, in its own process and runtime)
// is started as `<runtime> <script> '<Config as JSON>'`, connects with
// heart-beats off, runs one scenario, disconnects and prints exactly one line
// of JSON (a Result) on stdout as its last line. Anything else goes to stderr.
// A failure exits non-zero with a message on stderr.
//
// The measured section starts after CONNECTED (and after SUBSCRIBE is sent for
// the consume scenarios) and ends when the scenario's last confirmation
// arrived; CPU is the process's own user + system time (getrusage, or
// `process.cpuUsage()`) over the same section, every thread included.

/** The scenarios a client program runs. */
export const SCENARIOS = [
  // `count` SENDs of `size` bytes, each awaited the way a user of that client
  // writes a loop (a client whose send returns nothing runs a plain loop); the
  // last SEND carries `receipt` and the section ends at its RECEIPT.
  "publish-awaited",
  // The same SENDs issued together (all calls made, then everything awaited);
  // the last SEND carries `receipt`; the section ends at its RECEIPT.
  "publish-together",
  // SUBSCRIBE with `ack:auto` to a queue already holding `count` messages of
  // `size` bytes; the section ends when the `count`th MESSAGE arrived.
  "consume-auto",
  // SUBSCRIBE with `ack:client-individual` and a prefetch of `prefetch`
  // (RabbitMQ `prefetch-count`, ActiveMQ `activemq.prefetchSize`), ACK every
  // MESSAGE; the last ACK carries `receipt` and the section ends at its RECEIPT.
  "consume-client",
  // `count` times: one SEND with `receipt`, wait for its RECEIPT; each round
  // trip's time is recorded.
  "receipt-rtt",
] as const;

/** One of {@linkcode SCENARIOS}. */
export type Scenario = typeof SCENARIOS[number];

/** What a client program is asked to do (argv[last] as JSON). */
export interface Config {
  readonly scenario: Scenario;
  /** `"tcp"` or `"ws"`; a peer that only has one says so by failing. */
  readonly transport: "tcp" | "ws";
  /** For TCP. */
  readonly host: string;
  readonly port: number;
  /** For WebSocket: e.g. `ws://127.0.0.1:15674/ws` (subprotocol `v12.stomp`). */
  readonly wsUrl: string;
  readonly login: string;
  readonly passcode: string;
  /** The CONNECT `host` header (RabbitMQ: virtual host `/`). */
  readonly vhost: string;
  /** `"rabbitmq"` or `"activemq"`: picks the prefetch header. */
  readonly broker: "rabbitmq" | "activemq";
  /** A fresh `/queue/...` for this run. */
  readonly destination: string;
  /** Messages to send or to receive. */
  readonly count: number;
  /** Body size in bytes: the body is `size` ASCII bytes, `"x"` repeated. */
  readonly size: number;
  /** For consume-client. */
  readonly prefetch: number;
}

/** What a client program prints (one line of JSON). */
export interface Result {
  /** Messages sent (publish, receipt-rtt) or received (consume). */
  readonly count: number;
  /** Body bytes sent or received. */
  readonly bytes: number;
  /** Wall time of the measured section, milliseconds. */
  readonly wallMs: number;
  /** CPU time of the process over the measured section, microseconds. */
  readonly cpuUs: number;
  /** receipt-rtt only: each round trip, microseconds, in order. */
  readonly rttUs?: number[];
}
