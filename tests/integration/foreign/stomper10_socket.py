"""python3-stomper's STOMP 1.0 module (stomper.stomp_10) against a broker
over a plain socket: its frames write a space after each header's colon
("destination: /queue/a", "message-id: m-1"), as STOMP 1.0 clients did and
as RabbitMQ and ActiveMQ accept. Connect, subscribe (client ack), send two
messages (the second in a transaction), ACK both, unsubscribe, disconnect.
Driven by tests/integration/interop_stomper10_test.ts, which passes one
JSON config as argv[1] and reads one JSON result, the last stdout line.

    /usr/bin/python3 stomper10_socket.py '{"host": ..., "port": ..., ...}'
"""

import json
import socket
import sys

from stomper import stomp_10
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
        buffer.appendData(data.decode("latin-1"))


def expect(command, message):
    if message["cmd"] != command:
        print(f"stomper10: expected {command}, got {message}", file=sys.stderr)
        sys.exit(1)
    return message


write(stomp_10.connect(config["login"], config["passcode"]))
connected = expect("CONNECTED", read())
write(stomp_10.subscribe(queue, ack="client"))
write(stomp_10.send(queue, "one"))
write(stomp_10.begin("tx-1"))
write(stomp_10.send(queue, "two", transactionid="tx-1"))
write(stomp_10.commit("tx-1"))
received = []
while len(received) < 2:
    message = expect("MESSAGE", read())
    received.append({
        "body": message["body"],
        "destination": message["headers"].get("destination"),
    })
    write(stomp_10.ack(message["headers"]["message-id"]))
write(stomp_10.unsubscribe(queue))
write(stomp_10.disconnect())
sock.close()
print(json.dumps({
    "version": connected["headers"].get("version"),
    "server": connected["headers"].get("server"),
    "received": received,
}))
