"""Channel parsers on the documented payload shapes (CHANNELS.md); no server, fake look-ups."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest

from crm_app.models import FormConfig
from crm_app.services.channels import BadPayload, Delivery, StoredEvent, botbanhang, facebook, forms, hana, zalo


class FakeLookups:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.calls: list[str] = []

    def zalo_user(self, user_id: str) -> dict[str, Any]:
        self.calls.append(f"zalo:{user_id}")
        if self.fail:
            raise RuntimeError("down")
        return {"error": 0, "data": {"user_id": user_id, "display_name": "Thu Hương"}}

    def fb_profile(self, psid: str) -> dict[str, Any]:
        self.calls.append(f"fb:{psid}")
        if self.fail:
            raise RuntimeError("down")
        return {"first_name": "Cường", "last_name": "Nguyễn", "id": psid}

    def fb_leadgen(self, leadgen_id: str) -> dict[str, Any]:
        self.calls.append(f"leadgen:{leadgen_id}")
        if self.fail:
            raise RuntimeError("down")
        return {"id": leadgen_id, "field_data": [
            {"name": "full_name", "values": ["Trần Thị Bích"]},
            {"name": "email", "values": ["bich@example.com"]},
            {"name": "phone_number", "values": ["+84912345678"]},
            {"name": "city", "values": ["Hà Nội"]},
            {"name": "ngan_sach", "values": ["50 triệu"]}]}


def b(data: object, ascii_only: bool = False) -> bytes:
    return json.dumps(data, ensure_ascii=ascii_only).encode()


def ev(body: bytes, content_type: str = "application/json", form: FormConfig | None = None) -> StoredEvent:
    return StoredEvent(body, {"content-type": content_type}, form)


def form(label: str, mapping: dict[str, str] | None = None) -> FormConfig:
    return FormConfig(key="f1", channel=label, secret="s", mapping=mapping or {})


FOLLOW = {"oa_id": "388613280879808645", "follower": {"id": 24684588352919792345},
          "event_name": "follow", "source": "oa_profile", "app_id": "36084652489903967",
          "timestamp": "154397978274"}


def test_zalo_follow_fetches_display_name_and_keeps_big_ids_as_strings() -> None:
    lookups = FakeLookups()
    [person] = zalo.parse(ev(b(FOLLOW)), lookups)
    assert person.zalo_user_id == "24684588352919792345"
    assert person.zalo_name == "Thu Hương" and person.channel == "Zalo OA"
    assert lookups.calls == ["zalo:24684588352919792345"]
    [unit] = zalo.split(Delivery(b(FOLLOW)))
    assert unit.key == "follow:24684588352919792345:154397978274" and unit.body == b(FOLLOW)


def test_zalo_follow_without_name_when_api_down() -> None:
    [person] = zalo.parse(ev(b(FOLLOW)), FakeLookups(fail=True))
    assert person.zalo_user_id and person.zalo_name is None


def test_zalo_submit_info_flat_and_nested() -> None:
    flat = {"app_id": "1", "sender": {"id": "246845883529197922"}, "recipient": {"id": "3"},
            "event_name": "user_submit_info", "timestamp": "1725608800000",
            "info": {"name": "Nguyễn Văn A", "phone": "84912345678", "address": "12 Nguyễn Huệ",
                     "ward": "Phường Bến Nghé", "district": "Quận 1", "city": "Hồ Chí Minh"}}
    [p] = zalo.parse(ev(b(flat)), FakeLookups())
    assert (p.full_name, p.phone, p.street, p.ward, p.district, p.province) == (
        "Nguyễn Văn A", "84912345678", "12 Nguyễn Huệ", "Phường Bến Nghé", "Quận 1", "Hồ Chí Minh")
    nested = {**flat, "info": {"name": "B", "phone": 84987654321, "user_dob": "01/02/1990", "gender": "female",
                               "full_address": {"user_city": "Hà Nội", "user_ward": "Phường Hoàn Kiếm",
                                                "user_address": "1 Tràng Tiền"}}}
    [q] = zalo.parse(ev(b(nested, ascii_only=True)), FakeLookups())
    assert (q.phone, q.street, q.ward, q.district, q.province) == (
        "84987654321", "1 Tràng Tiền", "Phường Hoàn Kiếm", None, "Hà Nội")
    assert q.extra == {"gender": "female"} and str(q.fields["birthday"]) == "1990-02-01"


def test_zalo_text_key_is_msg_id_and_unfollow_is_ignored() -> None:
    text = {"sender": {"id": "1"}, "event_name": "user_send_text",
            "message": {"text": "hi", "msg_id": "96d3cdf3af150460909"}, "timestamp": "1"}
    assert zalo.split(Delivery(b(text)))[0].key == "msg:96d3cdf3af150460909"
    assert zalo.parse(ev(b({**FOLLOW, "event_name": "unfollow"})), FakeLookups()) == []
    with pytest.raises(BadPayload):
        zalo.parse(ev(b"not json"), FakeLookups())


def test_zalo_signature_is_plain_sha256() -> None:
    import hashlib
    assert zalo.signature("a", b"{}", "1", "s") == hashlib.sha256(b"a{}1s").hexdigest()


def messaging(mid: str, text: str, psid: object = "6000000000000001", echo: bool = False) -> dict[str, Any]:
    message: dict[str, Any] = {"mid": mid, "text": text}
    if echo:
        message["is_echo"] = True
    return {"sender": {"id": psid}, "recipient": {"id": "PAGE"}, "timestamp": 1458692752478, "message": message}


def test_facebook_batch_splits_per_mid_and_leadgen() -> None:
    payload = {"object": "page", "entry": [
        {"id": "PAGE", "time": 1, "messaging": [messaging("m1", "hello"), messaging("m2", "again")]},
        {"id": "0", "time": 2, "changes": [{"field": "leadgen", "value": {"leadgen_id": 444444444444444444}}]}]}
    units = facebook.split(Delivery(b(payload)))
    assert [u.key for u in units] == ["mid:m1", "mid:m2", "leadgen:444444444444444444"]
    [person] = facebook.parse(ev(units[0].body), FakeLookups())
    assert person.facebook_psid == "6000000000000001" and person.facebook_name == "Nguyễn Cường"
    [lead] = facebook.parse(ev(units[2].body), FakeLookups())
    assert (lead.channel, lead.full_name, lead.email, lead.phone, lead.province) == (
        "Facebook Lead Ads", "Trần Thị Bích", "bich@example.com", "+84912345678", "Hà Nội")
    assert lead.extra == {"ngan_sach": "50 triệu", "leadgen_id": "444444444444444444"}


def test_facebook_detects_phone_and_email_in_text_and_skips_echo() -> None:
    body = b({"object": "page", "entry": [{"id": "P", "messaging": [
        messaging("m1", "Số của em 0912.345.678, mail em.a@gmail.com nhé", psid=6000000000000002),
        messaging("m2", "reply", echo=True)]}]}, ascii_only=True)
    [person] = facebook.parse(ev(body), FakeLookups())
    assert (person.phone, person.email, person.facebook_psid) == ("+84912345678", "em.a@gmail.com", "6000000000000002")
    assert facebook.contacts_in_text("đơn 123456 giá 250000") == (None, None)


def test_facebook_leadgen_lookup_failure_raises_for_retry() -> None:
    body = b({"entry": [{"changes": [{"field": "leadgen", "value": {"leadgen_id": "9"}}]}]})
    with pytest.raises(RuntimeError):
        facebook.parse(ev(body), FakeLookups(fail=True))


def test_hana_prefers_normalised_data_and_varied_names() -> None:
    payload = {"application": {"id": "app"},
               "lead": {"id": {"nomalizeData": "e734c76a-1111-2222-3333-444455556666", "rawData": "x"},
                        "fullName": {"nomalizeData": "Toan Truyen", "rawData": "Toàn Truyền"},
                        "sdt": {"nomalizeData": "84912345678", "rawData": "0912 345 678"},
                        "Nhu cầu": {"rawData": "Mua nhà"}},
               "conversation": {"conversationUrl": "https://example.test/c/1"}}
    [p] = hana.parse(ev(b(payload)), FakeLookups())
    assert (p.channel, p.facebook_name, p.phone) == ("Hana", "Toan Truyen", "84912345678")
    assert p.facebook_psid == "e734c76a111122223333444455556666"
    assert p.extra["Nhu cầu"] == "Mua nhà"
    k1 = hana.split(Delivery(b(payload)))[0].key
    assert k1.startswith("hana:e734c76a-1111-2222-3333-444455556666:")


def test_botbanhang_client_and_order() -> None:
    client = {"event": "client:new", "data": {"id": 2215616798496070, "first_name": "Cường",
                                              "last_name": "Nguyễn", "gender": "male"}}
    [c] = botbanhang.parse(ev(b(client)), FakeLookups())
    assert (c.facebook_psid, c.facebook_name, c.channel) == ("2215616798496070", "Nguyễn Cường", "Botbanhang")
    assert botbanhang.split(Delivery(b(client)))[0].key == "client:new:2215616798496070"
    order = {"event": "order:new", "data": {"idorder": "1278295", "client": {
        "first_name": "TriÂn", "last_name": "HộpThư", "psid": "2874888275870129"}, "ship": {
        "name": "Trần Hùng", "email": "tranhun@gmail.com", "phone": "0344559823",
        "address": "TINHTUTONG - Lê Chân - Hải Phòng", "province": "Hải Phòng", "district": "Lê Chân"}}}
    [o] = botbanhang.parse(ev(b(order)), FakeLookups())
    assert (o.facebook_psid, o.full_name, o.phone, o.email, o.province, o.district) == (
        "2874888275870129", "Trần Hùng", "0344559823", "tranhun@gmail.com", "Hải Phòng", "Lê Chân")
    assert o.chatbot_finished


def test_forms_shapes_and_accent_insensitive_names() -> None:
    flat = {"Họ và tên": "Lê Thị Mai", "Số điện thoại": "0912 345 678", "EMAIL": "mai@example.com",
            "Địa chỉ": "5 Lý Thường Kiệt", "url_page": "https://lp.test", "utm_source": "fb"}
    [p] = forms.parse(ev(b(flat), form=form("Landing page")), FakeLookups())
    assert (p.full_name, p.phone, p.email, p.street) == ("Lê Thị Mai", "0912 345 678", "mai@example.com",
                                                          "5 Lý Thường Kiệt")
    assert p.extra == {"page_url": "https://lp.test", "utm_source": "fb"} and p.ticket_channel == "webform"
    ladi = {"form_data": [{"name": "name", "value": "An"}, {"name": "so_dien_thoai", "value": "0987654321"}],
            "tracking_form": [{"name": "url_page", "value": "https://x"}]}
    [q] = forms.parse(ev(b(ladi), form=form("Zalo Ads Form")), FakeLookups())
    assert (q.full_name, q.phone, q.ticket_channel) == ("An", "0987654321", "zalo_ads_form")
    encoded = urlencode({"ho_ten": "Bình", "tel": "+84912000111", "ghi_chu": "gọi sau 5h"}).encode()
    [r] = forms.parse(ev(encoded, "application/x-www-form-urlencoded", form("Webform", {"Ghi chú": "cf_note"})),
                      FakeLookups())
    assert (r.full_name, r.phone, r.extra) == ("Bình", "+84912000111", {"cf_note": "gọi sau 5h"})


def test_forms_mapping_overrides_aliases_and_empty_is_rejected() -> None:
    [p] = forms.parse(ev(b({"lien_he": "0912345678", "name": "X"}), form=form("Webform", {"Liên hệ": "phone"})),
                      FakeLookups())
    assert p.phone == "0912345678"
    # No contact data is not a reason to fail: the answers are kept, the sync rules decide.
    [q] = forms.parse(ev(b({"utm_source": "x"}), form=form("Webform")), FakeLookups())
    assert (q.phone, q.email, q.extra) == (None, None, {"utm_source": "x"})
    for empty in (b"{}", b"", b"[]"):
        with pytest.raises(BadPayload):
            forms.parse(ev(empty, form=form("Webform")), FakeLookups())


# ---------------------------------------------------------------- durable intake (SQLite)

def test_twenty_parallel_redeliveries_store_one_event(sqlite_engine: Any) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from sqlmodel import Session, func, select

    from crm_app.db import read_session
    from crm_app.models import ChannelEvent
    from crm_app.services import intake

    def deliver(_: int) -> bool:
        with read_session(sqlite_engine) as session:
            return intake.record_event(session, "zalo", "msg:1", b"{}", {"Authorization": "x"})[1]

    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(deliver, range(20)))
    assert results.count(True) == 1
    with Session(sqlite_engine) as s:
        assert s.exec(select(func.count()).select_from(ChannelEvent)).one() == 1
        assert s.exec(select(ChannelEvent)).one().headers == {}  # secrets are not kept


def test_process_failure_is_kept_then_retried(sqlite_engine: Any) -> None:
    from sqlmodel import Session, select

    from crm_app.db import read_session, write_session
    from crm_app.models import Lead
    from crm_app.services import intake
    from crm_app.services.demo import ensure_demo_users

    with write_session(sqlite_engine) as s:
        ensure_demo_users(session=s)
    body = b({"entry": [{"changes": [{"field": "leadgen", "value": {"leadgen_id": "9"}}]}]})
    with read_session(sqlite_engine) as s:
        event, _ = intake.record_event(s, "facebook", "leadgen:9", body, {"content-type": "application/json"})
    assert event.id is not None
    assert intake.process_event(sqlite_engine, event.id, FakeLookups(fail=True)) == intake.FAILED
    assert intake.retry_failed(sqlite_engine, lookups=FakeLookups()).counts == {intake.PROCESSED: 1}
    assert intake.process_event(sqlite_engine, event.id, FakeLookups()) == intake.PROCESSED  # applied once
    with Session(sqlite_engine) as s:
        [lead] = s.exec(select(Lead)).all()
        assert lead.mobile == "+84912345678" and lead.input_source == "Facebook Lead Ads"
        stored = s.get(intake.ChannelEvent, event.id)
        assert stored is not None and stored.attempts == 2 and stored.lead_id == lead.id


def test_a_zalo_chat_message_goes_on_the_raw_lead_timeline(sqlite_engine) -> None:
    from crm_app.db import write_session
    from crm_app.services import intake, timeline
    from crm_app.services.demo import ensure_demo_users

    with write_session(sqlite_engine) as s:
        ensure_demo_users(session=s)
    body = json.dumps({"app_id": "1", "sender": {"id": "246845883529197922"}, "recipient": {"id": "2"},
                       "event_name": "user_send_text", "timestamp": "154390853474",
                       "message": {"text": "Cho tôi xin báo giá gói Premium", "msg_id": "m-1"}},
                      ensure_ascii=False).encode()
    with write_session(sqlite_engine) as s:
        event, _ = intake.record_event(s, "zalo", "m-1", body, {"content-type": "application/json"})
    assert intake.process_event(sqlite_engine, event.id, FakeLookups()) == intake.PROCESSED
    with write_session(sqlite_engine) as s:
        raw_lead_id = s.get(type(event), event.id).raw_lead_id
        lines = timeline.lines(s, "raw_lead", raw_lead_id)
    assert [(ln.action, ln.changes) for ln in lines if ln.action == "nhắn"] == [
        ("nhắn", ["«Cho tôi xin báo giá gói Premium»"])]


def test_messenger_source_is_the_pages_chatbot_provider(monkeypatch) -> None:
    from crm_app.services.channels import facebook
    from crm_app.settings import get_settings

    monkeypatch.setenv("CRM_FB_PAGE_PROVIDERS", "111:Hana, 222:Botbanhang, 333:Unknown")
    get_settings.cache_clear()
    try:
        assert [facebook.page_provider(p) for p in ("111", "222", "333", "444", None)] == [
            "Hana", "Botbanhang", "Facebook", "Facebook", "Facebook"]
        body = json.dumps({"object": "page", "entry": [{"id": "222", "time": 1, "messaging": [
            {"sender": {"id": "6000000000000001"}, "recipient": {"id": "222"}, "timestamp": 1,
             "message": {"mid": "m.1", "text": "xin chào"}}]}]}).encode()
        [person] = facebook.parse(ev(body), FakeLookups())
        assert person.channel == "Botbanhang" and person.facebook_psid == "6000000000000001"
    finally:
        get_settings.cache_clear()


# ---------------------------------------------------------------- the registry

def test_registry_lists_every_channel_once_with_what_the_screens_need() -> None:
    from crm_app.i18n import MESSAGES
    from crm_app.models import ChannelEvent
    from crm_app.services.channels import registry

    names = [c.name for c in registry.CHANNELS]
    assert names == ["form", "zalo", "facebook", "hana", "botbanhang"]
    width = ChannelEvent.__table__.c.channel.type.length  # type: ignore[attr-defined]
    assert all(len(name) <= width for name in names)
    assert [registry.get(n) for n in names] == list(registry.CHANNELS) and registry.get("sms") is None
    assert registry.chatbot("hana") is hana and registry.chatbot("zalo") is None  # zalo has its own route
    # The automatic-ticket switches, each with its label in both languages.
    assert registry.TICKET_KEYS == ("webform", "zalo_ads_form", "zalo_oa", "chatbot")
    for key in registry.TICKET_KEYS:
        assert MESSAGES["vi"][f"sync.tickets.{key}"] and MESSAGES["en"][f"sync.tickets.{key}"]
    assert {"Zalo OA", "Facebook Lead Ads", "Hana", "Botbanhang", "Webform", "Landing page",
            "Zalo Ads Form"} <= set(registry.INPUT_SOURCES)
    assert registry.label("form") == "Web form" and registry.label("old") == "old"


def test_only_chat_channels_put_a_message_on_the_timeline() -> None:
    text = b({"sender": {"id": "1"}, "event_name": "user_send_text", "message": {"text": "Báo giá?", "msg_id": "m"}})
    assert zalo.message_text(text) == "Báo giá?"
    chat = b({"entry": [{"messaging": [messaging("m1", "Xin chào")]}]})
    assert facebook.message_text(chat) == "Xin chào"
    assert facebook.message_text(b({"entry": [{"messaging": [messaging("m2", "echo", echo=True)]}]})) is None
    for channel in (hana, botbanhang, forms):
        assert channel.message_text(chat) is None
    assert zalo.message_text(b"not json") is None


def test_an_event_of_an_unregistered_channel_fails_with_its_reason(sqlite_engine: Any) -> None:
    from sqlmodel import Session

    from crm_app.db import read_session
    from crm_app.models import ChannelEvent
    from crm_app.services import intake

    with read_session(sqlite_engine) as s:
        event, _ = intake.record_event(s, "sms", "k1", b"{}", {})
    assert intake.process_event(sqlite_engine, event.id, FakeLookups()) == intake.FAILED
    with Session(sqlite_engine) as s:
        stored = s.get(ChannelEvent, event.id)
        assert stored is not None and "unknown channel 'sms'" in (stored.error or "")


def test_the_same_body_to_two_forms_is_two_events_and_a_resend_is_one(sqlite_engine: Any) -> None:
    from crm_app.db import read_session
    from crm_app.services import intake

    body = b({"name": "An", "phone": "0912345678"})
    with read_session(sqlite_engine) as s:
        outcomes = [intake.record_event(s, "form", "same-digest", body, {}, form_key=key)[1]
                    for key in ("landing1", "landing2", "landing1")]
    assert outcomes == [True, True, False]
