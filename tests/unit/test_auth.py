from __future__ import annotations

import pytest
from sqlmodel import Session, select

from crm_app.db import write_session
from crm_app.i18n import UserError
from crm_app.models import AuthSession, User
from crm_app.services import auth


def test_password_is_hashed_with_argon2_and_verifies(session: Session, demo_users) -> None:
    user = session.exec(select(User).where(User.username == "thuhuong")).one()
    assert user.password_hash.startswith("$argon2id$")
    assert "demo1234" not in user.password_hash
    assert auth.authenticate(session=session, username="thuhuong", password="demo1234")
    assert auth.authenticate(session=session, username="THUHUONG ", password="demo1234")
    assert auth.authenticate(session=session, username="thuhuong", password="wrong") is None
    assert auth.authenticate(session=session, username="nobody", password="demo1234") is None


def test_session_token_is_stored_hashed_and_expires(engine, demo_users) -> None:
    with write_session(engine) as s:
        user = s.exec(select(User).where(User.username == "dung.vu")).one()
        token = auth.open_session(session=s, user=user, days=1)
    with write_session(engine) as s:
        stored = s.exec(select(AuthSession.token_hash)).all()
        assert token not in stored
        actor = auth.actor_for_token(session=s, token=token)
        assert actor is not None and actor.username == "dung.vu" and not actor.is_admin
        assert auth.actor_for_token(session=s, token=token + "x") is None
        auth.close_session(session=s, token=token)
    with write_session(engine) as s:
        assert auth.actor_for_token(session=s, token=token) is None


def test_disabled_user_loses_the_session(engine, demo_users) -> None:
    with write_session(engine) as s:
        user = s.exec(select(User).where(User.username == "phu.vo")).one()
        token = auth.open_session(session=s, user=user, days=1)
        user.is_active = False
        s.add(user)
    with write_session(engine) as s:
        assert auth.actor_for_token(session=s, token=token) is None


@pytest.mark.parametrize(
    ("username", "full_name", "password", "message"),
    [
        ("Bad Name", "X", "password1", "Tên truy cập chỉ gồm"),
        ("ok.name", "", "password1", "Vui lòng nhập họ tên"),
        ("ok.name", "Ok", "short", "ít nhất 8 ký tự"),
        ("thuhuong", "Again", "password1", "đã tồn tại"),
    ],
)
def test_create_user_rejects_bad_input(engine, demo_users, username, full_name, password,
                                       message) -> None:
    with pytest.raises(UserError) as err, write_session(engine) as s:
        auth.create_user(session=s, username=username, full_name=full_name, password=password)
    assert message in err.value.message()
