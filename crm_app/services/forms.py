"""Web forms / landing pages that post to /api/webhooks/forms/{key}: their key, secret, channel
label and field mapping. The command line (an operator) and the admin screen both come here."""

from __future__ import annotations

import re
import secrets

from sqlmodel import Session, col, select

from crm_app.fields import DEFAULT_PICKLISTS, UNKNOWN
from crm_app.i18n import UserError
from crm_app.models import FormConfig
from crm_app.services import audit, input_sources
from crm_app.services.auth import Actor, require_admin

# The key is part of the URL (/api/webhooks/forms/<key>): letters, digits, "_" and "-" only.
KEY_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
INPUT_SOURCES = DEFAULT_PICKLISTS["input_source"]


def _channel(session: Session, label: str) -> str:
    """A form's label is the Nguồn input its records get: one of the picklist's values ("landing
    page" is stored as "Landing page"), never a value the list does not have."""
    label = (label.strip() or "Webform")[:64]
    value = input_sources.resolve(session, label)
    if value == UNKNOWN:
        raise UserError("forms.channel_invalid", channel=label)
    return value


def list_forms(session: Session, actor: Actor) -> list[FormConfig]:
    require_admin(actor)
    return list(session.exec(select(FormConfig).order_by(col(FormConfig.key))))


def add_form(session: Session, *, key: str, channel: str, secret: str | None = None,
             actor: Actor | None = None) -> tuple[FormConfig, str]:
    """A new form and its secret. `actor` is None only for the command line's operator."""
    if actor is not None:
        require_admin(actor)
    key = key.strip()
    if not KEY_RE.fullmatch(key):
        raise UserError("channel.form_key_invalid")
    if session.exec(select(FormConfig).where(FormConfig.key == key)).first() is not None:
        raise UserError("channel.form_exists", form=key)
    secret = secret or secrets.token_urlsafe(32)
    form = FormConfig(key=key, channel=_channel(session, channel), secret=secret)
    session.add(form)
    session.flush()
    audit.record(session=session, entity="form", entity_id=form.id or 0, action="created",
                 user_id=actor.id if actor else None, source="manual" if actor else "cli", changes={"key": [None, key]})
    return form, secret


def update_form(session: Session, actor: Actor, form_id: int, *, channel: str, mapping_text: str,
                active: bool) -> FormConfig:
    """`mapping_text` holds one "incoming field name = CRM field key" per line."""
    require_admin(actor)
    form = session.get(FormConfig, form_id)
    if form is None:
        raise UserError("channel_ui.not_found")
    mapping: dict[str, str] = {}
    for line in mapping_text.splitlines():
        if not line.strip():
            continue
        name, sep, field = line.partition("=")
        if not sep or not name.strip() or not field.strip():
            raise UserError("forms.mapping_line", line=line.strip())
        mapping[name.strip()] = field.strip()
    old = {"channel": form.channel, "mapping": form.mapping, "is_active": form.is_active}
    form.channel = _channel(session, channel) if channel.strip() else form.channel
    form.mapping, form.is_active = mapping, active
    session.add(form)
    new = {"channel": form.channel, "mapping": form.mapping, "is_active": form.is_active}
    audit.record(session=session, entity="form", entity_id=form_id, action="updated", user_id=actor.id,
                 changes={k: [old[k], v] for k, v in new.items() if old[k] != v})
    return form


def rotate_secret(session: Session, actor: Actor, form_id: int) -> str:
    require_admin(actor)
    form = session.get(FormConfig, form_id)
    if form is None:
        raise UserError("channel_ui.not_found")
    form.secret = secrets.token_urlsafe(32)
    session.add(form)
    audit.record(session=session, entity="form", entity_id=form_id, action="updated", user_id=actor.id,
                 changes={"secret": ["…", "…"]})
    return form.secret
