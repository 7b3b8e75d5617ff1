"""Which raw-lead field a sender's label means: "Họ và tên", "your-name", "SĐT", "phone_number",
"Tỉnh/Thành phố" ... — one table shared by the web-form intake and the Excel import's automatic
column mapping, so a header and a form field spelled the same land in the same field.

Labels are compared accent-, case- and separator-insensitively ("Số điện thoại *", "so_dien_thoai"
and "SoDienThoai" are one label). Keys are the field keys of DESIGN §4 plus `FULL_NAME`, a
pseudo-key for a whole name that the caller splits with `split_full_name`.
"""

from __future__ import annotations

import re
from functools import lru_cache

from crm_app.services.text import fold

FULL_NAME = "full_name"

# key -> the labels senders use for it (Vietnamese, English, common plugin names). Written as
# people type them; normalised by `_squash` at import time.
SYNONYMS: dict[str, tuple[str, ...]] = {
    FULL_NAME: (
        "họ và tên", "họ tên", "hoten", "họ & tên", "full name", "fullname", "name", "your-name",
        "your name", "tên đầy đủ", "tên khách hàng", "tên kh", "họ tên khách hàng", "khách hàng",
        "customer name", "contact name", "tên của bạn", "tên người liên hệ", "người liên hệ",
        "quý danh", "display name",
    ),
    "last_name": ("họ", "last name", "lastname", "surname", "family name", "họ đệm",
                  "họ và tên đệm"),
    "first_name": ("tên", "first name", "firstname", "given name", "tên gọi"),
    "mobile": (
        "sđt", "sdt", "số đt", "số điện thoại", "điện thoại di động", "di động", "số di động",
        "phone", "tel", "mobile", "your-tel", "your-phone", "phone_number", "phone number",
        "mobile phone", "mobile number", "cell", "cell phone", "cellphone", "đt", "dt",
        "sđt liên hệ", "số điện thoại liên hệ", "số zalo", "sđt zalo", "whatsapp", "contact phone",
    ),
    "phone": ("điện thoại", "telephone", "landline", "điện thoại bàn", "điện thoại cố định",
              "work phone", "office phone", "home phone"),
    "email": ("email", "e-mail", "your-email", "your email", "mail", "email address",
              "e-mail address", "địa chỉ email", "thư điện tử", "gmail"),
    "company": ("công ty", "tên công ty", "company", "company name", "doanh nghiệp",
                "tên doanh nghiệp", "organization", "organisation", "tổ chức", "đơn vị"),
    "title": ("chức vụ", "title", "job title", "position", "vị trí", "chức danh"),
    "website": ("website", "web site", "trang web", "company website"),
    "lead_source": ("nguồn", "nguồn kh", "nguồn khách hàng", "lead source", "source"),
    "customer_type": ("loại khách hàng", "loại kh", "customer type"),
    "salutation": ("danh xưng", "xưng hô", "salutation", "prefix"),
    "birthday": ("ngày sinh", "sinh nhật", "ngày tháng năm sinh", "birthday", "date of birth",
                 "dob", "birth date", "birthdate", "user_dob"),
    "street": ("địa chỉ", "address", "street", "street address", "địa chỉ nhà", "số nhà",
               "address line 1", "address1", "địa chỉ liên hệ", "your-address"),
    "ward": ("phường", "xã", "phường/xã", "phường xã", "xã/phường", "ward"),
    "district": ("quận", "huyện", "quận/huyện", "quận huyện", "district"),
    "province": ("tỉnh thành", "tỉnh", "thành phố", "tỉnh/tp", "tỉnh/thành", "tỉnh/thành phố",
                 "tỉnh thành phố", "city", "province", "state", "province/city", "khu vực",
                 "your-city"),
    "country": ("quốc gia", "country", "nation", "đất nước"),
    "description": ("ghi chú", "message", "note", "notes", "your-message", "mô tả",
                    "description", "nội dung", "lời nhắn", "comment", "comments", "yêu cầu",
                    "nội dung tin nhắn", "tin nhắn", "your message"),
    "assigned_to": ("người phụ trách", "giao cho", "phụ trách", "nhân viên phụ trách",
                    "assigned to", "assignee", "owner", "sale phụ trách"),
    "status": ("trạng thái", "status"),
    "input_source": ("nguồn input", "input source"),
    "zalo_user_id": ("đồng bộ zalo", "zalo id", "zalo user id"),
    "zalo_name": ("tên zalo", "zalo name"),
    "facebook_psid": ("facebook id", "psid", "facebook psid"),
    "facebook_name": ("tên facebook", "facebook name"),
}

_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def _squash(label: str) -> str:
    """Folded (no accents, lower case) and without anything but letters and digits."""
    return _NON_ALNUM.sub("", fold(label))


def _build() -> dict[str, str]:
    index: dict[str, str] = {}
    for key, labels in SYNONYMS.items():
        for label in labels:
            index.setdefault(_squash(label), key)
    return index


_INDEX = _build()
_OWNER_WORDS = frozenset({"user", "your", "customer", "client", "contact", "lead", "kh", "khach", "nguoi"})
# Wrappers that form builders put around a field's own name: "form_fields[email]",
# "fields[phone][value]", "input_3" is not one of them (no name to find).
_BRACKETS = re.compile(r"\[([^\[\]]*)\]")


@lru_cache(maxsize=4096)
def field_key_for(label: str) -> str | None:
    """The field key a label means, `FULL_NAME` for a whole name, None when it means nothing we
    know (the caller keeps that answer as extra information)."""
    if not isinstance(label, str) or not label.strip():
        return None
    key = _INDEX.get(_squash(label))
    if key is not None:
        return key
    # "form_fields[name]" / "fields[email][value]": the innermost known part names the field.
    for part in reversed(_BRACKETS.findall(label)):
        key = _INDEX.get(_squash(part))
        if key is not None:
            return key
    # "Họ và tên (bắt buộc)" / "Số điện thoại *": a trailing hint or mark is not the name.
    trimmed = re.sub(r"\(.*?\)|\*|:|\?", " ", label)
    if trimmed != label and (key := _INDEX.get(_squash(trimmed))) is not None:
        return key
    # "user_email", "Customer Phone", "KH - SĐT": a word saying whose field it is.
    words = _NON_ALNUM.sub(" ", fold(trimmed)).split()
    if len(words) > 1 and words[0] in _OWNER_WORDS:
        return _INDEX.get("".join(words[1:]))
    return None


def split_full_name(text: str | None) -> tuple[str, str]:
    """(last_name, first_name) the Vietnamese way: the given name (Tên) is the last word, the
    family and middle names (Họ) the rest. "Nguyễn Thị Minh Khai" -> ("Nguyễn Thị Minh", "Khai");
    one word is a given name alone."""
    words = (text or "").split()
    if not words:
        return "", ""
    return " ".join(words[:-1]), words[-1]
