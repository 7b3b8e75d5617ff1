"""List view: indexes for sorting/filtering and a text index for the quick search.

SQLite gets an FTS5 trigram table kept in step with raw_leads by triggers; PostgreSQL a
pg_trgm GIN index, which serves `search_text LIKE '%…%'` directly.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Sorted lists order by (column, id): the id tie-breaker keeps pages stable, and PostgreSQL can
# then walk one index instead of sorting the table.
INDEXES = {
    "ix_raw_leads_company_id": ["company", "id"],
    "ix_raw_leads_last_name_id": ["last_name", "id"],
    "ix_raw_leads_first_name_id": ["first_name", "id"],
    "ix_raw_leads_province_id": ["province", "id"],
    "ix_raw_leads_created_id": ["created_at", "id"],
    "ix_raw_leads_source_created": ["lead_source", "created_at"],
    "ix_raw_leads_input_created": ["input_source", "created_at"],
    "ix_raw_leads_owner_created": ["assigned_to_id", "created_at"],
    "ix_raw_leads_status_created": ["status", "created_at"],
}

SQLITE_FTS = [
    "CREATE VIRTUAL TABLE raw_leads_fts USING fts5(search_text, content='raw_leads', content_rowid='id', "
    "tokenize='trigram')",
    "CREATE TRIGGER raw_leads_fts_ai AFTER INSERT ON raw_leads BEGIN "
    "INSERT INTO raw_leads_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER raw_leads_fts_ad AFTER DELETE ON raw_leads BEGIN "
    "INSERT INTO raw_leads_fts(raw_leads_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER raw_leads_fts_au AFTER UPDATE OF search_text ON raw_leads BEGIN "
    "INSERT INTO raw_leads_fts(raw_leads_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO raw_leads_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "INSERT INTO raw_leads_fts(raw_leads_fts) VALUES ('rebuild')",
]


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "raw_leads", columns)
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_FTS:
            op.execute(statement)
    else:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE INDEX ix_raw_leads_search_trgm ON raw_leads USING gin (search_text gin_trgm_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("raw_leads_fts_ai", "raw_leads_fts_ad", "raw_leads_fts_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS raw_leads_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_raw_leads_search_trgm")
    for name in INDEXES:
        op.drop_index(name, "raw_leads")
