"""stomp.py (Debian's python3-stomp) against the test broker, with its own
API: connect, subscribe, send (the second with a receipt), ACK, NACK (1.1 and
1.2) and the redelivery, DISCONNECT. Driven by
tests/integration/foreign_clients_test.ts, which passes one JSON config as
argv[1] and reads one JSON result, the last stdout line. stomp.py has no
WebSocket transport: TCP only.

    /usr/bin/python3 stomppy.py '{"host": ..., "port": ..., "version": "1.2", ...}'
"""

import json
import sys
import threading

import stomp

config = json.loads(sys.argv[1])
version = config["version"]
queue = config["queue"]
expected = 2 if version == "1.0" else 3

CONNECTIONS = {
    "1.0": stomp.Connection10,
    "1.1": stomp.Connection11,
    "1.2": stomp.Connection12,
}


class Listener(stomp.ConnectionListener):
    def __init__(self):
        self.received = []
        self.receipts = []
        self.errors = []
        self.connected = {}
        self.done = threading.Event()
        self.conn = None

    def on_connected(self, frame):
        self.connected = dict(frame.headers)

    def on_error(self, frame):
        self.errors.append(frame.headers.get("message", frame.body))
        self.done.set()

    def on_receipt(self, frame):
        self.receipts.append(frame.headers["receipt-id"])
        self.check()

    def on_message(self, frame):
        headers = frame.headers
        redelivered = headers.get("redelivered") == "true"
        self.received.append({
            "body": frame.body,
            "n": headers.get("n"),
            "redelivered": redelivered,
        })
        # Each version's own ACK form, written by stomp.py.
        if version == "1.2":
            ack_args = (headers["ack"],)
        elif version == "1.1":
            ack_args = (headers["message-id"], headers["subscription"])
        else:
            ack_args = (headers["message-id"],)
        if headers.get("n") == "2" and not redelivered and version != "1.0":
            self.conn.nack(*ack_args)
        else:
            self.conn.ack(*ack_args)
        self.check()

    def check(self):
        if len(self.received) >= expected and "r-send" in self.receipts:
            self.done.set()


conn = CONNECTIONS[version]([(config["host"], config["port"])])
listener = Listener()
listener.conn = conn
conn.set_listener("", listener)
conn.connect(config["login"], config["passcode"], wait=True,
             headers={"host": "/"})
ack_mode = "client" if version == "1.0" else "client-individual"
conn.subscribe(queue, id="sub-1", ack=ack_mode)
conn.send(queue, "one", headers={"n": "1"})
conn.send(queue, "two \u00fc", headers={"n": "2"}, receipt="r-send")
if not listener.done.wait(10):
    print(f"stomppy: timed out with {listener.received}", file=sys.stderr)
    sys.exit(1)
if listener.errors:
    print(f"stomppy: ERROR {listener.errors}", file=sys.stderr)
    sys.exit(1)
conn.disconnect(receipt="r-bye")
print(json.dumps({
    "version": listener.connected.get("version"),
    "server": listener.connected.get("server"),
    "received": listener.received,
    "receipts": listener.receipts,
}))
