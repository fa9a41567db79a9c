"""The commission's web console: the question-log report, the review queue, conversations.

An aiohttp app of its own (``python -m bot console``, 127.0.0.1:5010 by default) beside the
assistant: it reads the question log (DATABASE_URL) and changes knowledge/ only through
``bot.kb.edit`` — the same validated write path as the review spreadsheet import.
"""
