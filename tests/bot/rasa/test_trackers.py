"""bot/rasa/trackers.py: long conversations roll over into a new session with their slots, in the
real SQL tracker store (SQLite; PostgreSQL when TEST_DATABASE_URL is set), the way Rasa's
processor uses it: retrieve, add one turn's events, save."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path
from typing import List, Optional

import pytest
import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import read_endpoint_config

from bot.ops.runtime_config import write_runtime_config
from bot.rasa.trackers import (
    EVENT_INDEXES,
    BoundedSQLTrackerStore,
    events_in_session,
    roll_over,
    rollover_events,
)
from bot.settings import PROJECT_DIR, Settings

DOMAIN = Domain.load(str(PROJECT_DIR / "domain.yml"))
DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
LIMIT = 30


def user(text: str, intent: str = "faq_deadline") -> UserUttered:
    return UserUttered(text, intent={"name": intent, "confidence": 0.95})


def listen() -> ActionExecuted:
    return ActionExecuted("action_listen")


def tracker_of(events: List[Event]) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("t", events, DOMAIN.slots)


def answered(count: int) -> List[Event]:
    """A session with ``count`` answered questions (5 events each) after its start."""
    events: List[Event] = [ActionExecuted("action_session_start"), SessionStarted(), listen()]
    for n in range(count):
        events += [
            user(f"问题{n}"),
            ActionExecuted("action_answer"),
            SlotSet("last_topic", "faq_deadline"),
        ]
        events += [SlotSet("city", "长沙"), listen()]
    return events


@pytest.mark.parametrize(
    "events, limit, rolls",
    [
        (answered(2), LIMIT, False),  # short
        (answered(10), LIMIT, True),  # long, at the end of a turn
        (answered(10), 0, False),  # 0: Rasa's own behaviour
        (answered(10)[:-1], LIMIT, False),  # a turn still running (no action_listen yet)
        (answered(10) + [user("还有")], LIMIT, False),  # the next message logged, not answered
        (answered(10) + [ActiveLoop("selfcheck_form"), listen()], LIMIT, False),  # form active
        (answered(10) + [ActiveLoop("selfcheck_form"), ActiveLoop(None), listen()], LIMIT, True),
    ],
    ids=["short", "long", "off", "mid-turn", "message-pending", "form-active", "form-done"],
)
def test_when_a_session_rolls_over(events, limit, rolls):
    assert bool(rollover_events(tracker_of(events), limit)) is rolls


def test_a_rollover_is_rasas_session_start_with_the_slots_carried_over():
    tracker = tracker_of(answered(10))
    last = tracker.events[-1].timestamp
    assert roll_over(tracker, LIMIT, now=last - 5)  # a clock behind the events: never earlier
    new = list(tracker.events)[-4:]
    assert isinstance(new[0], SessionStarted) and new[-1] == listen()
    assert {(e.key, e.value) for e in new[1:-1]} == {
        ("last_topic", "faq_deadline"),
        ("city", "长沙"),
    }
    assert {e.timestamp for e in new} == {last}
    assert tracker.get_slot("city") == "长沙" and events_in_session(tracker) == 4
    assert not roll_over(tracker, LIMIT)  # the new session is short


# -- the real store, turn by turn ------------------------------------------------------------


def sqlite_store(tmp_path: Path) -> TrackerStore:
    """Built by Rasa from the endpoints.yml bot.ops.runtime_config writes (the embedded default)."""
    settings = Settings(tracker_db=tmp_path / "tracker.db", tracker_max_session_events=LIMIT)
    paths = write_runtime_config(settings, build_dir=tmp_path)
    return TrackerStore.create(
        read_endpoint_config(str(paths["endpoints"]), "tracker_store"), DOMAIN
    )


def postgres_store(tmp_path: Path) -> TrackerStore:
    settings = Settings(tracker_store_url=DATABASE_URL, tracker_max_session_events=LIMIT)
    paths = write_runtime_config(settings, build_dir=tmp_path)
    return TrackerStore.create(
        read_endpoint_config(str(paths["endpoints"]), "tracker_store"), DOMAIN
    )


BACKENDS = [
    pytest.param(sqlite_store, id="sqlite"),
    pytest.param(
        postgres_store,
        id="postgresql",
        marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(not DATABASE_URL, reason="TEST_DATABASE_URL (.ci/run sets it)"),
        ],
    ),
]


async def turn(store: TrackerStore, sender: str, *events: Event) -> DialogueStateTracker:
    """One turn as Rasa's processor runs it: fetch (a new conversation starts its session),
    add the turn's events, end listening, save. Returns the tracker as the next turn sees it."""
    tracker = await store.get_or_create_tracker(sender, append_action_listen=False)
    if not tracker.events:
        for event in (ActionExecuted("action_session_start"), SessionStarted(), listen()):
            tracker.update(event, DOMAIN)
    for event in events:
        event.timestamp = time.time()  # made now, as Rasa makes them during the turn
        tracker.update(event, DOMAIN)
    tracker.update(listen(), DOMAIN)
    await store.save(tracker)
    loaded = await store.retrieve(sender)
    assert loaded is not None
    return loaded


def question(text: str, topic: Optional[str] = "faq_quota", city: Optional[str] = None):
    events: List[Event] = [user(text, topic or "inform"), ActionExecuted("action_answer")]
    if topic:
        events.append(SlotSet("last_topic", topic))
    if city:
        events.append(SlotSet("city", city))
    return events


@pytest.mark.parametrize("make_store", BACKENDS)
async def test_a_long_conversation_stays_bounded_and_keeps_its_follow_up_context(
    make_store, tmp_path
):
    store = make_store(tmp_path)
    assert isinstance(store, BoundedSQLTrackerStore) and store.max_session_events == LIMIT
    sender = f"long-{uuid.uuid4().hex[:8]}"
    await turn(store, sender, *question("长沙能推荐几个？", city="长沙"))
    sizes = []
    for n in range(60):
        loaded = await turn(store, sender, *question(f"第{n}个问题", topic="faq_deadline"))
        sizes.append(len(loaded.events))
    assert max(sizes) <= LIMIT + 1 + len(DOMAIN.slots)  # never the whole conversation
    assert loaded.get_slot("city") == "长沙" and loaded.get_slot("last_topic") == "faq_deadline"
    # a follow-up right after a rollover still has the topic and the city
    follow_up = await turn(store, sender, *question("那株洲呢？", topic=None, city="株洲"))
    assert (
        follow_up.get_slot("last_topic") == "faq_deadline" and follow_up.get_slot("city") == "株洲"
    )
    everything = await store.retrieve_full_tracker(sender)
    texts = [e.text for e in everything.events if isinstance(e, UserUttered)]
    assert len(texts) == 62 and texts[0] == "长沙能推荐几个？" and texts[-1] == "那株洲呢？"
    assert sum(isinstance(e, SessionStarted) for e in everything.events) >= 60 * 4 // LIMIT
    if isinstance(store, SQLTrackerStore):
        store.engine.dispose()


@pytest.mark.parametrize("make_store", BACKENDS)
async def test_an_active_self_check_is_never_cut_and_rolls_over_when_it_ends(make_store, tmp_path):
    store = make_store(tmp_path)
    sender = f"form-{uuid.uuid4().hex[:8]}"
    for n in range(8):  # close to the limit before the self-check starts
        await turn(store, sender, *question(f"问题{n}", city="长沙"))
    loaded = await turn(
        store,
        sender,
        user("我想自测一下", "selfcheck"),
        ActionExecuted("selfcheck_form"),
        ActiveLoop("selfcheck_form"),
        SlotSet("requested_slot", "sc_type"),
    )
    for n in range(15):  # a long self-check: answers and questions in between
        loaded = await turn(
            store,
            sender,
            user(f"回答{n}", "selfcheck_answer"),
            ActionExecuted("selfcheck_form"),
            SlotSet("sc_answer", f"回答{n}"),
        )
        assert loaded.active_loop_name == "selfcheck_form"
        assert loaded.get_slot("requested_slot") == "sc_type"
    assert events_in_session(loaded) > LIMIT  # over the limit, still one session
    assert loaded.get_slot("city") == "长沙"
    done = await turn(
        store,
        sender,
        user("三百万", "selfcheck_answer"),
        ActionExecuted("selfcheck_form"),
        ActiveLoop(None),
        SlotSet("requested_slot", None),
        ActionExecuted("action_selfcheck_result"),
        SlotSet("sc_result_code", "ZC-TEST"),
    )
    assert done.active_loop_name is None
    assert isinstance(done.events[0], SessionStarted) and events_in_session(done) < LIMIT
    assert done.get_slot("sc_result_code") == "ZC-TEST" and done.get_slot("city") == "长沙"
    if isinstance(store, SQLTrackerStore):
        store.engine.dispose()


class Collecting(EventBroker):
    def __init__(self) -> None:
        self.published: List[dict] = []

    def publish(self, event: dict) -> None:
        self.published.append(event)


@pytest.mark.parametrize("make_store", BACKENDS)
async def test_the_event_broker_gets_each_new_event_once(make_store, tmp_path):
    """What Rasa's own stream_events would publish (it reloads the session to find it)."""
    store = make_store(tmp_path)
    store.event_broker = Collecting()
    sender = f"broker-{uuid.uuid4().hex[:8]}"
    for n in range(12):
        before = len(store.event_broker.published)
        await turn(store, sender, *question(f"问题{n}", city="长沙"))
        new = store.event_broker.published[before:]
        assert new and all(e["sender_id"] == sender for e in new)
        assert new[-1]["event"] == "action" and new[-1]["name"] == "action_listen"
    everything = await store.retrieve_full_tracker(sender)
    assert [e["event"] for e in store.event_broker.published] == [
        e.as_dict()["event"] for e in everything.events
    ]
    assert sum(e["event"] == "session_started" for e in store.event_broker.published) > 1
    if isinstance(store, SQLTrackerStore):
        store.engine.dispose()


def stored_rows(store: SQLTrackerStore, sender: str) -> List[tuple]:
    """The rows of ``sender`` as stored, without their ids."""
    with store.session_scope() as session:
        rows = (
            session.query(store.SQLEvent)
            .filter(store.SQLEvent.sender_id == sender)
            .order_by(store.SQLEvent.id)
            .all()
        )
        return [(r.type_name, r.timestamp, r.intent_name, r.action_name, r.data) for r in rows]


async def test_save_stores_and_publishes_what_rasas_own_store_does(tmp_path):
    """One count of the stored rows per save instead of Rasa's two; the same rows, the same
    events published, on a conversation that rolls over (limit 0: Rasa's store itself)."""
    import sqlalchemy as sa

    ours = BoundedSQLTrackerStore(DOMAIN, db=str(tmp_path / "ours.db"), max_session_events=LIMIT)
    rasas = BoundedSQLTrackerStore(DOMAIN, db=str(tmp_path / "rasas.db"), max_session_events=0)
    rasas.save = lambda tracker: SQLTrackerStore.save(rasas, tracker)  # Rasa's own save
    counts: List[str] = []
    sa.event.listen(
        ours.engine,
        "before_cursor_execute",
        lambda conn, cursor, statement, *args: (
            counts.append(statement) if "count(" in statement.lower() else None
        ),
    )
    ours.event_broker, rasas.event_broker = Collecting(), Collecting()
    sender = f"same-{uuid.uuid4().hex[:8]}"
    tracker = DialogueStateTracker.from_events(sender, [], DOMAIN.slots)
    for event in (ActionExecuted("action_session_start"), SessionStarted(), listen()):
        tracker.update(event, DOMAIN)
    saves = 0
    for n in range(12):
        for event in [*question(f"问题{n}", city="长沙"), listen()]:
            tracker.update(event, DOMAIN)
        roll_over(tracker, LIMIT)  # what ours does in save, done for both
        twin = tracker.copy()
        await ours.save(tracker)
        await rasas.save(twin)
        saves += 1
    assert sum(isinstance(e, SessionStarted) for e in tracker.events) > 1  # it rolled over
    assert stored_rows(ours, sender) == stored_rows(rasas, sender)
    assert ours.event_broker.published == rasas.event_broker.published
    assert len(counts) == saves
    ours.engine.dispose()
    rasas.engine.dispose()


# -- the latest session is found without a cost that grows with the conversation -------------


def rasas_events(store: SQLTrackerStore, sender: str, all_sessions: bool) -> List[int]:
    """Ids of the events Rasa's own query returns (rasa.core.tracker_store.SQLTrackerStore)."""
    with store.session_scope() as session:
        query = SQLTrackerStore._event_query(store, session, sender, all_sessions)
        return [row.id for row in query.all()]


def our_events(store: SQLTrackerStore, sender: str, all_sessions: bool) -> List[int]:
    with store.session_scope() as session:
        return [row.id for row in store._event_query(session, sender, all_sessions).all()]


@pytest.mark.parametrize("make_store", BACKENDS)
async def test_the_latest_session_holds_the_events_rasas_query_returns(make_store, tmp_path):
    store = make_store(tmp_path)
    sender = f"same-{uuid.uuid4().hex[:8]}"
    for n in range(20):  # several rollovers
        await turn(store, sender, *question(f"问题{n}", city="长沙"))
    without_start = f"nostart-{uuid.uuid4().hex[:8]}"  # a conversation with no session_started
    tracker = DialogueStateTracker.from_events(
        without_start, [user("你好"), listen()], DOMAIN.slots
    )
    await store.save(tracker)
    for who in (sender, without_start, f"nobody-{uuid.uuid4().hex[:8]}"):
        for all_sessions in (False, True):
            assert our_events(store, who, all_sessions) == rasas_events(store, who, all_sessions)
    latest = our_events(store, sender, False)
    assert 0 < len(latest) < len(our_events(store, sender, True))
    assert len(our_events(store, without_start, False)) == 2
    store.engine.dispose()


@pytest.mark.parametrize("make_store", BACKENDS)
async def test_the_latest_session_start_is_looked_up_by_itself(make_store, tmp_path):
    """Rasa joins the events to a subquery holding the latest session's start, which
    PostgreSQL may run again for every event of the conversation; here no statement of a
    turn (load, the broker's count, save) joins that lookup to the events."""
    store = make_store(tmp_path)
    store.event_broker = Collecting()
    sender = f"sql-{uuid.uuid4().hex[:8]}"
    for n in range(8):
        await turn(store, sender, *question(f"问题{n}"))
    statements: List[str] = []

    def record(connection, cursor, statement, parameters, context, executemany):
        statements.append(" ".join(statement.lower().split()))

    sa.event.listen(store.engine, "before_cursor_execute", record)
    try:
        await turn(store, sender, *question("最后一个问题"))
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", record)
    reads = [s for s in statements if s.startswith("select") and "from events" in s]
    lookups = [s for s in reads if "max(events.timestamp)" in s]
    assert len(reads) >= 6 and lookups  # load, broker count, save count: each with its lookup
    assert all(s.count("from events") == 1 for s in lookups)
    assert all("session_start" not in s for s in reads)  # Rasa's joined subquery
    store.engine.dispose()


@pytest.mark.parametrize("make_store", BACKENDS)
def test_the_indexes_the_lookups_need_are_created_once(make_store, tmp_path):
    store = make_store(tmp_path)
    again = make_store(tmp_path)  # a second instance on the same database: no error
    indexes = {i["name"]: i["column_names"] for i in sa.inspect(store.engine).get_indexes("events")}
    for name, columns in EVENT_INDEXES:
        assert indexes[name] == list(columns)
    store.engine.dispose()
    again.engine.dispose()


@pytest.mark.postgres
@pytest.mark.skipif(not DATABASE_URL, reason="TEST_DATABASE_URL (.ci/run sets it)")
async def test_postgresql_runs_every_step_of_the_lookups_once(tmp_path):
    """Whatever plan PostgreSQL picks (statistics or none), no step of the two queries runs
    once per event: the cost grows at most linearly with the conversation."""
    store = postgres_store(tmp_path)
    sender = f"plan-{uuid.uuid4().hex[:8]}"
    for n in range(40):
        await turn(store, sender, *question(f"问题{n}", city="长沙"))
    with store.session_scope() as session:
        start = store.latest_session_start(session, sender)
        queries = [
            session.query(sa.func.max(store.SQLEvent.timestamp)).filter(
                store.SQLEvent.sender_id == sender,
                store.SQLEvent.type_name == SessionStarted.type_name,
            ),
            store._event_query(session, sender, False),
        ]
        for query in queries:
            compiled = query.statement.compile(
                dialect=store.engine.dialect, compile_kwargs={"literal_binds": True}
            )
            plan = session.execute(sa.text(f"EXPLAIN (ANALYZE, FORMAT JSON) {compiled}")).scalar()
            loops = list(plan_loops(plan[0]["Plan"]))
            assert loops and set(loops) == {1}, plan
    assert start is not None
    store.engine.dispose()


def plan_loops(node: dict):
    yield node["Actual Loops"]
    for child in node.get("Plans", []):
        yield from plan_loops(child)
