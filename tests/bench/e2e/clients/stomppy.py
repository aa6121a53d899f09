"""A peer client program of the end-to-end benchmark: stomp.py 8,
TCP transport only. It follows the contract in ../_protocol.ts: one scenario,
one JSON Result as the last stdout line, errors on stderr with a non-zero exit.
Run with Debian's python3-stomp (not a python earlier on PATH) as

    /usr/bin/python3 tests/bench/e2e/clients/stomppy.py '<Config JSON>'
"""

import json
import os
import resource
import sys
import threading
import time

import stomp

NAME = "stomppy"
# Nothing may wait for ever: a stuck broker or a lost receipt ends the run.
SAFETY_S = 10 * 60


def fail(message):
    print(f"{NAME}: {message}", file=sys.stderr, flush=True)
    # os._exit: stomp.py's receiver thread may be the caller, and a blocked
    # send must not keep the process alive.
    os._exit(1)


def read_config():
    try:
        config = json.loads(sys.argv[-1])
    except (IndexError, ValueError) as error:
        fail(f"the last argument is not the Config as JSON: {error}")
    if config["transport"] != "tcp":
        fail(f'transport "{config["transport"]}" is not supported: tcp only')
    if not config["count"] >= 1:
        fail(f"count must be at least 1: {config['count']}")
    return config


def cpu_us():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return round((usage.ru_utime + usage.ru_stime) * 1e6)


def start_section():
    """Starts the measured section; the returned function ends it."""
    cpu = cpu_us()
    t0 = time.perf_counter()

    def end():
        return {"wallMs": (time.perf_counter() - t0) * 1e3, "cpuUs": cpu_us() - cpu}

    return end


class Listener(stomp.ConnectionListener):
    """Turns receipts and messages into threading events for the main thread.

    Callbacks run on stomp.py's receiver thread."""

    def __init__(self):
        self.receipt = threading.Event()
        self.expected = None
        self.closing = False
        self.disconnected = threading.Event()
        # Set by the scenario when it consumes: called for every MESSAGE.
        self.on_message_frame = None

    def expect_receipt(self, receipt_id):
        self.receipt.clear()
        self.expected = receipt_id

    def wait_receipt(self):
        if not self.receipt.wait(SAFETY_S):
            fail(f"no RECEIPT for {self.expected}")

    def on_receipt(self, frame):
        if frame.headers.get("receipt-id") == self.expected:
            self.receipt.set()

    def on_message(self, frame):
        if self.on_message_frame is not None:
            self.on_message_frame(frame)

    def on_error(self, frame):
        fail(f"ERROR frame: {frame.headers.get('message', '')} {frame.body}")

    def on_disconnected(self):
        if not self.closing:
            fail("connection lost")
        self.disconnected.set()


def main():
    config = read_config()
    safety = threading.Timer(
        SAFETY_S, fail, [f"no result after {SAFETY_S} s: giving up"]
    )
    safety.daemon = True
    safety.start()

    listener = Listener()
    conn = stomp.Connection(
        [(config["host"], config["port"])],
        heartbeats=(0, 0),
        vhost=config["vhost"],
    )
    conn.set_listener("bench", listener)
    try:
        conn.connect(config["login"], config["passcode"], wait=True)
    except Exception as error:
        fail(f"cannot connect to {config['host']}:{config['port']}: {error!r}")

    destination = config["destination"]
    count = config["count"]
    size = config["size"]
    body = "x" * size
    scenario = config["scenario"]

    # conn.send() writes the frame with sendall and returns nothing, so
    # "awaited" and "together" are the same loop; only the last receipt is
    # waited for.
    if scenario in ("publish-awaited", "publish-together"):
        listener.expect_receipt("last-send")
        end = start_section()
        for _ in range(count - 1):
            conn.send(destination, body)
        conn.send(destination, body, receipt="last-send")
        listener.wait_receipt()
        result = {"count": count, "bytes": count * size, **end()}

    elif scenario in ("consume-auto", "consume-client"):
        individual = scenario == "consume-client"
        tally = {"received": 0, "bytes": 0}
        done = threading.Event()

        def on_message(frame):
            # Messages past `count` (prefetched) are left unacknowledged.
            if tally["received"] == count:
                return
            tally["bytes"] += len(frame.body.encode())
            tally["received"] += 1
            if not individual:
                if tally["received"] == count:
                    done.set()
            elif tally["received"] < count:
                conn.ack(frame.headers["message-id"], frame.headers["subscription"])
            else:
                listener.expect_receipt("last-ack")
                conn.ack(
                    frame.headers["message-id"],
                    frame.headers["subscription"],
                    receipt="last-ack",
                )
                done.set()

        listener.on_message_frame = on_message
        if individual:
            prefetch = (
                "activemq.prefetchSize"
                if config["broker"] == "activemq"
                else "prefetch-count"
            )
            conn.subscribe(
                destination,
                id="bench",
                ack="client-individual",
                headers={prefetch: str(config["prefetch"])},
            )
        else:
            conn.subscribe(destination, id="bench", ack="auto")
        end = start_section()
        if not done.wait(SAFETY_S):
            fail(f"only {tally['received']} of {count} messages arrived")
        if individual:
            listener.wait_receipt()
        result = {"count": tally["received"], "bytes": tally["bytes"], **end()}

    elif scenario == "receipt-rtt":
        rtt_us = []
        end = start_section()
        for i in range(count):
            receipt_id = f"rtt-{i}"
            t0 = time.perf_counter()
            listener.expect_receipt(receipt_id)
            conn.send(destination, body, receipt=receipt_id)
            listener.wait_receipt()
            rtt_us.append(round((time.perf_counter() - t0) * 1e6, 1))
        result = {"count": count, "bytes": count * size, **end(), "rttUs": rtt_us}

    else:
        fail(f'unknown scenario: "{scenario}"')

    listener.closing = True
    # disconnect() only sends DISCONNECT; the socket closes on its RECEIPT.
    conn.disconnect()
    if not listener.disconnected.wait(10):
        fail("no RECEIPT for DISCONNECT")
    safety.cancel()
    print(json.dumps(result, separators=(",", ":")), flush=True)


if __name__ == "__main__":
    main()
