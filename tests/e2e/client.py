"""A tiny REST client for end-to-end tests."""

from __future__ import annotations

import json
import urllib.request
from typing import List


def say(url: str, sender: str, message: str, timeout: float = 60) -> List[str]:
    body = json.dumps({"sender": sender, "message": message}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return [reply.get("text", "") for reply in json.loads(response.read())]


def say_text(url: str, sender: str, message: str, timeout: float = 60) -> str:
    return "\n".join(say(url, sender, message, timeout))
