"""Nguồn input is always a value of its picklist, whatever label a channel or form carries."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from crm_app.db import write_session
from crm_app.fields import UNKNOWN, picklist_values
from crm_app.services import input_sources


@pytest.mark.parametrize(("label", "value"), [
    ("Landing page", "Landing page"), ("landing PAGE", "Landing page"), ("LP", "Landing page"),
    ("Landing Tết", "Landing page"), ("LadiPage khuyến mãi", "Landing page"), ("Web form", "Webform"),
    ("webform", "Webform"), ("Zalo Ads Form", "Zalo Ads Form"), ("Facebook Lead Ads", "Facebook Lead Ads"),
    ("Hana", "Hana"), ("API", "API"), ("Hội chợ 2026", UNKNOWN), ("", UNKNOWN),
])
def test_labels_resolve_to_picklist_values(sqlite_engine: Engine, label: str, value: str) -> None:
    with write_session(sqlite_engine) as s:
        assert input_sources.resolve(s, label) == value
    with Session(sqlite_engine) as s:
        assert value in picklist_values(s, "input_source", include_inactive=True)


def test_a_channel_value_missing_from_the_list_is_added_once(sqlite_engine: Engine) -> None:
    with write_session(sqlite_engine) as s:
        assert "Facebook" not in picklist_values(s, "input_source")
        assert input_sources.resolve(s, "Facebook") == "Facebook"
    with write_session(sqlite_engine) as s:
        assert input_sources.resolve(s, "facebook") == "Facebook"
    with Session(sqlite_engine) as s:
        values = picklist_values(s, "input_source")
        assert values.count("Facebook") == 1 and values[-1] == UNKNOWN


def test_a_form_label_is_stored_as_its_picklist_value(sqlite_engine: Engine) -> None:
    from crm_app.i18n import UserError
    from crm_app.services import forms

    with write_session(sqlite_engine) as s:
        form, _ = forms.add_form(s, key="lp1", channel="landing PAGE")
        assert form.channel == "Landing page"
        with pytest.raises(UserError) as refused:
            forms.add_form(s, key="lp2", channel="Hội chợ 2026")
        assert refused.value.key == "forms.channel_invalid"
