"""The REST channel (POST /webhooks/rest/webhook), with privacy at the door.

Same protocol as Rasa's own RestInput; the sender id is pseudonymised and
personal data is masked before anything reaches Rasa.
"""

from __future__ import annotations

from typing import Any, Dict

from rasa.core.channels.rest import RestInput as RasaRestInput
from sanic import Blueprint
from sanic.request import Request

from channels.privacy import MAX_MESSAGE_CHARS, mask_text, pseudonymize
from channels.questions import OnNewMessage, one_question_at_a_time


class RestInput(RasaRestInput):
    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        return super().blueprint(one_question_at_a_time(on_new_message))

    async def _extract_sender(self, req: Request) -> str | None:
        raw = (req.json or {}).get("sender")
        return pseudonymize(self.name(), str(raw)) if raw is not None else None

    def get_metadata(self, request: Request) -> Dict[str, Any] | None:
        """Only a client's message id (for de-duplicating retries) passes; any other metadata could
        carry personal data into the tracker store, so it is dropped."""
        metadata = (request.json or {}).get("metadata")
        if not isinstance(metadata, dict):
            return None
        message_id = metadata.get("channel_message_id") or metadata.get("message_id")
        if message_id is None or isinstance(message_id, (dict, list)):
            return None
        return {"channel_message_id": mask_text(str(message_id))[:128]}

    def _extract_message(self, req: Request) -> str | None:
        text = (req.json or {}).get("message")
        if text is None:
            return None
        return mask_text(str(text)[:MAX_MESSAGE_CHARS])
