"""The WeChat commands run against the channel and the fake WeChat API of tests/channels."""

from tests.channels.conftest import channel_settings, fake_wechat_api

__all__ = ["channel_settings", "fake_wechat_api"]
