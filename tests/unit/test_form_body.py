"""The one form-body reader over every collected form payload (tests/fixtures/payloads/forms):
what each sender's body makes of a person, without the app around it (the API replay in
tests/api/test_payload_replay.py checks the stored records)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from crm_app.services.channels import BadPayload, form_body, forms
from crm_app.services.field_synonyms import split_full_name
from crm_app.services.incoming import ATTRIBUTION_ALIASES, IncomingPerson
from crm_app.services.phones import phone_key

PAYLOADS = Path(__file__).resolve().parents[1] / "fixtures" / "payloads"
EXPECTED: dict[str, Any] = json.loads((PAYLOADS / "expected.json").read_text())["payloads"]
FORMS = sorted(k for k in EXPECTED if k.startswith("forms/"))


def shown(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(shown(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def kept(person: IncomingPerson) -> set[str]:
    """Every value the person will carry onto the record."""
    values = {str(v) for v in (*person.extra.values(), *person.fields.values(), *person.attribution.values())}
    values |= {str(getattr(person, a)) for a in ("full_name", "first_name", "last_name", "phone", "email",
                                                 "street", "ward", "district", "province", "country")
               if getattr(person, a)}
    return values


def check(person: IncomingPerson, want: dict[str, Any]) -> None:
    last, first = ((person.last_name or "", person.first_name or "") if not person.full_name
                   else split_full_name(person.full_name))
    if "full_name" in want:
        assert person.full_name == want["full_name"] or (want["full_name"] is None and not person.full_name)
    if "first_name" in want:
        assert first == want["first_name"]
    if "last_name" in want:
        assert last == want["last_name"]
    if "email" in want:
        assert person.email == want["email"]
    if "phone" in want:
        assert phone_key(person.phone) == want["phone"]
    values = kept(person)
    for label, value in (want.get("extra") or {}).items():
        assert shown(value) in values, (label, value, values)
    for key, value in (want.get("utm") or {}).items():
        assert person.extra.get(key) == value
    if "page_url" in want:
        assert person.extra.get("page_url") == want["page_url"]
    for key, value in (want.get("attribution") or {}).items():
        assert person.attribution.get(ATTRIBUTION_ALIASES[key]) == value


@pytest.mark.parametrize("name", FORMS)
def test_every_collected_form_body_makes_its_person(name: str) -> None:
    spec = EXPECTED[name]
    answers = forms.fields((PAYLOADS / name).read_bytes(), spec["content_type"])
    [want] = spec["records"]
    person = forms.person_from_answers(answers, channel=spec["form"]["channel"])
    check(person, want)
    if "with_mapping" in spec:
        mapped = spec["with_mapping"]
        person = forms.person_from_answers(answers, channel=spec["form"]["channel"],
                                           mapping=mapped["form"]["mapping"])
        check(person, mapped["records"][0])


@pytest.mark.parametrize(("body", "content_type"), [
    (b"", "application/json"),
    (b"   ", "application/x-www-form-urlencoded"),
    (b"[" * 500 + b"]" * 500, "application/json"),
    (b'{"a":' * 300 + b"1" + b"}" * 300, "application/json"),
    (b"name=An&phone=0912345678", "application/json"),
    (b'{"name": "An"}', "application/x-www-form-urlencoded"),
    (b"\xff\xfe\x00", "application/x-www-form-urlencoded"),
    (b'{"name": "An"}', "multipart/form-data"),
    (b'{"name": "An"}', "multipart/form-data; boundary=xyz"),
    (b"<xml/>", "application/xml"),
    (b"{}", "application/json"),
])
def test_hostile_or_mismatched_bodies_are_refused(body: bytes, content_type: str) -> None:
    with pytest.raises(BadPayload):
        form_body.read(body, content_type)


def test_repeated_keys_and_php_brackets_are_lists() -> None:
    answers = form_body.read(b"interest=a&interest=b&tags%5B%5D=x&tags%5B%5D=y&fields%5Bname%5D%5Bvalue%5D=An",
                             "application/x-www-form-urlencoded")
    assert [(a.label, a.value) for a in answers] == [("interest", ["a", "b"]), ("tags", ["x", "y"]),
                                                     ("name", "An")]


def test_admin_mapping_wins_over_synonyms() -> None:
    answers = form_body.read(json.dumps({"phone": "0912345678", "Số nhà riêng": "0987654321"}).encode(),
                             "application/json")
    person = forms.person_from_answers(answers, channel="Webform", mapping={"so nha rieng": "mobile",
                                                                            "phone": "cf_office"})
    assert person.phone == "0987654321" and person.extra == {"cf_office": "0912345678"}
