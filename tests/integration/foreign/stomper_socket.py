"""python3-stomper (Debian's python3-stomper, the frame library this project
descends from) against the test broker over a plain socket: stomper builds
the frames (connect, subscribe, Frame.pack for SEND, ack, nack, disconnect)
and its StompBuffer cuts the broker's bytes into frames, which needs the
`\\0\\n` ending RabbitMQ and ActiveMQ write. stomper speaks STOMP 1.1. Driven
by tests/integration/foreign_clients_test.ts, which passes one JSON config
as argv[1] and reads one JSON result, the last stdout line.

    /usr/bin/python3 stomper_socket.py '{"host": ..., "port": ..., ...}'
"""

import json
import socket
import sys

import stomper
from stomper.stompbuffer import StompBuffer

config = json.loads(sys.argv[1])
queue = config["queue"]

sock = socket.create_connection((config["host"], config["port"]),
                                timeout=config.get("timeout", 10))
buffer = StompBuffer()


def write(frame):
    sock.sendall(frame.encode("utf-8"))


def read():
    """The next frame, as StompBuffer decodes it."""
    while True:
        message = buffer.getOneMessage()
        if message is not None:
            return message
        data = sock.recv(65536)
        if not data:
            raise EOFError(f"connection ended, buffer {buffer.buffer!r}")
        # StompBuffer works on str; latin-1 keeps one character per byte, so
        # that content-length (in bytes) counts right.
        buffer.appendData(data.decode("latin-1"))


def text(body):
    return body.encode("latin-1").decode("utf-8")


def packed(command, headers, body=""):
    frame = stomper.Frame()
    frame.cmd = command
    frame.headers = headers
    frame.body = body
    return frame.pack()


write(stomper.connect(config["login"], config["passcode"], "/"))
connected = read()
if connected["cmd"] != "CONNECTED":
    print(f"stomper: {connected}", file=sys.stderr)
    sys.exit(1)
write(stomper.subscribe(queue, "sub-1", ack="client-individual"))
write(packed("SEND", {"destination": queue, "n": "1"}, "one"))
write(packed("SEND", {"destination": queue, "n": "2", "receipt": "r-send"},
             "two \u00fc"))

received = []
receipts = []
while len(received) < 3 or "r-send" not in receipts:
    message = read()
    headers = message["headers"]
    if message["cmd"] == "RECEIPT":
        receipts.append(headers["receipt-id"])
    elif message["cmd"] == "MESSAGE":
        redelivered = headers.get("redelivered") == "true"
        received.append({
            "body": text(message["body"]),
            "n": headers.get("n"),
            "redelivered": redelivered,
        })
        if headers.get("n") == "2" and not redelivered:
            write(stomper.nack(headers["message-id"], headers["subscription"]))
        else:
            write(stomper.ack(headers["message-id"], headers["subscription"]))
    else:
        print(f"stomper: {message}", file=sys.stderr)
        sys.exit(1)

# stomper.disconnect() leaves out the blank line that ends the headers
# ("DISCONNECT\nreceipt:r-bye\n\0\n"), a malformed frame that the test
# broker answers with ERROR (RabbitMQ closes without a RECEIPT, ActiveMQ
# waits): Frame.pack() writes it whole.
write(packed("DISCONNECT", {"receipt": "r-bye"}))
bye = read()
receipts.append(bye["headers"].get("receipt-id", bye["cmd"]))
sock.close()
print(json.dumps({
    "version": connected["headers"].get("version"),
    "server": connected["headers"].get("server"),
    "received": received,
    "receipts": receipts,
}))
