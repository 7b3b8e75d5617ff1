"""API tokens and the REST create path's preparation, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import select

from crm_app.db import write_session
from crm_app.models import User
from crm_app.services import api_intake, api_tokens, org
from crm_app.services.auth import Actor, PermissionDenied


def _actors(engine: Engine) -> dict[str, Actor]:
    with write_session(engine) as s:
        return {u.username: Actor.of(u) for u in s.exec(select(User))}


def test_a_token_is_stored_hashed_and_never_again_in_full(engine: Engine, demo_users: dict[str, int]) -> None:
    who = _actors(engine)
    with write_session(engine) as s:
        row, token = api_tokens.create_token(s, who["admin"], name="Tổng đài", owner_id=who["thuhuong"].id,
                                             can_write=False)
    with engine.connect() as conn:
        stored = " ".join(str(v) for v in conn.execute(text("SELECT * FROM api_tokens")).one())
    assert token.startswith(f"crm_{row.prefix}_")
    assert token[len(f"crm_{row.prefix}_"):] not in stored
    assert row.secret_hash == hashlib.sha256(token[len(f"crm_{row.prefix}_"):].encode()).hexdigest()
    with write_session(engine) as s:
        found = api_tokens.authenticate(s, token)
        assert found is not None and (found.actor.username, found.can_write) == ("thuhuong", False)
        assert api_tokens.authenticate(s, token[:-1] + ("A" if token[-1] != "A" else "B")) is None
        assert api_tokens.authenticate(s, f"crm_{row.prefix}") is None
        assert api_tokens.authenticate(s, "") is None


def test_only_admins_issue_list_and_revoke(engine: Engine, demo_users: dict[str, int]) -> None:
    who = _actors(engine)
    with write_session(engine) as s:
        row, _ = api_tokens.create_token(s, who["admin"], name="x", owner_id=who["admin"].id, can_write=True)
        with pytest.raises(PermissionDenied):
            api_tokens.create_token(s, who["thuhuong"], name="mine", owner_id=who["thuhuong"].id, can_write=True)
        with pytest.raises(PermissionDenied):
            api_tokens.list_tokens(s, who["thuhuong"])
        with pytest.raises(PermissionDenied):
            api_tokens.revoke_token(s, who["thuhuong"], row.id)


def test_revoked_tokens_and_disabled_owners_are_refused(engine: Engine, demo_users: dict[str, int]) -> None:
    who = _actors(engine)
    with write_session(engine) as s:
        revoked, revoked_token = api_tokens.create_token(s, who["admin"], name="a", owner_id=who["admin"].id,
                                                         can_write=True)
        _, users_token = api_tokens.create_token(s, who["admin"], name="b", owner_id=who["dung.vu"].id,
                                                 can_write=True)
    with write_session(engine) as s:
        api_tokens.revoke_token(s, who["admin"], revoked.id)
        org.set_user_active(session=s, actor=who["admin"], user_id=who["dung.vu"].id, active=False)
    with write_session(engine) as s:
        assert api_tokens.authenticate(s, revoked_token) is None
        assert api_tokens.authenticate(s, users_token) is None
        assert [r.revoked_at is not None for r in api_tokens.list_tokens(s, who["admin"])] == [False, True]


def test_the_bootstrap_token_acts_as_the_first_admin(engine: Engine, demo_users: dict[str, int]) -> None:
    with write_session(engine) as s:
        found = api_tokens.authenticate(s, "env-bootstrap-secret", bootstrap="env-bootstrap-secret")
        assert found is not None and found.actor.is_admin and found.can_write and found.key == "env"
        assert api_tokens.authenticate(s, "env-bootstrap-secreT", bootstrap="env-bootstrap-secret") is None
        assert api_tokens.authenticate(s, "anything", bootstrap="") is None


def test_a_submission_keeps_what_does_not_fit_its_field(engine: Engine, demo_users: dict[str, int]) -> None:
    with write_session(engine) as s:
        prepared = api_intake.prepare(s, {"first_name": "An", "mobile": "0912 345 678", "lead_source": "TikTok",
                                          "birthday": "31/02/1990", "phone": "12", "company": " ABC ",
                                          "description": "Gọi sau 5h"})
    person = prepared.person
    assert (person.first_name, person.phone, person.channel) == ("An", "0912 345 678", "API")
    assert person.fields["lead_source"] == "Không xác định" and person.fields["company"] == "ABC"
    assert person.fields["description"].splitlines() == ["Gọi sau 5h", "Điện thoại: 12", "Ngày sinh: 31/02/1990"]
    assert set(prepared.warnings) == {"lead_source", "birthday", "phone"}
