"""Fakes and helpers shared by the tests (never collected as tests themselves).

wechat_fakes      WeChat's side: signed/encrypted requests, a fake WeChat API, a channel server
telegram_fakes    a fake Bot API, updates, a channel server, webhook helpers
rest              the REST channel on a real Sanic server with a stand-in Rasa agent
question_log      Rasa events as the question-log broker receives them; rows as it writes them
question_log_seed a seeded question log with known numbers (report/review tests)
postgres          a private PostgreSQL server for outage tests; spare ports
fixtures          pytest fixtures shared across folders (imported by tests/conftest.py)
"""
