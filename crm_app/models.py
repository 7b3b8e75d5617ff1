"""SQLModel tables. Migrations in crm_app/migrations are generated from these and reviewed."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import DDL, JSON, Date, Index, LargeBinary, Text, UniqueConstraint, cast, event, func, literal_column
from sqlmodel import Field, SQLModel, col


def utcnow() -> datetime:
    return datetime.now(UTC)


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True, index=True)
    full_name: str = Field(max_length=128)
    password_hash: str = Field(max_length=255)
    role: str = Field(default="user", max_length=16)  # "admin" | "user"
    is_active: bool = Field(default=True)
    locale: str = Field(default="vi", max_length=8)
    created_at: datetime = Field(default_factory=utcnow)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class AuthSession(SQLModel, table=True):
    __tablename__ = "auth_sessions"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime


class OrgSetting(SQLModel, table=True):
    __tablename__ = "org_settings"

    key: str = Field(primary_key=True, max_length=64)
    value: Any = Field(default=None, sa_type=JSON)


class ContactFields(SQLModel):
    """Contact fields shared by raw leads and leads (DESIGN §4)."""

    salutation: str | None = Field(default=None, max_length=32)
    last_name: str | None = Field(default=None, max_length=128)
    first_name: str = Field(max_length=128)
    mobile: str | None = Field(default=None, max_length=20, index=True)  # E.164
    phone: str | None = Field(default=None, max_length=20, index=True)  # E.164
    email: str | None = Field(default=None, max_length=254)
    email_key: str | None = Field(default=None, max_length=254, index=True)  # lower-cased
    company: str | None = Field(default=None, max_length=255)
    title: str | None = Field(default=None, max_length=128)
    website: str | None = Field(default=None, max_length=255)
    lead_source: str | None = Field(default=None, max_length=64, index=True)
    customer_type: str | None = Field(default=None, max_length=64)
    birthday: date | None = Field(default=None)
    street: str | None = Field(default=None, max_length=255)
    ward: str | None = Field(default=None, max_length=128)
    district: str | None = Field(default=None, max_length=128)
    province: str | None = Field(default=None, max_length=128)
    country: str | None = Field(default=None, max_length=128)
    description: str | None = Field(default=None)
    assigned_to_id: int = Field(foreign_key="users.id", index=True)
    zalo_user_id: str | None = Field(default=None, max_length=32, index=True)
    zalo_name: str | None = Field(default=None, max_length=128)
    facebook_psid: str | None = Field(default=None, max_length=32, index=True)
    facebook_name: str | None = Field(default=None, max_length=128)
    input_source: str | None = Field(default=None, max_length=64, index=True)
    # Where an ad lead came from (Lead Ads notification / Graph answer, ad-lead connectors):
    # incoming.ATTRIBUTION. Form and campaign are what the list filters and the dashboard group by.
    ad_page_id: str | None = Field(default=None, max_length=64)
    ad_form_id: str | None = Field(default=None, max_length=64, index=True)
    ad_form_name: str | None = Field(default=None, max_length=255)
    ad_campaign_id: str | None = Field(default=None, max_length=64)
    ad_campaign_name: str | None = Field(default=None, max_length=255, index=True)
    ad_adset_id: str | None = Field(default=None, max_length=64)
    ad_adset_name: str | None = Field(default=None, max_length=255)
    ad_id: str | None = Field(default=None, max_length=64)
    ad_name: str | None = Field(default=None, max_length=255)
    # Accent-free, lower-case name/phones/email for the quick search.
    search_text: str = Field(default="", max_length=1024)
    custom: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    modified_at: datetime = Field(default_factory=utcnow, index=True)
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    modified_by_id: int | None = Field(default=None, foreign_key="users.id")
    # Care (migration 0010), kept by services/activities.py so the list sorts and filters on them in
    # SQL: the last logged call or note, and the due time of the earliest open task.
    last_contacted_at: datetime | None = Field(default=None)
    next_task_at: datetime | None = Field(default=None)
    # "raw_lead:N" or "lead:N" once merged into that record (services/duplicates.py); hidden from lists.
    merged_into: str | None = Field(default=None, max_length=32)


def only_on(dialect: str, index: Index) -> Index:
    """An index that exists on one database only: create_all skips it elsewhere, and so does the
    autogenerate comparison (crm_app/migrations/compare.py reads `info["dialect"]`)."""
    index.info["dialect"] = dialect
    return index.ddl_if(dialect=dialect)


class RawLead(ContactFields, table=True):
    __tablename__ = "raw_leads"
    # The list's sorts and filters (migration 0002): (column, id) keeps pages stable and lets
    # PostgreSQL walk one index instead of sorting the table.
    __table_args__ = (
        Index("ix_raw_leads_company_id", "company", "id"),
        Index("ix_raw_leads_last_name_id", "last_name", "id"),
        Index("ix_raw_leads_first_name_id", "first_name", "id"),
        Index("ix_raw_leads_province_id", "province", "id"),
        Index("ix_raw_leads_created_id", "created_at", "id"),
        Index("ix_raw_leads_source_created", "lead_source", "created_at"),
        Index("ix_raw_leads_input_created", "input_source", "created_at"),
        Index("ix_raw_leads_owner_created", "assigned_to_id", "created_at"),
        Index("ix_raw_leads_status_created", "status", "created_at"),
        Index("ix_raw_leads_last_contacted_id", "last_contacted_at", "id"),
        Index("ix_raw_leads_next_task_id", "next_task_at", "id"),
        # Quick search on PostgreSQL: trigrams serve `search_text LIKE '%…%'` (0002). SQLite's
        # FTS5 table and its triggers are not modelled: migrations create them.
        only_on("postgresql", Index("ix_raw_leads_search_trgm", "search_text", postgresql_using="gin",
                                    postgresql_ops={"search_text": "gin_trgm_ops"})),
    )

    id: int | None = Field(default=None, primary_key=True)
    # Not indexed alone: ix_raw_leads_created_id (created_at, id) serves every query on it (0012).
    created_at: datetime = Field(default_factory=utcnow)
    status: str = Field(default="Mới", max_length=64, index=True)
    converted_lead_id: int | None = Field(default=None, foreign_key="leads.id", index=True)
    import_job_id: int | None = Field(default=None, index=True)


# The dashboard's indexes (migration 0003) lead with the local day of arrival in the default zone
# (services/clock.DEFAULT_TZ, Asia/Ho_Chi_Minh), written exactly as clock.local_day writes it so that the planners
# match. An organisation in another zone gets correct figures without these indexes. PostgreSQL
# carries the other columns the figures read in INCLUDE; the converted index is partial.
_PG_LOCAL_DAY = cast(func.timezone(literal_column("'Asia/Ho_Chi_Minh'"), col(RawLead.created_at)), Date)
only_on("postgresql", Index("ix_raw_leads_dashboard", _PG_LOCAL_DAY, col(RawLead.input_source),
                            col(RawLead.assigned_to_id), col(RawLead.status),
                            postgresql_include=["converted_lead_id", "created_at"]))
only_on("postgresql", Index("ix_raw_leads_dashboard_converted", _PG_LOCAL_DAY, col(RawLead.input_source),
                            col(RawLead.assigned_to_id), postgresql_include=["created_at", "converted_lead_id"],
                            postgresql_where=col(RawLead.converted_lead_id).is_not(None)))
# SQLite has no INCLUDE: the same columns are trailing key columns there, so the two shapes cannot
# share one Index object under one name. SQLAlchemy does not reflect SQLite expression indexes
# (autogenerate could not compare them anyway): they are declared as DDL run after the table.
SQLITE_DASHBOARD_INDEXES = (
    "CREATE INDEX ix_raw_leads_dashboard ON raw_leads (date(created_at, '+7 hours'), input_source, "
    "assigned_to_id, status, converted_lead_id, created_at)",
    "CREATE INDEX ix_raw_leads_dashboard_converted ON raw_leads (date(created_at, '+7 hours'), input_source, "
    "assigned_to_id, created_at, converted_lead_id) WHERE converted_lead_id IS NOT NULL",
)
for _statement in SQLITE_DASHBOARD_INDEXES:
    event.listen(SQLModel.metadata.tables["raw_leads"], "after_create", DDL(_statement).execute_if(dialect="sqlite"))


class Lead(ContactFields, table=True):
    __tablename__ = "leads"
    __table_args__ = (
        Index("ix_leads_last_contacted_id", "last_contacted_at", "id"),
        Index("ix_leads_next_task_id", "next_task_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    status: str = Field(default="Mới", max_length=64, index=True)
    raw_lead_id: int | None = Field(default=None, index=True)


class Ticket(SQLModel, table=True):
    __tablename__ = "tickets"

    id: int | None = Field(default=None, primary_key=True)
    subject: str = Field(max_length=255)
    channel: str = Field(max_length=64, index=True)
    raw_lead_id: int | None = Field(default=None, foreign_key="raw_leads.id", index=True)
    lead_id: int | None = Field(default=None, foreign_key="leads.id", index=True)
    assigned_to_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    status: str = Field(default="Mới", max_length=32, index=True)
    description: str | None = Field(default=None)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    modified_at: datetime = Field(default_factory=utcnow)


class PicklistValue(SQLModel, table=True):
    __tablename__ = "picklist_values"
    __table_args__ = (UniqueConstraint("field_key", "value"),)

    id: int | None = Field(default=None, primary_key=True)
    field_key: str = Field(max_length=64, index=True)
    value: str = Field(max_length=128)
    position: int = Field(default=0)
    is_active: bool = Field(default=True)
    # What the value means to the app (open / converted / closed for a raw lead's status, open /
    # won / lost for a Lead's stage): screens ask the meaning, never a list of names.
    meaning: str | None = Field(default=None, max_length=16)


class CustomField(SQLModel, table=True):
    __tablename__ = "custom_fields"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64, unique=True)
    label_vi: str = Field(max_length=128)
    label_en: str = Field(max_length=128)
    field_type: str = Field(max_length=16)  # text | number | date | picklist
    required: bool = Field(default=False)
    position: int = Field(default=0)
    is_active: bool = Field(default=True)


class SavedFilter(SQLModel, table=True):
    __tablename__ = "saved_filters"

    id: int | None = Field(default=None, primary_key=True)
    module: str = Field(default="raw_leads", max_length=32, index=True)
    name: str = Field(max_length=128)
    owner_id: int | None = Field(default=None, foreign_key="users.id")  # None: shared
    conditions: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    created_at: datetime = Field(default_factory=utcnow)


class ListLayout(SQLModel, table=True):
    __tablename__ = "list_layouts"
    __table_args__ = (UniqueConstraint("module", "owner_id"),)

    id: int | None = Field(default=None, primary_key=True)
    module: str = Field(default="raw_leads", max_length=32)
    owner_id: int | None = Field(default=None, foreign_key="users.id")  # None: the default
    columns: list[str] = Field(default_factory=list, sa_type=JSON)


class ImportJob(SQLModel, table=True):
    __tablename__ = "import_jobs"

    id: int | None = Field(default=None, primary_key=True)
    module: str = Field(default="raw_leads", max_length=32, index=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    status: str = Field(default="pending", max_length=16, index=True)
    file_path: str = Field(default="", max_length=512)
    original_name: str = Field(default="", max_length=255)
    options: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    total: int = 0
    processed: int = 0
    created: int = 0
    overwritten: int = 0
    skipped: int = 0
    merged: int = 0
    failed: int = 0
    warned: int = 0  # rows imported with a warning (a value dropped or repaired)
    checkpoint: int = 0  # rows of the file fully committed
    skipped_file: str | None = Field(default=None, max_length=512)
    failed_file: str | None = Field(default=None, max_length=512)
    warning_file: str | None = Field(default=None, max_length=512)
    error: str | None = Field(default=None)
    started_at: datetime = Field(default_factory=utcnow)
    heartbeat_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = Field(default=None)
    worker: str | None = Field(default=None, max_length=64)  # the consumer that claimed it (fencing)
    attempts: int = 0  # claims: a job that kills every worker ends "failed"


class ImportRowIssue(SQLModel, table=True):
    """A skipped or failed row, kept so the result files can be rebuilt after a crash."""

    __tablename__ = "import_row_issues"

    id: int | None = Field(default=None, primary_key=True)
    job_id: int = Field(foreign_key="import_jobs.id", index=True)
    kind: str = Field(max_length=16)  # skipped | failed | warning
    row_number: int
    values: list[Any] = Field(default_factory=list, sa_type=JSON)
    reason: str = Field(default="")


class ImportChange(SQLModel, table=True):
    """What an import did to one record, so it can be undone."""

    __tablename__ = "import_changes"

    id: int | None = Field(default=None, primary_key=True)
    job_id: int = Field(foreign_key="import_jobs.id", index=True)
    record_id: int = Field(index=True)
    action: str = Field(max_length=16)  # created | overwritten | merged
    old_values: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


class ImportLock(SQLModel, table=True):
    __tablename__ = "import_locks"

    module: str = Field(primary_key=True, max_length=32)
    job_id: int | None = Field(default=None)
    user_id: int = Field(foreign_key="users.id")
    acquired_at: datetime = Field(default_factory=utcnow)


class SavedMapping(SQLModel, table=True):
    __tablename__ = "saved_mappings"
    __table_args__ = (UniqueConstraint("module", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    module: str = Field(default="raw_leads", max_length=32)
    name: str = Field(max_length=128)
    mapping: dict[str, str] = Field(default_factory=dict, sa_type=JSON)
    owner_id: int | None = Field(default=None, foreign_key="users.id")


class ChannelEvent(SQLModel, table=True):
    __tablename__ = "channel_events"
    # A redelivery is the same (channel, form, provider key): the INSERT itself refuses it.
    __table_args__ = (UniqueConstraint("channel", "form_key", "event_key", name="uq_channel_events_key"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=32, index=True)
    # The form a submission was posted to; "" for the other channels (NULL would make the unique
    # key above ignore duplicates on both databases).
    form_key: str = Field(default="", max_length=64, sa_column_kwargs={"server_default": ""})
    event_key: str = Field(max_length=255)
    body: bytes = Field(sa_type=LargeBinary)
    headers: dict[str, str] = Field(default_factory=dict, sa_type=JSON)
    status: str = Field(default="received", max_length=16, index=True)
    error: str | None = Field(default=None)
    attempts: int = 0
    raw_lead_id: int | None = Field(default=None)
    lead_id: int | None = Field(default=None)
    received_at: datetime = Field(default_factory=utcnow, index=True)
    processed_at: datetime | None = Field(default=None)
    # When the sweep re-enqueues it if still unfinished; None once final (services/intake.py).
    next_attempt_at: datetime | None = Field(default=None, index=True)


class FormConfig(SQLModel, table=True):
    __tablename__ = "form_configs"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64, unique=True)
    channel: str = Field(default="Webform", max_length=64)
    secret: str = Field(max_length=128)
    mapping: dict[str, str] = Field(default_factory=dict, sa_type=JSON)
    is_active: bool = Field(default=True)


class SyncConfig(SQLModel, table=True):
    __tablename__ = "sync_config"

    id: int | None = Field(default=None, primary_key=True)
    settings: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    modified_at: datetime = Field(default_factory=utcnow)
    modified_by_id: int | None = Field(default=None, foreign_key="users.id")


class AssignmentCursor(SQLModel, table=True):
    __tablename__ = "assignment_cursors"

    name: str = Field(primary_key=True, max_length=64)
    position: int = 0


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entity", "entity", "entity_id"),)

    id: int | None = Field(default=None, primary_key=True)
    entity: str = Field(max_length=32)
    entity_id: int
    action: str = Field(max_length=32)  # created | updated | deleted | converted | ...
    source: str = Field(default="", max_length=64)  # manual | import:<id> | channel:<event>
    user_id: int | None = Field(default=None, foreign_key="users.id")
    changes: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = Field(default_factory=utcnow, index=True)


class ApiToken(SQLModel, table=True):
    """An admin-issued bearer token for the REST API. Only a SHA-256 of its secret is stored; the
    public `prefix` finds the row, so the secret itself is compared in constant time."""

    __tablename__ = "api_tokens"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=128)
    prefix: str = Field(max_length=16, unique=True)
    secret_hash: str = Field(max_length=64)
    user_id: int = Field(foreign_key="users.id", index=True)  # the token acts with this user's rights
    can_write: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow)
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    last_used_at: datetime | None = Field(default=None)
    revoked_at: datetime | None = Field(default=None)


class ApiIdempotencyKey(SQLModel, table=True):
    """A POST's Idempotency-Key and the answer it got, written in the same transaction as the
    record it created: the UNIQUE constraint decides between workers racing with the same key."""

    __tablename__ = "api_idempotency_keys"
    __table_args__ = (UniqueConstraint("principal", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    principal: str = Field(max_length=32)  # "token:<id>" or "env" (CRM_API_TOKEN)
    key: str = Field(max_length=255)
    request_hash: str = Field(max_length=64)
    status_code: int = 201
    response: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = Field(default_factory=utcnow, index=True)


class Activity(SQLModel, table=True):
    """A care activity on a raw lead or a Lead: a logged call, a note, or a task to do."""

    __tablename__ = "activities"
    __table_args__ = (
        Index("ix_activities_entity", "entity", "entity_id", "created_at"),
        # Việc của tôi and the badge: one user's open tasks by due time.
        Index("ix_activities_assignee_open", "assigned_to_id", "done_at", "due_at"),
        # The reminder job: open tasks due soon that were not reminded yet.
        Index("ix_activities_due_open", "done_at", "reminded_at", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    entity: str = Field(max_length=16)  # raw_lead | lead
    entity_id: int
    kind: str = Field(max_length=8)  # call | note | task
    outcome: str | None = Field(default=None, max_length=128)  # a call's result (picklist call_outcome)
    title: str | None = Field(default=None, max_length=255)  # a task's
    note: str = Field(default="")
    due_at: datetime | None = Field(default=None)
    assigned_to_id: int | None = Field(default=None, foreign_key="users.id")
    done_at: datetime | None = Field(default=None)
    done_by_id: int | None = Field(default=None, foreign_key="users.id")
    reminded_at: datetime | None = Field(default=None)
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow)


class Notification(SQLModel, table=True):
    """An in-app notification (a task reminder); the sidebar shows the unread ones."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_read", "user_id", "read_at"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id")
    kind: str = Field(max_length=32)
    message: str = Field(default="")
    link: str = Field(default="", max_length=255)
    activity_id: int | None = Field(default=None, unique=True)  # a task is reminded once, whoever runs the job
    created_at: datetime = Field(default_factory=utcnow)
    read_at: datetime | None = Field(default=None)


class MergeRecord(SQLModel, table=True):
    """A merge of duplicates and everything needed to undo it exactly."""

    __tablename__ = "merges"

    id: int | None = Field(default=None, primary_key=True)
    kept_entity: str = Field(max_length=16)
    kept_id: int = Field(index=True)
    user_id: int = Field(foreign_key="users.id")
    # Every record's columns before the merge, and each moved row's old owner.
    snapshot: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = Field(default_factory=utcnow)
    undone_at: datetime | None = Field(default=None)
    undone_by_id: int | None = Field(default=None, foreign_key="users.id")


class ZaloConnection(SQLModel, table=True):
    """The Zalo Official Account's OAuth connection: one row (id 1), written by services/zalo_oa.py.

    Tokens are stored encrypted (services/secret_box.py). `version` grows with every saved pair, so
    a worker that saw an expired token can tell, after taking the refresh lease, whether another
    worker has refreshed meanwhile. `refresh_lease_until`/`refresh_holder` are that lease: refresh
    tokens are single-use, so at most one worker at a time may spend one.
    """

    __tablename__ = "zalo_connections"

    id: int | None = Field(default=None, primary_key=True)
    status: str = Field(default="disconnected", max_length=16)  # connected | broken | disconnected
    app_id: str = Field(default="", max_length=32)
    oa_id: str = Field(default="", max_length=32)
    oa_name: str = Field(default="", max_length=255)
    access_token: str = Field(default="", sa_type=Text)
    refresh_token: str = Field(default="", sa_type=Text)
    access_expires_at: datetime | None = Field(default=None)
    refresh_expires_at: datetime | None = Field(default=None)
    version: int = 0
    connected_at: datetime | None = Field(default=None)
    connected_by_id: int | None = Field(default=None, foreign_key="users.id")
    last_refresh_at: datetime | None = Field(default=None)
    last_error: str = Field(default="", max_length=500)
    last_error_at: datetime | None = Field(default=None)
    refresh_lease_until: datetime | None = Field(default=None)
    refresh_holder: str = Field(default="", max_length=64)
    # The authorisation under way: only a hash of `state` and the encrypted PKCE verifier.
    pending_state_hash: str = Field(default="", max_length=64)
    pending_verifier: str = Field(default="", sa_type=Text)
    pending_user_id: int | None = Field(default=None, foreign_key="users.id")
    pending_at: datetime | None = Field(default=None)
