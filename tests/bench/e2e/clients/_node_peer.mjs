// What the Node peer programs of the end-to-end benchmark share: the
// contract's Config from argv, failing on stderr with a non-zero exit, the
// measured section's wall and CPU time, and a safety timer so that nothing
// waits for ever (see ../_protocol.ts).

import process from "node:process";

// Nothing may wait for ever: a stuck broker or a lost receipt ends the run.
const SAFETY_MS = 10 * 60 * 1000;

/**
 * The helpers of one peer program, its messages prefixed with `name`.
 *
 * @param {string} name
 */
export function nodePeer(name) {
  /** @param {string} message @returns {never} */
  function fail(message) {
    console.error(`${name}: ${message}`);
    process.exit(1);
  }

  /** @returns {import("../_protocol.ts").Config} */
  function readConfig() {
    const json = process.argv.at(-1);
    let config;
    try {
      config = JSON.parse(json ?? "");
    } catch (error) {
      fail(`the last argument is not the Config as JSON: ${error}`);
    }
    if (config.transport !== "tcp") {
      fail(`transport "${config.transport}" is not supported: tcp only`);
    }
    if (!(config.count >= 1)) {
      fail(`count must be at least 1: ${config.count}`);
    }
    return config;
  }

  /** Starts the measured section; the returned function ends it. */
  function startSection() {
    const cpu = process.cpuUsage();
    const t0 = performance.now();
    return () => {
      const wallMs = performance.now() - t0;
      const { user, system } = process.cpuUsage(cpu);
      return { wallMs, cpuUs: user + system };
    };
  }

  /** Ends the run if no result came within the safety limit. */
  function startSafetyTimer() {
    return setTimeout(
      () => fail(`no result after ${SAFETY_MS / 1000} s: giving up`),
      SAFETY_MS,
    );
  }

  return { fail, readConfig, startSection, startSafetyTimer };
}
