"""The raw-lead field registry: the one place that knows every field.

Forms, list columns, filters, the import template and the mapper all read it.
Picklist *values* are data (table picklist_values); the defaults below seed them.
Admin-defined custom fields are merged in by `raw_lead_fields`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from crm_app.db import once_per_read
from crm_app.models import CustomField, PicklistValue

UNKNOWN = "Không xác định"

SECTION_CONTACT = "contact"
SECTION_ADDRESS = "address"
SECTION_DESCRIPTION = "description"
SECTION_MANAGEMENT = "management"
SECTION_CUSTOM = "custom"


@dataclass(frozen=True)
class FieldDef:
    key: str
    label_vi: str
    label_en: str
    type: str  # text | phone | email | url | picklist | date | longtext | user | number | link
    section: str
    required: bool = False
    importable: bool = True
    custom: bool = False

    def label(self, locale: str = "vi") -> str:
        return self.label_en if locale == "en" else self.label_vi


BUILTIN_FIELDS: tuple[FieldDef, ...] = (
    FieldDef("salutation", "Danh xưng", "Salutation", "picklist", SECTION_CONTACT),
    FieldDef("last_name", "Họ", "Last name", "text", SECTION_CONTACT),
    FieldDef("first_name", "Tên", "First name", "text", SECTION_CONTACT, required=True),
    FieldDef("mobile", "Di động", "Mobile", "phone", SECTION_CONTACT),
    FieldDef("phone", "Điện thoại", "Phone", "phone", SECTION_CONTACT),
    FieldDef("email", "Email", "Email", "email", SECTION_CONTACT),
    FieldDef("company", "Công ty", "Company", "text", SECTION_CONTACT),
    FieldDef("title", "Chức vụ", "Title", "text", SECTION_CONTACT),
    FieldDef("website", "Website", "Website", "url", SECTION_CONTACT),
    FieldDef("lead_source", "Nguồn", "Lead source", "picklist", SECTION_CONTACT),
    FieldDef("customer_type", "Loại khách hàng", "Customer type", "picklist", SECTION_CONTACT),
    FieldDef("birthday", "Ngày sinh", "Birthday", "date", SECTION_CONTACT),
    FieldDef("street", "Địa chỉ", "Street", "text", SECTION_ADDRESS),
    FieldDef("ward", "Phường/Xã", "Ward", "text", SECTION_ADDRESS),
    FieldDef("district", "Quận/Huyện", "District", "text", SECTION_ADDRESS),
    FieldDef("province", "Tỉnh/TP", "Province/City", "text", SECTION_ADDRESS),
    FieldDef("country", "Quốc gia", "Country", "text", SECTION_ADDRESS),
    FieldDef("description", "Mô tả", "Description", "longtext", SECTION_DESCRIPTION),
    FieldDef("assigned_to", "Giao cho", "Assigned to", "user", SECTION_MANAGEMENT, required=True),
    FieldDef("status", "Trạng thái", "Status", "picklist", SECTION_MANAGEMENT),
    FieldDef("zalo_user_id", "Đồng bộ Zalo", "Zalo sync", "text", SECTION_MANAGEMENT,
             importable=False),
    FieldDef("zalo_name", "Tên Zalo", "Zalo name", "text", SECTION_MANAGEMENT, importable=False),
    FieldDef("facebook_psid", "Facebook ID", "Facebook ID", "text", SECTION_MANAGEMENT,
             importable=False),
    FieldDef("facebook_name", "Tên Facebook", "Facebook name", "text", SECTION_MANAGEMENT,
             importable=False),
    FieldDef("input_source", "Nguồn input", "Input source", "picklist", SECTION_MANAGEMENT,
             importable=False),
    FieldDef("ad_campaign_name", "Chiến dịch quảng cáo", "Ad campaign", "text", SECTION_MANAGEMENT,
             importable=False),
    FieldDef("ad_campaign_id", "ID chiến dịch", "Campaign ID", "text", SECTION_MANAGEMENT,
             importable=False),
    FieldDef("ad_adset_name", "Nhóm quảng cáo", "Ad set", "text", SECTION_MANAGEMENT, importable=False),
    FieldDef("ad_adset_id", "ID nhóm quảng cáo", "Ad set ID", "text", SECTION_MANAGEMENT,
             importable=False),
    FieldDef("ad_name", "Quảng cáo", "Ad", "text", SECTION_MANAGEMENT, importable=False),
    FieldDef("ad_id", "ID quảng cáo", "Ad ID", "text", SECTION_MANAGEMENT, importable=False),
    FieldDef("ad_form_name", "Biểu mẫu quảng cáo", "Lead form", "text", SECTION_MANAGEMENT,
             importable=False),
    FieldDef("ad_form_id", "ID biểu mẫu", "Lead form ID", "text", SECTION_MANAGEMENT, importable=False),
    FieldDef("ad_page_id", "ID trang", "Page ID", "text", SECTION_MANAGEMENT, importable=False),
    FieldDef("converted_lead_id", "Lead đã chuyển đổi", "Converted lead", "link",
             SECTION_MANAGEMENT, importable=False),
)

BUILTIN_BY_KEY: dict[str, FieldDef] = {f.key: f for f in BUILTIN_FIELDS}

# Picklists that are not raw-lead fields, edited by admins beside the others (Cấu hình trường).
OTHER_PICKLIST_FIELDS: tuple[FieldDef, ...] = (
    FieldDef("call_outcome", "Kết quả cuộc gọi", "Call outcome", "picklist", SECTION_MANAGEMENT, importable=False),
    FieldDef("lead_status", "Giai đoạn Lead", "Lead stage", "picklist", SECTION_MANAGEMENT, importable=False),
)
PICKLIST_FIELD_BY_KEY: dict[str, FieldDef] = {**BUILTIN_BY_KEY, **{f.key: f for f in OTHER_PICKLIST_FIELDS}}

DEFAULT_PICKLISTS: dict[str, tuple[str, ...]] = {
    "salutation": ("Anh", "Chị", "Ông", "Bà", "Mr.", "Ms."),
    "lead_source": ("Website", "Facebook", "Zalo", "Hội thảo", "Giới thiệu", "Quảng cáo", "Khác"),
    "customer_type": ("Cá nhân", "Doanh nghiệp"),
    "status": ("Mới", "Đang chăm sóc", "Đã chuyển đổi", "Không tiềm năng"),
    "input_source": ("Thủ công", "Import", "Zalo OA", "Zalo Ads Form", "Hana", "Botbanhang",
                     "Facebook Lead Ads", "Webform", "Landing page", "API"),
    "call_outcome": ("Không nghe máy", "Hẹn gọi lại", "Quan tâm", "Không quan tâm", "Sai số", "Máy bận"),
    "lead_status": ("Mới", "Đang liên hệ", "Đủ điều kiện", "Đã gửi báo giá", "Thành công", "Thất bại"),
}

# The meaning of each seeded value (PicklistValue.meaning); an admin's new value is "open".
MEANING_OPEN, MEANING_CONVERTED, MEANING_CLOSED = "open", "converted", "closed"
MEANING_WON, MEANING_LOST = "won", "lost"
DEFAULT_MEANINGS: dict[str, dict[str, str]] = {
    "status": {"Mới": MEANING_OPEN, "Đang chăm sóc": MEANING_OPEN, "Đã chuyển đổi": MEANING_CONVERTED,
               "Không tiềm năng": MEANING_CLOSED},
    "lead_status": {"Mới": MEANING_OPEN, "Đang liên hệ": MEANING_OPEN, "Đủ điều kiện": MEANING_OPEN,
                    "Đã gửi báo giá": MEANING_OPEN, "Thành công": MEANING_WON, "Thất bại": MEANING_LOST},
}

STATUS_NEW = "Mới"
STATUS_IN_CARE = "Đang chăm sóc"
STATUS_CONVERTED = "Đã chuyển đổi"
STATUS_CLOSED = "Không tiềm năng"
# What a status value means (an admin picks one when adding a value): services/statuses.py.
STATUS_MEANINGS = (MEANING_OPEN, MEANING_CONVERTED, MEANING_CLOSED)
# The built-in values' meanings (the guide); any other status value is open unless an admin says otherwise.
BUILTIN_STATUS_MEANINGS = DEFAULT_MEANINGS["status"]
INPUT_MANUAL = "Thủ công"
INPUT_IMPORT = "Import"
INPUT_API = "API"

DEFAULT_LIST_COLUMNS: tuple[str, ...] = (
    "last_name", "first_name", "mobile", "email", "company", "lead_source", "status",
    "assigned_to", "created_at", "last_contacted_at", "next_task_at",
)


def raw_lead_fields(session: Session, *, include_inactive: bool = False) -> list[FieldDef]:
    """Built-in fields followed by the admin's custom fields, in their order."""
    return list(once_per_read(session, f"raw_lead_fields:{include_inactive}",
                              lambda: _load_fields(session, include_inactive)))


def _load_fields(session: Session, include_inactive: bool) -> list[FieldDef]:
    query = select(CustomField).order_by(col(CustomField.position), col(CustomField.id))
    if not include_inactive:
        query = query.where(CustomField.is_active == True)  # noqa: E712
    custom = [
        FieldDef(
            key=f"cf_{cf.key}",
            label_vi=cf.label_vi,
            label_en=cf.label_en,
            type=cf.field_type,
            section=SECTION_CUSTOM,
            required=cf.required,
            custom=True,
        )
        for cf in session.exec(query)
    ]
    return [*BUILTIN_FIELDS, *custom]


def picklist_values(session: Session, field_key: str, *, include_inactive: bool = False
                    ) -> list[str]:
    """Active values in the admin's order; "Không xác định" is always last and always there."""
    query = select(PicklistValue.value).where(PicklistValue.field_key == field_key)
    if not include_inactive:
        query = query.where(PicklistValue.is_active == True)  # noqa: E712
    values = [v for v in session.exec(query.order_by(col(PicklistValue.position), col(PicklistValue.id)))
              if v != UNKNOWN]
    return [*values, UNKNOWN]
