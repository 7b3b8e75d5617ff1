"""The REST API's shapes (DESIGN §5): what the OpenAPI description promises and the routes send.

Items carry every field key of the field registry; custom fields (`cf_<key>`) are additional
properties because admins add them at run time. Phones are E.164, times ISO 8601 with offset."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr

_PHONE = "E.164, e.g. +84912345678."
_USER = "Username (tên truy cập) of the assigned user."


class ContactItem(BaseModel):
    """Fields shared by raw leads and leads; `cf_*` keys are the admin's custom fields (text or null)."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, str | None] = Field(init=False)

    id: int
    salutation: str | None
    last_name: str | None
    first_name: str
    mobile: str | None = Field(description=_PHONE)
    phone: str | None = Field(description=_PHONE)
    email: str | None
    company: str | None
    title: str | None
    website: str | None
    lead_source: str | None
    customer_type: str | None
    birthday: date | None
    street: str | None
    ward: str | None
    district: str | None
    province: str | None
    country: str | None
    description: str | None
    assigned_to: str | None = Field(description=_USER)
    status: str
    zalo_user_id: str | None
    zalo_name: str | None
    facebook_psid: str | None
    facebook_name: str | None
    input_source: str | None
    created_at: datetime
    modified_at: datetime


class RawLeadItem(ContactItem):
    converted_lead_id: int | None = Field(description="The Lead this raw lead was converted to.")


class LeadItem(ContactItem):
    raw_lead_id: int | None = Field(description="The raw lead this Lead was converted from.")


class TicketItem(BaseModel):
    id: int
    subject: str
    channel: str
    raw_lead_id: int | None
    lead_id: int | None
    assigned_to: str | None = Field(description=_USER)
    status: str
    description: str | None
    created_at: datetime
    modified_at: datetime


_TOTAL = "Records matching the filters (all pages)."
_CURSOR = "Pass as `cursor` to get the next page; null on the last page."


class RawLeadPage(BaseModel):
    items: list[RawLeadItem]
    total: int = Field(description=_TOTAL)
    next_cursor: str | None = Field(description=_CURSOR)


class LeadPage(BaseModel):
    items: list[LeadItem]
    total: int = Field(description=_TOTAL)
    next_cursor: str | None = Field(description=_CURSOR)


class TicketPage(BaseModel):
    items: list[TicketItem]
    total: int = Field(description=_TOTAL)
    next_cursor: str | None = Field(description=_CURSOR)


class RawLeadCreate(BaseModel):
    """Field keys as in the field registry; values as a person types them (phones in any format,
    dates dd/mm/yyyy or yyyy-mm-dd, picklists one of their values). Custom fields as `cf_<key>`.
    Owner, status and Nguồn input are decided by the sync rules, as for every channel."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"example": {
        "first_name": "An", "last_name": "Nguyễn Văn", "mobile": "0912 345 678",
        "email": "an.nguyen@example.com", "company": "Công ty ABC", "province": "Hồ Chí Minh"}})
    __pydantic_extra__: dict[str, StrictStr | StrictInt | StrictFloat | None] = Field(init=False)

    first_name: str = Field(min_length=1, max_length=128)
    salutation: str | None = Field(default=None, max_length=32)
    last_name: str | None = Field(default=None, max_length=128)
    mobile: str | None = Field(default=None, max_length=40)
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=254)
    company: str | None = Field(default=None, max_length=255)
    title: str | None = Field(default=None, max_length=128)
    website: str | None = Field(default=None, max_length=255)
    lead_source: str | None = Field(default=None, max_length=64)
    customer_type: str | None = Field(default=None, max_length=64)
    birthday: str | None = Field(default=None, max_length=10, description="dd/mm/yyyy, dd-mm-yyyy or yyyy-mm-dd")
    street: str | None = Field(default=None, max_length=255)
    ward: str | None = Field(default=None, max_length=128)
    district: str | None = Field(default=None, max_length=128)
    province: str | None = Field(default=None, max_length=128)
    country: str | None = Field(default=None, max_length=128)
    description: str | None = Field(default=None, max_length=10_000)
    zalo_user_id: str | None = Field(default=None, max_length=32)
    zalo_name: str | None = Field(default=None, max_length=128)
    facebook_psid: str | None = Field(default=None, max_length=32)
    facebook_name: str | None = Field(default=None, max_length=128)


class CreateResult(BaseModel):
    """What the sync rules did with the submitted person. A record the token's user may not see
    (visibility setting) is given by id only."""

    action: str = Field(description="created_raw_lead, created_lead, created_new_duplicate, updated_raw_lead, "
                                    "updated_lead, converted or stored_nothing.")
    raw_lead_id: int | None
    lead_id: int | None
    raw_lead: RawLeadItem | None
    lead: LeadItem | None
    ticket_id: int | None
    warnings: dict[str, str] = Field(description="Per field: why its value was not stored in it (kept in "
                                                 "`description` instead, or picklist value `Không xác định`).")
