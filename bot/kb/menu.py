"""The pydantic model of knowledge/wechat_menu.yml: the official account's custom menu.

A CLICK leaf carries a ``key`` and the question (``ask``) the channel sends to the assistant
when it is tapped; a VIEW leaf opens ``url``. The same file feeds ``python -m bot wechat menu``
(which uploads it) and the channel (which maps CLICK keys to questions).
"""

from __future__ import annotations

from typing import Any, Dict, List, Literal

from pydantic import BaseModel, Extra, root_validator, validator


class MenuButton(BaseModel):
    name: str
    type: Literal["click", "view"] | None = None
    key: str | None = None
    ask: str | None = None
    url: str | None = None
    sub_button: List[MenuButton] = []

    class Config:
        extra = Extra.forbid

    @validator("sub_button")
    def _at_most_five(cls, value):  # noqa: N805 - pydantic validators are classmethods
        if len(value) > 5:
            raise ValueError("一个一级菜单下最多 5 个二级菜单")
        return value

    @root_validator(skip_on_failure=True)
    def _leaf_is_complete(cls, values):  # noqa: N805
        if values.get("sub_button"):
            if values.get("type"):
                raise ValueError(f"“{values['name']}”有二级菜单，就不能再设 type")
            return values
        kind = values.get("type")
        if kind == "click" and not (values.get("key") and values.get("ask")):
            raise ValueError(f"点击菜单“{values['name']}”需要 key 和 ask（发给助手的问题）")
        if kind == "view" and not (values.get("url") or "").startswith(("http://", "https://")):
            raise ValueError(f"跳转菜单“{values['name']}”需要以 http(s):// 开头的 url")
        if kind is None:
            raise ValueError(f"菜单“{values['name']}”需要 type: click 或 type: view")
        return values

    def leaves(self) -> List[MenuButton]:
        return (
            [leaf for sub in self.sub_button for leaf in sub.leaves()]
            if self.sub_button
            else [self]
        )

    def to_wechat(self) -> Dict[str, Any]:
        if self.sub_button:
            return {"name": self.name, "sub_button": [b.to_wechat() for b in self.sub_button]}
        if self.type == "click":
            return {"type": "click", "name": self.name, "key": self.key}
        return {"type": "view", "name": self.name, "url": self.url}


MenuButton.update_forward_refs()


class Menu(BaseModel):
    button: List[MenuButton]

    class Config:
        extra = Extra.forbid

    @validator("button")
    def _one_to_three(cls, value):  # noqa: N805
        if not 1 <= len(value) <= 3:
            raise ValueError("一级菜单需要 1 到 3 个")
        return value

    def asks(self) -> Dict[str, str]:
        """CLICK key → the question sent to the assistant."""
        return {
            leaf.key: leaf.ask
            for b in self.button
            for leaf in b.leaves()
            if leaf.type == "click" and leaf.key and leaf.ask
        }

    def to_wechat(self) -> Dict[str, Any]:
        return {"button": [b.to_wechat() for b in self.button]}
