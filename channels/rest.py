"""The REST channel (POST /webhooks/rest/webhook), with privacy at the door.

Same protocol as Rasa's own RestInput; the sender id is pseudonymised and
personal data is masked before anything reaches Rasa.
"""

from __future__ import annotations

from typing import Optional, Text

from rasa.core.channels.rest import RestInput as RasaRestInput
from sanic.request import Request

from channels.privacy import MAX_MESSAGE_CHARS, mask_text, pseudonymize


class RestInput(RasaRestInput):
    @classmethod
    def name(cls) -> Text:
        return "rest"

    async def _extract_sender(self, req: Request) -> Optional[Text]:
        raw = (req.json or {}).get("sender")
        return pseudonymize(self.name(), str(raw)) if raw is not None else None

    def _extract_message(self, req: Request) -> Optional[Text]:
        text = (req.json or {}).get("message")
        if text is None:
            return None
        return mask_text(str(text)[:MAX_MESSAGE_CHARS])
