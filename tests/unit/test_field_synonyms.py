"""The shared label -> field table used by web forms and the Excel import's mapper."""

from __future__ import annotations

import pytest

from crm_app.services.field_synonyms import FULL_NAME, field_key_for, split_full_name


@pytest.mark.parametrize(("label", "key"), [
    ("Họ và tên", FULL_NAME), ("HO VA TEN", FULL_NAME), ("full name", FULL_NAME),
    ("your-name", FULL_NAME), ("fullname", FULL_NAME), ("Name", FULL_NAME),
    ("Họ", "last_name"), ("Tên", "first_name"), ("first_name", "first_name"),
    ("SĐT", "mobile"), ("Số ĐT", "mobile"), ("số điện thoại", "mobile"),
    ("Điện thoại di động", "mobile"), ("Di động", "mobile"), ("phone", "mobile"),
    ("TEL", "mobile"), ("your-tel", "mobile"), ("phone_number", "mobile"),
    ("PhoneNumber", "mobile"), ("Số điện thoại *", "mobile"), ("Điện thoại", "phone"),
    ("Email", "email"), ("E-mail", "email"), ("your-email", "email"),
    ("Tỉnh thành", "province"), ("Thành phố", "province"), ("city", "province"),
    ("Tỉnh/TP", "province"), ("Ghi chú", "description"), ("message", "description"),
    ("note", "description"), ("Nguồn KH", "lead_source"), ("Người phụ trách", "assigned_to"),
    ("form_fields[email]", "email"), ("fields[phone][value]", "mobile"),
    ("Họ và tên (bắt buộc)", FULL_NAME), ("Địa chỉ", "street"), ("Quận/Huyện", "district"),
    ("Phường/Xã", "ward"), ("Nguồn input", "input_source"), ("Ngày sinh", "birthday"),
])
def test_known_labels(label: str, key: str) -> None:
    assert field_key_for(label) == key


@pytest.mark.parametrize("label", ["", "   ", "utm_source", "page_url", "Bạn quan tâm sản phẩm nào",
                                   "input_3", "form_id"])
def test_unknown_labels(label: str) -> None:
    assert field_key_for(label) is None


@pytest.mark.parametrize(("text", "parts"), [
    ("Nguyễn Thị Minh Khai", ("Nguyễn Thị Minh", "Khai")),
    ("  Trần   An ", ("Trần", "An")),
    ("Hoa", ("", "Hoa")),
    ("", ("", "")),
    (None, ("", "")),
])
def test_split_full_name(text: str | None, parts: tuple[str, str]) -> None:
    assert split_full_name(text) == parts


@pytest.mark.parametrize(("label", "key"), [("user_email", "email"), ("Customer Phone", "mobile"),
                                            ("user_name", FULL_NAME), ("KH - SĐT", "mobile")])
def test_owner_word_prefix(label: str, key: str) -> None:
    assert field_key_for(label) == key
