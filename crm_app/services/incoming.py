"""What a channel hands the sync rules (`IncomingPerson`) and what the rules did with it
(`Decision`): the contract between `services/channels/*`, the REST API and `sync_rules`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CREATED_RAW_LEAD = "created_raw_lead"
CREATED_LEAD = "created_lead"
UPDATED_RAW_LEAD = "updated_raw_lead"
UPDATED_LEAD = "updated_lead"
CONVERTED = "converted"
STORED_NOTHING = "stored_nothing"
CREATED_NEW_DUPLICATE = "created_new_duplicate"


# An ad lead's origin, as Meta names it (adset = Meta's "adgroup"); stored on the record.
ATTRIBUTION = ("ad_page_id", "ad_form_id", "ad_form_name", "ad_campaign_id", "ad_campaign_name",
               "ad_adset_id", "ad_adset_name", "ad_id", "ad_name")

# The names senders give those (Meta's notification and Graph fields, Zapier/Make/n8n outputs).
ATTRIBUTION_ALIASES = {
    "page_id": "ad_page_id", "form_id": "ad_form_id", "form_name": "ad_form_name",
    "campaign_id": "ad_campaign_id", "campaign_name": "ad_campaign_name", "adset_id": "ad_adset_id",
    "adgroup_id": "ad_adset_id", "adset_name": "ad_adset_name", "adgroup_name": "ad_adset_name",
    "ad_id": "ad_id", "ad_name": "ad_name", **{k: k for k in ATTRIBUTION},
}


@dataclass
class IncomingPerson:
    """What a channel learned about a person; raw values, normalised by the sync rules."""

    channel: str  # an input-source value ("Zalo OA", "Hana", ...) or a form's label
    zalo_user_id: str | None = None
    zalo_name: str | None = None
    facebook_psid: str | None = None
    facebook_name: str | None = None
    full_name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    email: str | None = None
    street: str | None = None
    ward: str | None = None
    district: str | None = None
    province: str | None = None
    country: str | None = None
    extra: dict[str, str] = field(default_factory=dict)  # custom-field keys, else description
    # Where an ad lead came from: ATTRIBUTION keys (ad_id, campaign_name, ...) -> the sender's value.
    attribution: dict[str, str] = field(default_factory=dict)
    # Other contact columns, already cleaned by the field registry's validation (the REST API).
    fields: dict[str, Any] = field(default_factory=dict)
    ticket_channel: str | None = None  # a ticket-rule key of the channel (channels.registry.TICKET_KEYS)
    chatbot_finished: bool = False


@dataclass
class Decision:
    action: str  # one of the constants above
    raw_lead_id: int | None = None
    lead_id: int | None = None
    assigned_to_id: int | None = None
    ticket_id: int | None = None
