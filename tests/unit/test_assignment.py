"""Assignment of channel customers: round-robin turns under real concurrency (two OS processes,
several threads each, one write transaction per arrival), inactive users, least-open, fallback."""

from __future__ import annotations

import multiprocessing
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from crm_app.db import get_engine, write_session
from crm_app.models import AssignmentCursor, AuditEntry, RawLead, SyncConfig, User
from crm_app.services import assignment
from crm_app.services.incoming import IncomingPerson
from crm_app.services.sync_rules import apply_incoming
from crm_app.services.sync_settings import SyncSettings

ARRIVALS = 1000
PROCESSES = 2
THREADS = 4


def _configure(engine: Engine, **settings: object) -> None:
    with write_session(engine) as s:
        row = s.exec(select(SyncConfig)).one()
        row.settings = {**row.settings, **settings}
        s.add(row)


def _arrive(url: str, numbers: list[int]) -> None:
    """One worker process: its arrivals spread over threads, each in its own write transaction."""
    engine = get_engine(url)

    def one(n: int) -> None:
        with write_session(engine) as s:
            apply_incoming(s, IncomingPerson(channel="Webform", first_name=f"Khách {n}"),
                           source="channel:Webform")

    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(one, numbers))
    engine.dispose()


def test_round_robin_under_concurrent_arrivals_from_two_processes(engine: Engine,
                                                                  demo_users: dict[str, int]) -> None:
    team = [demo_users["hieu.nguyen"], demo_users["dung.vu"], demo_users["phu.vo"]]
    _configure(engine, assignment_users=team, target_when_not_met="raw_lead")
    url = engine.url.render_as_string(hide_password=False)
    numbers = list(range(ARRIVALS))
    # spawn: fresh interpreters, nothing of this process's engine or threads is inherited.
    with ProcessPoolExecutor(PROCESSES, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(_arrive, url, numbers[i::PROCESSES]) for i in range(PROCESSES)]
        for future in futures:
            future.result()
    with Session(engine) as s:
        per_user = Counter(s.exec(select(RawLead.assigned_to_id)).all())
        assert sum(per_user.values()) == ARRIVALS
        assert set(per_user) == set(team)
        assert sorted(per_user.values()) == [333, 333, 334]
        positions = [e.changes["position"] for e in s.exec(
            select(AuditEntry).where(AuditEntry.entity == "user", AuditEntry.action == "assigned"))]
        assert sorted(positions) == list(range(ARRIVALS))  # every turn taken once: no gap, no double
        assert s.get(AssignmentCursor, assignment.CURSOR_NAME).position == ARRIVALS  # type: ignore[union-attr]


def test_round_robin_turns_skip_inactive_users(engine: Engine, demo_users: dict[str, int]) -> None:
    team = [demo_users["hieu.nguyen"], demo_users["thuhuong"], demo_users["dung.vu"]]
    with write_session(engine) as s:
        inactive = s.get(User, demo_users["thuhuong"])
        assert inactive is not None
        inactive.is_active = False
        s.add(inactive)
    picked = []
    for _ in range(5):
        with write_session(engine) as s:
            picked.append(assignment.round_robin_next(s, team))
    h, d = demo_users["hieu.nguyen"], demo_users["dung.vu"]
    assert picked == [h, d, h, d, h]
    with write_session(engine) as s:  # back in service: she takes her turn again
        user = s.get(User, demo_users["thuhuong"])
        assert user is not None
        user.is_active = True
        s.add(user)
    with write_session(engine) as s:
        assert [assignment.round_robin_next(s, team) for _ in range(3)] == [demo_users["thuhuong"], d, h]


def test_least_open_picks_the_user_with_fewest_open_raw_leads(engine: Engine,
                                                              demo_users: dict[str, int]) -> None:
    h, d, p = demo_users["hieu.nguyen"], demo_users["dung.vu"], demo_users["phu.vo"]
    with write_session(engine) as s:
        for owner, status in ((h, "Mới"), (h, "Đang chăm sóc"), (d, "Mới"), (d, "Đã chuyển đổi"),
                              (d, "Không tiềm năng"), (p, "Mới"), (p, "Mới")):
            s.add(RawLead(first_name="X", assigned_to_id=owner, status=status))
    with write_session(engine) as s:
        assert assignment.least_open_next(s, [h, d, p]) == d  # 1 open; closed ones do not count
        assert assignment.least_open_next(s, [h, p]) == h  # a tie goes to the first listed
        picked = assignment.assign_incoming(s, SyncSettings(assignment_users=[h, d, p],
                                                            assignment_method="least_open"))
        assert picked == d


def test_empty_list_falls_back_to_the_first_active_admin_and_is_logged(engine: Engine,
                                                                        demo_users: dict[str, int]) -> None:
    with write_session(engine) as s:
        assert assignment.assign_incoming(s, SyncSettings(), source="channel:Hana") == demo_users["admin"]
    with write_session(engine) as s:
        user = s.get(User, demo_users["phu.vo"])
        assert user is not None
        user.is_active = False
        s.add(user)
    with write_session(engine) as s:  # a list of inactive users only: the admin too
        assert assignment.assign_incoming(s, SyncSettings(assignment_users=[demo_users["phu.vo"]])) \
            == demo_users["admin"]
    with Session(engine) as s:
        entries = s.exec(select(AuditEntry).where(AuditEntry.action == "assigned")
                         .order_by(AuditEntry.id)).all()
        assert [(e.entity_id, e.changes["method"]) for e in entries] == [
            (demo_users["admin"], "admin_fallback")] * 2
        assert entries[0].source == "channel:Hana"
        assert s.exec(select(func.count()).select_from(AssignmentCursor)).one() == 0
