"""stomp.py sends itself one message whose headers hold the characters each
STOMP version escapes differently, and a binary body with NUL in it, through
a broker; prints what it received as JSON (the last stdout line). Driven by
tests/integration/interop_escapes_test.ts.

    /usr/bin/python3 escapes_stomppy.py '{"port": ..., "version": "1.1", "headers": {...}, ...}'
"""

import base64
import json
import sys
import threading

import stomp

config = json.loads(sys.argv[1])
connection = {
    "1.0": stomp.Connection10,
    "1.1": stomp.Connection11,
    "1.2": stomp.Connection12,
}[config["version"]]
got = []
errors = []
done = threading.Event()


class Listener(stomp.ConnectionListener):
    def on_message(self, frame):
        got.append(frame)
        done.set()

    def on_error(self, frame):
        errors.append((frame.headers.get("message"), frame.body))
        done.set()


conn = connection([(config["host"], config["port"])], auto_decode=False)
conn.set_listener("", Listener())
conn.connect(config["login"], config["passcode"], wait=True)
conn.subscribe(config["queue"], id="s-1", ack="auto")
conn.send(config["queue"], base64.b64decode(config["body"]),
          headers=config["headers"])
if not done.wait(10) or errors:
    print(f"stomppy: {errors or 'timed out'}", file=sys.stderr)
    sys.exit(1)
conn.disconnect()
print(json.dumps({
    "headers": {k: v for k, v in got[0].headers.items() if k in config["headers"]},
    "body": base64.b64encode(got[0].body).decode(),
}))
