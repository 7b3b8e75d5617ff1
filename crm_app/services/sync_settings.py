"""The admin's sync settings (Cấu hình đồng bộ thông tin KH; DESIGN §4): their allowed values,
loading (lenient) and saving (validated, audited). The rules that apply them are in sync_rules.py,
the assignment methods in assignment.py."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from crm_app.i18n import UserError
from crm_app.models import SyncConfig, User, utcnow
from crm_app.services import audit
from crm_app.services.auth import Actor, require_admin
from crm_app.services.channels.registry import TICKET_KEYS
from crm_app.services.reference_data import DEFAULT_SYNC_SETTINGS

CONDITIONS = ("email", "phone", "email_or_phone", "email_and_phone")
TARGETS_WHEN_MET = ("lead", "raw_lead")
TARGETS_WHEN_NOT_MET = ("raw_lead", "lead", "none")
ON_MATCH = ("overwrite", "skip")
METHOD_ROUND_ROBIN = "round_robin"
METHOD_LEAST_OPEN = "least_open"
METHODS = (METHOD_ROUND_ROBIN, METHOD_LEAST_OPEN)

# The settings chosen among fixed values, and those values (the admin screen offers them too).
CHOICES: dict[str, tuple[str, ...]] = {
    "condition": CONDITIONS,
    "target_when_met": TARGETS_WHEN_MET,
    "target_when_not_met": TARGETS_WHEN_NOT_MET,
    "on_match": ON_MATCH,
    "assignment_method": METHODS,
}


@dataclass
class SyncSettings:
    condition: str = DEFAULT_SYNC_SETTINGS["condition"]
    target_when_met: str = DEFAULT_SYNC_SETTINGS["target_when_met"]
    target_when_not_met: str = DEFAULT_SYNC_SETTINGS["target_when_not_met"]
    convert_on_update: bool = DEFAULT_SYNC_SETTINGS["convert_on_update"]
    on_match: str = DEFAULT_SYNC_SETTINGS["on_match"]
    assignment_users: list[int] = field(default_factory=list)
    assignment_method: str = DEFAULT_SYNC_SETTINGS["assignment_method"]
    tickets: dict[str, bool] = field(default_factory=lambda: dict.fromkeys(TICKET_KEYS, False))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SyncSettings:
        """Lenient: a missing or unknown stored value falls back to the default, so a damaged
        config row never stops the channels."""
        merged = {**DEFAULT_SYNC_SETTINGS, **(data or {})}
        default = cls()

        def pick(key: str) -> str:
            value = merged.get(key)
            return value if value in CHOICES[key] else getattr(default, key)

        stored_tickets = merged["tickets"] if isinstance(merged.get("tickets"), dict) else {}
        users = merged["assignment_users"] if isinstance(merged.get("assignment_users"), list) else []
        return cls(
            **{key: pick(key) for key in CHOICES},
            convert_on_update=bool(merged.get("convert_on_update")),
            assignment_users=[int(u) for u in users if isinstance(u, int) or str(u).isdigit()],
            tickets={k: bool(stored_tickets.get(k)) for k in TICKET_KEYS},
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _config_row(session: Session) -> SyncConfig | None:
    return session.exec(select(SyncConfig).order_by(col(SyncConfig.id))).first()


def load_config(session: Session) -> SyncSettings:
    row = _config_row(session)
    return SyncSettings.from_dict(row.settings if row is not None else {})


def _validate(session: Session, settings: SyncSettings) -> None:
    for key, allowed in CHOICES.items():
        if getattr(settings, key) not in allowed:
            raise UserError("sync.invalid", field=key)
    if not isinstance(settings.convert_on_update, bool):
        raise UserError("sync.invalid", field="convert_on_update")
    if set(settings.tickets) - set(TICKET_KEYS) or not all(
            isinstance(v, bool) for v in settings.tickets.values()):
        raise UserError("sync.invalid", field="tickets")
    users = settings.assignment_users
    if len(set(users)) != len(users) or not all(isinstance(u, int) for u in users):
        raise UserError("sync.invalid", field="assignment_users")
    known = set(session.exec(select(User.id).where(col(User.id).in_(users)))) if users else set()
    for uid in users:
        if uid not in known:
            raise UserError("sync.unknown_user", user=uid)


def save_config(session: Session, actor: Actor, settings: SyncSettings) -> SyncSettings:
    """Admin only; every changed setting is audited as [old, new]."""
    require_admin(actor)
    _validate(session, settings)
    settings = SyncSettings.from_dict(settings.to_dict())  # fills tickets keys left out
    row = _config_row(session) or SyncConfig(settings={})
    old, new = SyncSettings.from_dict(row.settings).to_dict(), settings.to_dict()
    changes = {k: [old.get(k), v] for k, v in new.items() if old.get(k) != v}
    row.settings = new
    row.modified_at = utcnow()
    row.modified_by_id = actor.id
    session.add(row)
    session.flush()
    assert row.id is not None
    if changes:
        audit.record(session=session, entity="sync_config", entity_id=row.id, action="updated",
                     user_id=actor.id, source="manual", changes=changes)
    return settings
