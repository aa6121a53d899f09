/**
 * {@linkcode StompMessage}: a MESSAGE received through a subscription
 * (declared with the subscription that delivers it, so that neither module
 * imports the other).
 *
 * @module
 */

export type { MessageAckOptions, StompMessage } from "./subscription.ts";
