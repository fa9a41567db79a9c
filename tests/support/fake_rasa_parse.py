"""Stands in for the running assistant's NLU (Rasa's ``POST /model/parse?token=…``) in tests of
the test chat (``kb try``, the console's 试答): intents by keyword, shaped like Rasa's parse
results, in milliseconds instead of loading a 1 GB model. The router and the decision that
turn a parse into a reply are the real ones.

``python tests/support/fake_rasa_parse.py PORT TOKEN`` serves it until killed.
"""

from __future__ import annotations

import json
import sys
import threading
import urllib.parse
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator

# (keyword, intent) — the first keyword found in the text names the intent
KEYWORDS = (
    ("截止", "deadline"),
    ("停车", "submission_address"),
    ("交到哪", "submission_address"),
    ("推荐几个", "quota"),
    ("材料", "materials"),
    ("你好", "greet"),
)


def parse(text: str) -> dict:
    intent = next((name for word, name in KEYWORDS if word in text), "nlu_fallback")
    confidence = 0.97 if intent != "nlu_fallback" else 0.2
    top = {"name": intent, "confidence": confidence}
    return {"text": text, "intent": top, "intent_ranking": [top], "entities": []}


def handler(token: str):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            url = urllib.parse.urlparse(self.path)
            given = urllib.parse.parse_qs(url.query).get("token", [""])[0]
            if url.path != "/model/parse" or given != token:
                self.send_response(401 if url.path == "/model/parse" else 404)
                self.end_headers()
                return
            length = int(self.headers.get("Content-Length") or 0)
            text = json.loads(self.rfile.read(length) or b"{}").get("text", "")
            body = json.dumps(parse(text), ensure_ascii=False).encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    return Handler


@contextmanager
def serving(token: str = "test-token") -> Iterator[str]:
    """The base URL of a fake NLU on a free loopback port, for the ``with`` block."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler(token))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), handler(sys.argv[2])).serve_forever()
