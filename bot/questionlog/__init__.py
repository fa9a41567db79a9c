"""The question log: one row per applicant message, its report and the review loop.

Rows are captured by ``broker.QuestionLogBroker`` (Rasa's event-broker hook, off
the reply path), stored with SQLAlchemy on ``DATABASE_URL`` and read by
``report``, ``review`` and ``purge`` (``python -m bot report|review|purge``).
"""
