"""The base of the knowledge files' models: an unknown key is refused (a typo in a YAML file is
a problem ``kb check`` reports, never silently ignored), strings are stripped."""

from __future__ import annotations

from pydantic import BaseModel, Extra


class Strict(BaseModel):
    class Config:
        extra = Extra.forbid
        anystr_strip_whitespace = True
