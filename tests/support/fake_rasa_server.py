"""Stands in for ``bot.rasa.server`` in tests of the handoff (tests/bot/ops/test_serve_handoff.py):
the same spec file, status file and inherited socket, without Rasa (seconds instead of a minute).

The model file's first line says how to behave: ``serve`` (answer every request with this
process's pid and model after DELAY seconds), ``broken`` (cannot load), ``wrong`` (loads,
fails the check), ``slow`` (loads for 3 s, then serves).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

DELAY = 0.05


def write_status(path: Path, **content) -> None:
    previous = json.loads(path.read_text()) if path.exists() else {}
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps({**previous, "pid": os.getpid(), **content}))
    os.replace(temporary, path)


def main() -> None:
    while not Path(sys.argv[1]).exists():  # a standby: the spec comes with the model
        time.sleep(0.05)
    spec = json.loads(Path(sys.argv[1]).read_text())
    status = Path(spec["status"])
    model = Path(spec["model"])
    behaviour = model.read_text().split("\n")[0].strip()
    expect = spec.get("expect") or {}
    if behaviour == "broken":
        write_status(status, phase="loaded", ok=False, error="model could not be loaded")
        raise SystemExit(3)
    if behaviour == "wrong":
        write_status(
            status, phase="loaded", ok=False, right=0, checked=len(expect), wrong=list(expect)
        )
        raise SystemExit(3)
    if behaviour == "slow":
        time.sleep(3)
    write_status(status, phase="loaded", ok=True, right=len(expect), checked=len(expect), wrong=[])

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def do_GET(self) -> None:
            time.sleep(DELAY)
            body = json.dumps({"pid": os.getpid(), "model": model.name}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    listener = socket.socket(fileno=int(spec["fd"]))
    server = ThreadingHTTPServer(listener.getsockname(), Handler, bind_and_activate=False)
    server.socket.close()
    server.socket = listener
    server.daemon_threads = False
    server.block_on_close = True

    def stop(*_) -> None:
        # as Sanic stops: no more accepting, running requests finish
        threading.Thread(target=server.shutdown).start()

    signal.signal(signal.SIGTERM, stop)
    write_status(status, phase="serving", model_file=model.name)
    server.serve_forever(poll_interval=0.05)
    listener.close()
    server.server_close()


if __name__ == "__main__":
    main()
