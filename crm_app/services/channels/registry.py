"""The channels the CRM receives from, in one list: the webhook routes, `intake`, the automatic
ticket switches, the dashboard's series and the channel-events screen read it. Adding a channel is
one module implementing `Channel` and one line here."""

from __future__ import annotations

from crm_app.services.channels import Channel, botbanhang, facebook, forms, hana, zalo

# Chatbot providers share the route /api/webhooks/chatbot/{provider}, {provider} being the name.
CHATBOTS: tuple[Channel, ...] = (hana, botbanhang)
CHANNELS: tuple[Channel, ...] = (forms, zalo, facebook, *CHATBOTS)

_BY_NAME = {channel.name: channel for channel in CHANNELS}
# The automatic-ticket switches of the sync settings, in the order they are shown.
TICKET_KEYS: tuple[str, ...] = tuple(dict.fromkeys(key for c in CHANNELS for key in c.ticket_keys))
# Every Nguồn input value a channel can give a record.
INPUT_SOURCES: tuple[str, ...] = tuple(dict.fromkeys(s for c in CHANNELS for s in c.input_sources))


def get(name: str) -> Channel | None:
    """The channel stored as `ChannelEvent.channel == name`."""
    return _BY_NAME.get(name)


def chatbot(provider: str) -> Channel | None:
    found = _BY_NAME.get(provider)
    return found if found in CHATBOTS else None


def label(name: str) -> str:
    """What admins see for a stored channel name (the name itself for one no longer registered)."""
    found = _BY_NAME.get(name)
    return found.label if found is not None else name
