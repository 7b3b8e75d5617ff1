"""Channel sync rules, asserted on the database: the full decision table (every combination of
the five settings against new / known people, with and without phone/email) checked against an
oracle written from the guide's text, the guide's worked example, config access and tickets."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from crm_app.db import get_engine, write_session
from crm_app.fields import STATUS_CONVERTED, STATUS_NEW
from crm_app.i18n import MESSAGES, UserError
from crm_app.models import AuditEntry, CustomField, Lead, RawLead, SyncConfig, Ticket
from crm_app.services import conversion, sync_settings, tickets
from crm_app.services.auth import PermissionDenied
from crm_app.services.demo import ensure_demo_users
from crm_app.services.incoming import IncomingPerson
from crm_app.services.phones import phone_key
from crm_app.services.sync_rules import apply_incoming
from crm_app.services.sync_settings import SyncSettings
from tests.conftest import make_database
from tests.people import actor

PHONE_RAW = "0123456789"  # the guide's example: not a valid number for phonenumbers
PHONE_KEY = "+84123456789"
EMAIL_IN = "A.Nguyen@Example.com"
EMAIL_STORED = "a.nguyen@example.com"
ZALO_ID = "8581239434812342"


def set_settings(session: Session, **values: object) -> None:
    row = session.exec(select(SyncConfig)).one()
    row.settings = {**row.settings, **values}
    session.add(row)
    session.flush()


def count(session: Session, model: type[RawLead] | type[Lead]) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


# ---------------------------------------------------------------- the decision table

CONDITIONS = ("email", "phone", "email_or_phone", "email_and_phone")
SETTINGS_GRID = list(itertools.product(CONDITIONS, ("lead", "raw_lead"), ("raw_lead", "lead", "none"),
                                       (True, False), ("overwrite", "skip")))
# (who exists already, how the newcomer matches them, what contact data the newcomer brings).
# "identity": the same Zalo user writes again (the stored record has no phone/email yet);
# "contact": someone from a web form whose phone and/or email is already in the CRM.
# "converted": a raw lead already converted, with its Lead.
SCENARIOS = (
    [(None, None, d) for d in ("", "p", "e", "pe")]
    + [(kind, "identity", d) for kind in ("raw", "lead", "converted") for d in ("", "p", "e", "pe")]
    + [(kind, "contact", d) for kind in ("raw", "lead", "converted") for d in ("p", "e", "pe")]
)
ALL_CASES = [(cfg, sc) for cfg in SETTINGS_GRID for sc in SCENARIOS]


@dataclass(frozen=True)
class Expected:
    action: str
    raw_leads: int
    leads: int
    existing_raw_status: str | None  # the pre-existing raw lead's status afterwards


def oracle(cfg: tuple[str, str, str, bool, str], existing: str | None, match: str | None,
           data: str) -> Expected:
    """The guide's five notes, read literally, independently of the implementation.

    (1) condition on the channel's data; (2) met and not in the CRM → create in Lead/KH thô;
    (3) not met and not in the CRM → KH thô / Lead / nothing; (4) on an update that satisfies (1),
    the KH thô is synced to Lead, marked Đã chuyển đổi and linked (when the config routes such
    people to Lead); (5) on a duplicate: Ghi đè updates the existing record, Bỏ qua creates a new
    one regardless. A follow-up from the same Zalo user is an update, not a duplicate."""
    condition, when_met, when_not_met, convert, on_match = cfg

    def holds(phone: bool, email: bool) -> bool:
        return {"email": email, "phone": phone, "email_or_phone": email or phone,
                "email_and_phone": email and phone}[condition]

    raws = {"raw": 1, "converted": 1}.get(existing or "", 0)
    leads = {"lead": 1, "converted": 1}.get(existing or "", 0)
    raw_status = {"raw": STATUS_NEW, "converted": STATUS_CONVERTED}.get(existing or "")
    creating = existing is None or (match == "contact" and on_match == "skip")
    if creating:
        target = when_met if holds("p" in data, "e" in data) else when_not_met
        if target == "none":
            return Expected("stored_nothing", raws, leads, raw_status)
        action = "created_new_duplicate" if existing else f"created_{target}"
        return Expected(action, raws + (target == "raw_lead"), leads + (target == "lead"), raw_status)
    if existing in ("lead", "converted"):
        return Expected("updated_lead", raws, leads, raw_status)
    # The stored raw lead after the update: for "contact" it already had both phone and email.
    has_phone = "p" in data or match == "contact"
    has_email = "e" in data or match == "contact"
    if convert and when_met == "lead" and holds(has_phone, has_email):
        return Expected("converted", raws, leads + 1, STATUS_CONVERTED)
    return Expected("updated_raw_lead", raws, leads, raw_status)


def arrange(session: Session, existing: str | None, match: str | None, owner: int) -> int | None:
    """Store the pre-existing person; returns the raw lead's or the lead's id."""
    if existing is None:
        return None
    if match == "identity":
        values = {"first_name": "Zalo A", "zalo_user_id": ZALO_ID, "zalo_name": "Zalo A",
                  "input_source": "Zalo OA"}
    else:
        values = {"first_name": "Old", "last_name": "Nguyễn", "mobile": PHONE_KEY,
                  "email": EMAIL_STORED, "email_key": EMAIL_STORED, "input_source": "Thủ công"}
    model = Lead if existing == "lead" else RawLead
    record = model(**values, assigned_to_id=owner, status=STATUS_NEW)
    session.add(record)
    session.flush()
    if existing == "converted":
        assert isinstance(record, RawLead)
        conversion.convert_raw_lead(session, record, actor_id=None, source="test")
    return record.id


def incoming(match: str | None, data: str) -> IncomingPerson:
    return IncomingPerson(
        channel="Zalo OA" if match == "identity" else "Webform",
        zalo_user_id=ZALO_ID if match == "identity" else None,
        full_name="Nguyễn Văn A", street="12 Nguyễn Huệ", province="Hồ Chí Minh",
        phone=PHONE_RAW if "p" in data else None, email=EMAIL_IN if "e" in data else None)


def run_case(session: Session, users: dict[str, int], cfg: tuple[str, str, str, bool, str],
             scenario: tuple[str | None, str | None, str]) -> None:
    existing, match, data = scenario
    condition, when_met, when_not_met, convert, on_match = cfg
    team = [users["hieu.nguyen"], users["dung.vu"], users["phu.vo"]]
    set_settings(session, condition=condition, target_when_met=when_met,
                 target_when_not_met=when_not_met, convert_on_update=convert, on_match=on_match,
                 assignment_users=team)
    existing_id = arrange(session, existing, match, users["thuhuong"])
    expected = oracle(cfg, existing, match, data)
    label = f"{cfg} {scenario}"

    decision = apply_incoming(session, incoming(match, data), source="channel:test")
    session.flush()

    assert decision.action == expected.action, label
    assert (count(session, RawLead), count(session, Lead)) == (expected.raw_leads, expected.leads), label
    old_raw = session.exec(select(RawLead).order_by(RawLead.id)).first() if existing in ("raw", "converted") \
        else None
    if old_raw is not None:
        session.refresh(old_raw)
        assert old_raw.status == expected.existing_raw_status, label
    if decision.action.startswith("created"):
        new_id = decision.lead_id or decision.raw_lead_id
        new = session.get(Lead if decision.lead_id else RawLead, new_id)
        assert new is not None, label  # the counts above show it is a new row
        assert (new.status, new.input_source, new.first_name, new.last_name) == (
            STATUS_NEW, incoming(match, data).channel, "A", "Nguyễn Văn"), label
        assert new.assigned_to_id in team and decision.assigned_to_id == new.assigned_to_id, label
        assert new.mobile == (PHONE_KEY if "p" in data else None), label
        assert new.email_key == (EMAIL_STORED if "e" in data else None), label
        if existing == "raw" or existing == "lead":
            untouched = session.get(RawLead if existing == "raw" else Lead, existing_id)
            assert untouched is not None and untouched.first_name == "Old", label
    elif decision.action in ("updated_raw_lead", "updated_lead", "converted"):
        target = session.get(Lead, decision.lead_id) if decision.lead_id else \
            session.get(RawLead, decision.raw_lead_id)
        assert target is not None, label
        assert (target.first_name, target.street) == ("A", "12 Nguyễn Huệ"), label  # Ghi đè
        assert target.assigned_to_id == users["thuhuong"], label  # an update keeps the owner
        if "p" in data:
            assert target.mobile == PHONE_KEY, label
        if "e" in data:
            assert (target.email, target.email_key) == (EMAIL_IN, EMAIL_STORED), label
    if decision.action == "converted":
        raw = session.get(RawLead, decision.raw_lead_id)
        lead = session.get(Lead, decision.lead_id)
        assert raw is not None and lead is not None, label
        assert (raw.converted_lead_id, lead.raw_lead_id, raw.id) == (lead.id, raw.id, existing_id), label
        assert lead.mobile == raw.mobile and lead.email_key == raw.email_key, label
    if decision.action == "stored_nothing":
        assert decision.raw_lead_id is None and decision.lead_id is None, label


@pytest.fixture(scope="module")
def table_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, dict[str, int]]]:
    """One SQLite file for the full table; each case runs in a transaction that is rolled back."""
    eng = get_engine(make_database("sqlite", tmp_path_factory.mktemp("sync_table")))
    with write_session(eng) as s:
        users = ensure_demo_users(session=s)
    yield eng, users
    eng.dispose()


@pytest.mark.parametrize("cfg", SETTINGS_GRID, ids=lambda c: "-".join(map(str, c)))
def test_decision_table_sqlite(table_db: tuple[Engine, dict[str, int]], cfg) -> None:
    eng, users = table_db
    for scenario in SCENARIOS:
        with Session(eng, expire_on_commit=False) as s:
            try:
                run_case(s, users, cfg, scenario)
            finally:
                s.rollback()


def test_decision_table_subset_on_both_databases(engine: Engine, demo_users: dict[str, int]) -> None:
    """Every 9th case of the table (all five settings vary across it) on SQLite and PostgreSQL."""
    for cfg, scenario in ALL_CASES[::9]:
        with Session(engine, expire_on_commit=False) as s:
            try:
                run_case(s, demo_users, cfg, scenario)
            finally:
                s.rollback()


def test_table_is_complete() -> None:
    assert len(SETTINGS_GRID) == 4 * 2 * 3 * 2 * 2
    assert len(ALL_CASES) == 96 * len(SCENARIOS)
    assert {oracle(c, *s).action for c, s in ALL_CASES} == {
        "created_raw_lead", "created_lead", "updated_raw_lead", "updated_lead", "converted",
        "stored_nothing", "created_new_duplicate"}


# ---------------------------------------------------------------- the guide's worked example

def test_guide_example_raw_lead_converts_when_he_gives_his_phone(engine: Engine,
                                                                 demo_users: dict[str, int]) -> None:
    with write_session(engine) as s:
        raw = RawLead(last_name="Nguyễn Văn", first_name="A", mobile=phone_key("0123456789"),
                      assigned_to_id=demo_users["thuhuong"], input_source="Thủ công")
        s.add(raw)
        s.flush()
        raw_id = raw.id
        set_settings(s, condition="email_or_phone", target_when_met="lead")
    with write_session(engine) as s:  # he messages the fanpage and gives 0123456789
        decision = apply_incoming(s, IncomingPerson(
            channel="Hana", facebook_psid="2874888275870129", facebook_name="Nguyễn Văn A",
            full_name="Nguyễn Văn A", phone="0123456789"), source="channel:Hana")
    assert decision.action == "converted"
    with Session(engine) as s:
        raw = s.get(RawLead, raw_id)
        lead = s.exec(select(Lead)).one()
        assert raw is not None and raw.status == STATUS_CONVERTED
        assert raw.converted_lead_id == lead.id and lead.raw_lead_id == raw_id
        assert (lead.last_name, lead.first_name, lead.mobile) == ("Nguyễn Văn", "A", "+84123456789")
        assert lead.facebook_psid == "2874888275870129" and lead.assigned_to_id == demo_users["thuhuong"]
        assert decision.lead_id == lead.id and decision.raw_lead_id == raw_id
        actions = {(e.entity, e.action, e.source) for e in s.exec(select(AuditEntry))}
        assert {("raw_lead", "converted", "channel:Hana"), ("lead", "created", "channel:Hana"),
                ("raw_lead", "updated", "channel:Hana")} <= actions


def test_zalo_follow_then_form_then_webform_is_one_person(engine: Engine,
                                                          demo_users: dict[str, int]) -> None:
    with write_session(engine) as s:
        first = apply_incoming(s, IncomingPerson(channel="Zalo OA", zalo_user_id=ZALO_ID,
                                                 zalo_name="Hoa Mai"), source="channel:Zalo OA")
    with write_session(engine) as s:
        second = apply_incoming(s, IncomingPerson(channel="Zalo OA", zalo_user_id=ZALO_ID,
                                                  phone="0912 345 678", street="45 Lê Lợi"),
                                source="channel:Zalo OA")
    with write_session(engine) as s:
        third = apply_incoming(s, IncomingPerson(channel="Webform", full_name="Trần Thị Hoa Mai",
                                                 phone="84912345678", email="hoa@example.vn"),
                               source="channel:Webform")
    assert (first.action, second.action, third.action) == ("created_raw_lead", "converted", "updated_lead")
    with Session(engine) as s:
        raw, lead = s.exec(select(RawLead)).one(), s.exec(select(Lead)).one()
        assert raw.first_name == "Hoa Mai" and raw.input_source == "Zalo OA"
        assert raw.assigned_to_id == demo_users["admin"]  # empty assignment list: first admin
        assert (lead.first_name, lead.mobile, lead.email_key, lead.zalo_user_id) == (
            "Mai", "+84912345678", "hoa@example.vn", ZALO_ID)  # Ghi đè: the form's name wins
        assert (lead.last_name, lead.street, lead.zalo_name) == ("Trần Thị Hoa", "45 Lê Lợi", "Hoa Mai")
        assert third.lead_id == lead.id == second.lead_id


def test_a_converted_raw_leads_lead_is_the_match_target(engine: Engine, demo_users: dict[str, int]) -> None:
    with write_session(engine) as s:
        raw = RawLead(first_name="B", mobile="+84987654321", assigned_to_id=demo_users["dung.vu"])
        s.add(raw)
        s.flush()
        lead = conversion.convert_raw_lead(s, raw, actor_id=None)
        lead.mobile = None  # the Lead was edited since; only the raw lead still has the number
        s.add(lead)
        lead_id = lead.id
    with write_session(engine) as s:
        decision = apply_incoming(s, IncomingPerson(channel="Webform", phone="0987654321",
                                                    email="b@example.com"), source="channel:Webform")
    assert (decision.action, decision.lead_id) == ("updated_lead", lead_id)
    with Session(engine) as s:
        assert count(s, RawLead) == 1 and count(s, Lead) == 1
        assert s.get(Lead, lead_id).email == "b@example.com"  # type: ignore[union-attr]


def test_extra_goes_to_custom_fields_or_description_and_bad_values_are_kept_as_notes(
        engine: Engine, demo_users: dict[str, int]) -> None:
    with write_session(engine) as s:
        s.add(CustomField(key="budget", label_vi="Ngân sách", label_en="Budget", field_type="text"))
        s.flush()
        decision = apply_incoming(s, IncomingPerson(
            channel="Landing Tết", first_name="Lan", phone="12345", email="not-an-email",
            extra={"cf_budget": "50 triệu", "utm_source": "google"}), source="channel:form:tet")
    assert decision.action == "created_raw_lead"  # no usable phone/email: (3) → KH thô
    with Session(engine) as s:
        raw = s.exec(select(RawLead)).one()
        # A form's own label becomes the picklist value it names (Nguồn input is a picklist).
        assert raw.custom == {"budget": "50 triệu"} and raw.input_source == "Landing page"
        assert raw.description is not None
        assert {"utm_source: google", "phone: 12345", "email: not-an-email"} <= set(raw.description.split("\n"))
        assert raw.mobile is None and raw.email is None


# ---------------------------------------------------------------- configuration

def test_only_an_admin_saves_the_config_and_every_change_is_audited(engine: Engine,
                                                                    demo_users: dict[str, int]) -> None:
    with write_session(engine) as s:
        assert sync_settings.load_config(s) == SyncSettings()  # a new installation: the guide's defaults
        with pytest.raises(PermissionDenied):
            sync_settings.save_config(s, actor(s, "thuhuong"), SyncSettings(on_match="skip"))
    with write_session(engine) as s:
        new = SyncSettings(condition="phone", on_match="skip",
                           assignment_users=[demo_users["hieu.nguyen"], demo_users["dung.vu"]],
                           tickets={"webform": True})
        sync_settings.save_config(s, actor(s, "admin"), new)
    with Session(engine) as s:
        loaded = sync_settings.load_config(s)
        assert (loaded.condition, loaded.on_match, loaded.target_when_met) == ("phone", "skip", "lead")
        assert loaded.tickets == {"webform": True, "zalo_oa": False, "zalo_ads_form": False, "chatbot": False}
        entry = s.exec(select(AuditEntry).where(AuditEntry.entity == "sync_config")).one()
        assert entry.user_id == demo_users["admin"]
        assert entry.changes["condition"] == ["email_or_phone", "phone"]
        assert entry.changes["on_match"] == ["overwrite", "skip"]
        assert entry.changes["assignment_users"] == [[], [demo_users["hieu.nguyen"], demo_users["dung.vu"]]]
        assert "target_when_met" not in entry.changes


def test_invalid_config_is_refused(sqlite_engine: Engine) -> None:
    bad_values = [{"condition": "fax"}, {"target_when_not_met": "trash"}, {"on_match": "merge"},
                  {"assignment_method": "random"}, {"assignment_users": [999999]},
                  {"assignment_users": [1, 1]}, {"tickets": {"sms": True}}, {"convert_on_update": "yes"}]
    with write_session(sqlite_engine) as s:
        ensure_demo_users(session=s)
        admin = actor(s, "admin")
        for bad in bad_values:
            with pytest.raises(UserError) as err:
                sync_settings.save_config(s, admin, SyncSettings(**bad))  # type: ignore[arg-type]
            assert err.value.key.startswith("sync."), bad
        assert s.exec(select(AuditEntry).where(AuditEntry.entity == "sync_config")).first() is None


def test_a_damaged_stored_config_falls_back_to_defaults() -> None:
    loaded = SyncSettings.from_dict({"condition": "fax", "on_match": "skip", "tickets": "x"})
    assert (loaded.condition, loaded.on_match, loaded.tickets["chatbot"]) == ("email_or_phone", "skip", False)


def test_sync_messages_exist_in_both_locales() -> None:
    vi = {k for k in MESSAGES["vi"] if k.startswith("sync.")}
    assert vi and vi == {k for k in MESSAGES["en"] if k.startswith("sync.")}


# ---------------------------------------------------------------- tickets

def test_tickets_per_channel_and_only_when_the_chatbot_finished(engine: Engine,
                                                                demo_users: dict[str, int]) -> None:
    team = [demo_users["hieu.nguyen"], demo_users["dung.vu"]]
    with write_session(engine) as s:
        set_settings(s, assignment_users=team,
                     tickets={"webform": True, "zalo_oa": False, "zalo_ads_form": False, "chatbot": True})
    arrivals = [
        IncomingPerson(channel="Webform", full_name="Lê Văn C", phone="0912000111", ticket_channel="webform"),
        IncomingPerson(channel="Zalo OA", zalo_user_id="z1", phone="0912000222", ticket_channel="zalo_oa"),
        IncomingPerson(channel="Hana", facebook_psid="p1", facebook_name="D", ticket_channel="chatbot"),
        IncomingPerson(channel="Hana", facebook_psid="p1", phone="0912000333", ticket_channel="chatbot",
                       chatbot_finished=True),
    ]
    decisions = []
    for person in arrivals:
        with write_session(engine) as s:
            decisions.append(apply_incoming(s, person, source=f"channel:{person.channel}"))
    assert [d.ticket_id is not None for d in decisions] == [True, False, False, True]
    with write_session(engine) as s:
        opened = s.exec(select(Ticket).order_by(Ticket.id)).all()
        assert len(opened) == 2
        first, second = opened
        assert (first.status, first.channel, first.lead_id) == ("Mới", "Webform", decisions[0].lead_id)
        assert first.assigned_to_id == decisions[0].assigned_to_id and "Lê Văn C" in first.subject
        assert second.lead_id == decisions[3].lead_id and decisions[3].action == "converted"
        owner = actor(s, "hieu.nguyen" if first.assigned_to_id == team[0] else "dung.vu")
        other = actor(s, "dung.vu" if owner.username == "hieu.nguyen" else "hieu.nguyen")
        assert [t.id for t in tickets.list_tickets(s, owner)] == [
            t.id for t in opened[::-1] if t.assigned_to_id == owner.id]
        assert len(tickets.list_tickets(s, actor(s, "admin"))) == 2
        with pytest.raises(UserError):
            tickets.get_ticket(s, actor(s, "thuhuong"), first.id)  # type: ignore[arg-type]
        with pytest.raises(UserError):
            tickets.set_status(s, owner, first.id, "Xong rồi")  # type: ignore[arg-type]
        if other.id != first.assigned_to_id:
            with pytest.raises(UserError):
                tickets.set_status(s, other, first.id, "Đã xong")  # type: ignore[arg-type]
        tickets.set_status(s, owner, first.id, "Đang xử lý")  # type: ignore[arg-type]
        tickets.set_status(s, actor(s, "admin"), first.id, "Đã xong")  # type: ignore[arg-type]
    with Session(engine) as s:
        assert s.get(Ticket, first.id).status == "Đã xong"  # type: ignore[union-attr]
        changes = [e.changes for e in s.exec(select(AuditEntry).where(
            AuditEntry.entity == "ticket", AuditEntry.action == "updated").order_by(AuditEntry.id))]
        assert changes == [{"status": ["Mới", "Đang xử lý"]}, {"status": ["Đang xử lý", "Đã xong"]}]


def test_simultaneous_arrivals_of_one_new_person_create_one_record(engine: Engine,
                                                                   demo_users: dict[str, int]) -> None:
    """A Zalo follow and its first messages arrive together: one raw lead, the rest update it."""
    def arrive(n: int) -> str:
        with write_session(engine) as s:
            return apply_incoming(s, IncomingPerson(channel="Zalo OA", zalo_user_id=ZALO_ID,
                                                    zalo_name="Hoa", street=f"{n} Lê Lợi"),
                                  source="channel:Zalo OA").action

    with ThreadPoolExecutor(8) as pool:
        actions = Counter(pool.map(arrive, range(24)))
    assert actions == {"created_raw_lead": 1, "updated_raw_lead": 23}
    with Session(engine) as s:
        assert count(s, RawLead) == 1 and count(s, Lead) == 0
