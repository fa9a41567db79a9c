"""Rasa's SQL tracker store, with long conversations kept as fast as short ones.

Every turn Rasa's ``SQLTrackerStore`` loads the events of the conversation's latest session
(the events since its last ``session_started``; twice when an event broker is configured,
whose ``stream_events`` loads the tracker again to find the new events), replays them into a
tracker, lets the policies read it and sends it whole to the action server. A session ends
only after ``session_expiration_time`` (domain.yml: 60 minutes) without a message, so an
applicant who asks 200 questions in one sitting makes each turn slower than the last.

``BoundedSQLTrackerStore`` ends a session by Rasa's own means once it holds more than
``max_session_events`` events: at the end of a turn (the last event is ``action_listen``)
and only while no form is active (a self-check in progress finishes first), it appends what
``action_session_start`` appends with ``carry_over_slots_to_new_session``: ``session_started``,
a ``slot`` event for every slot that has a value (the follow-up context: last topic, city,
applicant type, direction; the self-check's result), then ``action_listen``. Rasa's
``retrieve`` then loads only the new session. The event broker (the question log) gets the
new events from a count of the stored ones instead of a second load of the session.
Nothing is deleted: ``retrieve_full_tracker`` (and the question log) still see the whole
conversation; the daily purge may remove the closed sessions once they are older than
``RETENTION_DAYS``.

Every event of a rollover carries one timestamp, never earlier than the turn's last event,
because the SQL store finds the latest session by timestamp (instances must keep their
clocks in sync, as for Rasa's own sessions).

Finding the latest session is itself done so that its cost does not grow with the
conversation. Rasa's ``_event_query`` joins the events to a subquery holding the latest
``session_started`` timestamp; PostgreSQL, without statistics on ``events`` (a new table,
or autovacuum off) and estimating one row per sender, may run that subquery on the inner
side of a nested loop — once for every event of the conversation, and Rasa runs the query
three times a turn (load, the broker's count, ``save``'s count): 140 ms a query at 1,200
events, measured. Here the timestamp is looked up first (one indexed query) and the events
are then selected by ``sender_id`` and ``timestamp >=`` it — the same rows as Rasa's query,
whatever plan the database picks. Two indexes, created idempotently with the store, serve
the two queries: ``(sender_id, type_name, timestamp)`` and ``(sender_id, timestamp)``.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, Event, SessionStarted, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Query, Session

from bot.questionlog.db import private_file, secure_delete

logger = logging.getLogger(__name__)

DEFAULT_MAX_SESSION_EVENTS = 100

# Rasa's table, and (name, columns) of the indexes on it the queries below need
EVENTS_TABLE = SQLTrackerStore.SQLEvent.__tablename__
EVENT_INDEXES = (
    ("ix_events_sender_id_type_name_timestamp", ("sender_id", "type_name", "timestamp")),
    ("ix_events_sender_id_timestamp", ("sender_id", "timestamp")),
)


def events_in_session(tracker: DialogueStateTracker) -> int:
    """How many events the tracker holds since (and with) its latest ``session_started``."""
    count = 0
    for event in reversed(tracker.events):
        count += 1
        if isinstance(event, SessionStarted):
            break
    return count


def rollover_events(
    tracker: DialogueStateTracker, max_session_events: int, now: Optional[float] = None
) -> List[Event]:
    """The events that start a new session carrying the slots over, or ``[]`` when the
    latest session is short enough, a turn is still running, or a form is active."""
    if max_session_events <= 0 or not tracker.events:
        return []
    last = tracker.events[-1]
    if not (isinstance(last, ActionExecuted) and last.action_name == ACTION_LISTEN_NAME):
        return []
    if tracker.active_loop_name:
        return []
    if events_in_session(tracker) <= max_session_events:
        return []
    stamp = max(time.time() if now is None else now, last.timestamp)
    carried: List[Event] = [
        SlotSet(name, slot.value, timestamp=stamp)
        for name, slot in tracker.slots.items()
        if slot.value != slot.initial_value
    ]
    return [
        SessionStarted(timestamp=stamp),
        *carried,
        ActionExecuted(ACTION_LISTEN_NAME, timestamp=stamp),
    ]


def roll_over(
    tracker: DialogueStateTracker, max_session_events: int, now: Optional[float] = None
) -> bool:
    """Start a new session in ``tracker`` when it is due (see ``rollover_events``)."""
    events = rollover_events(tracker, max_session_events, now)
    for event in events:
        tracker.update(event)
    return bool(events)


def create_event_indexes(engine: Engine) -> None:
    """Create ``EVENT_INDEXES`` on Rasa's ``events`` table unless they exist (PostgreSQL and
    SQLite). Instances starting together may race: a failure is logged, the store works
    without the index (only slower), and the next start creates it."""
    quote = engine.dialect.identifier_preparer.quote
    for name, columns in EVENT_INDEXES:
        statement = (
            f"CREATE INDEX IF NOT EXISTS {quote(name)} ON {quote(EVENTS_TABLE)} "
            f"({', '.join(quote(column) for column in columns)})"
        )
        try:
            with engine.begin() as connection:
                connection.execute(sa.text(statement))
        except SQLAlchemyError as exc:
            logger.warning("Could not create index %s on events: %s", name, exc)


def _sqlite_file(options: Dict[str, Any]) -> Optional[Path]:
    """The SQLite file of an SQL tracker store's options (``dialect: sqlite``, ``db``), if any."""
    db = options.get("db")
    if options.get("dialect") == "sqlite" and db and db != ":memory:":
        return Path(str(db))
    return None


class BoundedSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` whose sessions hold at most about ``max_session_events`` events
    (endpoints.yml: ``type: bot.rasa.trackers.BoundedSQLTrackerStore``, ``max_session_events``)."""

    def __init__(
        self, *args: Any, max_session_events: int = DEFAULT_MAX_SESSION_EVENTS, **kwargs: Any
    ) -> None:
        sqlite_file = _sqlite_file(kwargs)
        if sqlite_file is not None:
            private_file(sqlite_file)  # 0600 before Rasa's engine creates it
        super().__init__(*args, **kwargs)
        if sqlite_file is not None:
            secure_delete(self.engine)
        self.max_session_events = int(max_session_events)
        create_event_indexes(self.engine)

    def latest_session_start(self, session: Session, sender_id: str) -> Optional[float]:
        """The timestamp of the conversation's latest ``session_started`` (None: none)."""
        event = self.SQLEvent
        return (
            session.query(sa.func.max(event.timestamp))
            .filter(event.sender_id == sender_id, event.type_name == SessionStarted.type_name)
            .scalar()
        )

    def _event_query(
        self, session: Session, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> Query:
        """Rasa's query for the conversation's events (all sessions, or the latest one: the
        events from its ``session_started`` on; every event when there is none), ordered by
        id — with the latest session's start looked up once, before the query."""
        event = self.SQLEvent
        query = session.query(event).filter(event.sender_id == sender_id)
        if not fetch_events_from_all_sessions:
            start = self.latest_session_start(session, sender_id)
            if start is not None:
                query = query.filter(event.timestamp >= start)
        return query.order_by(event.id)

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Rasa's ``save`` (publish the new events to the broker, then store them) with one
        count of the stored rows instead of two: Rasa's counts them once to publish and again,
        in a second database session, to store — the same number, as one conversation is
        saved by one instance at a time (the lock store)."""
        roll_over(tracker, self.max_session_events)
        with self.session_scope() as session:
            new_events = list(self._additional_events(session, tracker))
            if self.event_broker is not None:
                await self._stream_new_events(self.event_broker, new_events, tracker.sender_id)
            for event in new_events:
                session.add(self._row(tracker.sender_id, event))
            session.commit()
        logger.debug(f"Tracker with sender_id '{tracker.sender_id}' stored to database")

    def _row(self, sender_id: str, event: Event) -> Any:
        """The stored row of ``event``, as Rasa's ``SQLTrackerStore.save`` makes it."""
        data = event.as_dict()
        return self.SQLEvent(
            sender_id=sender_id,
            type_name=event.type_name,
            timestamp=data.get("timestamp"),
            intent_name=data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
            action_name=data.get("name"),
            data=json.dumps(data),
        )

    async def stream_events(self, tracker: DialogueStateTracker) -> None:
        """Publish the events not stored yet. Rasa's own finds them by loading and replaying
        the whole session once more each turn; counting the stored rows (the count ``save``
        makes anyway) gives the same events."""
        if self.event_broker is None:
            return
        with self.session_scope() as session:
            new_events = list(self._additional_events(session, tracker))
        await self._stream_new_events(self.event_broker, new_events, tracker.sender_id)
