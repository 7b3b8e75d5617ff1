"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-25 08:28:03.528570
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('assignment_cursors',
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('channel_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('event_key', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.Column('headers', sa.JSON(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('error', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('raw_lead_id', sa.Integer(), nullable=True),
    sa.Column('lead_id', sa.Integer(), nullable=True),
    sa.Column('received_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('processed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('channel', 'event_key')
    )
    with op.batch_alter_table('channel_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_channel_events_channel'), ['channel'], unique=False)
        batch_op.create_index(batch_op.f('ix_channel_events_received_at'), ['received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_channel_events_status'), ['status'], unique=False)

    op.create_table('custom_fields',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('label_vi', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('label_en', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('field_type', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    op.create_table('form_configs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('secret', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('mapping', sa.JSON(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    op.create_table('org_settings',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('picklist_values',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('field_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('value', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('field_key', 'value')
    )
    with op.batch_alter_table('picklist_values', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_picklist_values_field_key'), ['field_key'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('full_name', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('password_hash', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('locale', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_username'), ['username'], unique=True)

    op.create_table('audit_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entity', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.create_index('ix_audit_entity', ['entity', 'entity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entries_created_at'), ['created_at'], unique=False)

    op.create_table('auth_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('auth_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_auth_sessions_token_hash'), ['token_hash'], unique=True)
        batch_op.create_index(batch_op.f('ix_auth_sessions_user_id'), ['user_id'], unique=False)

    op.create_table('import_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('module', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('file_path', sqlmodel.sql.sqltypes.AutoString(length=512), nullable=False),
    sa.Column('original_name', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('processed', sa.Integer(), nullable=False),
    sa.Column('created', sa.Integer(), nullable=False),
    sa.Column('overwritten', sa.Integer(), nullable=False),
    sa.Column('skipped', sa.Integer(), nullable=False),
    sa.Column('merged', sa.Integer(), nullable=False),
    sa.Column('failed', sa.Integer(), nullable=False),
    sa.Column('checkpoint', sa.Integer(), nullable=False),
    sa.Column('skipped_file', sqlmodel.sql.sqltypes.AutoString(length=512), nullable=True),
    sa.Column('failed_file', sqlmodel.sql.sqltypes.AutoString(length=512), nullable=True),
    sa.Column('error', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('started_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('heartbeat_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('finished_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('import_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_jobs_module'), ['module'], unique=False)
        batch_op.create_index(batch_op.f('ix_import_jobs_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_import_jobs_user_id'), ['user_id'], unique=False)

    op.create_table('import_locks',
    sa.Column('module', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('acquired_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('module')
    )
    op.create_table('leads',
    sa.Column('salutation', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('last_name', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('first_name', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('mobile', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
    sa.Column('email_key', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
    sa.Column('company', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('website', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('lead_source', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('customer_type', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('birthday', sa.Date(), nullable=True),
    sa.Column('street', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('ward', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('district', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('province', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('country', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('assigned_to_id', sa.Integer(), nullable=False),
    sa.Column('zalo_user_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('zalo_name', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('facebook_psid', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('facebook_name', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('input_source', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('search_text', sqlmodel.sql.sqltypes.AutoString(length=1024), nullable=False),
    sa.Column('custom', sa.JSON(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('modified_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('modified_by_id', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('raw_lead_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['assigned_to_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['modified_by_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_leads_assigned_to_id'), ['assigned_to_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_email_key'), ['email_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_facebook_psid'), ['facebook_psid'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_input_source'), ['input_source'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_lead_source'), ['lead_source'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_mobile'), ['mobile'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_modified_at'), ['modified_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_phone'), ['phone'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_raw_lead_id'), ['raw_lead_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_zalo_user_id'), ['zalo_user_id'], unique=False)

    op.create_table('list_layouts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('module', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('columns', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('module', 'owner_id')
    )
    op.create_table('saved_filters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('module', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('conditions', sa.JSON(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('saved_filters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_saved_filters_module'), ['module'], unique=False)

    op.create_table('saved_mappings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('module', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('mapping', sa.JSON(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('module', 'name')
    )
    op.create_table('sync_config',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('settings', sa.JSON(), nullable=False),
    sa.Column('modified_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('modified_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['modified_by_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('import_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('old_values', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['import_jobs.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('import_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_changes_job_id'), ['job_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_import_changes_record_id'), ['record_id'], unique=False)

    op.create_table('import_row_issues',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('row_number', sa.Integer(), nullable=False),
    sa.Column('values', sa.JSON(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['import_jobs.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('import_row_issues', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_row_issues_job_id'), ['job_id'], unique=False)

    op.create_table('raw_leads',
    sa.Column('salutation', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('last_name', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('first_name', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('mobile', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
    sa.Column('email_key', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
    sa.Column('company', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('website', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('lead_source', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('customer_type', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('birthday', sa.Date(), nullable=True),
    sa.Column('street', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('ward', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('district', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('province', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('country', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('assigned_to_id', sa.Integer(), nullable=False),
    sa.Column('zalo_user_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('zalo_name', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('facebook_psid', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('facebook_name', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('input_source', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('search_text', sqlmodel.sql.sqltypes.AutoString(length=1024), nullable=False),
    sa.Column('custom', sa.JSON(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('modified_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('modified_by_id', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('converted_lead_id', sa.Integer(), nullable=True),
    sa.Column('import_job_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['assigned_to_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['converted_lead_id'], ['leads.id'], ),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['modified_by_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('raw_leads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_raw_leads_assigned_to_id'), ['assigned_to_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_raw_leads_converted_lead_id'), ['converted_lead_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_raw_leads_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_raw_leads_email_key'), ['email_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_raw_leads_facebook_psid'), ['facebook_psid'], unique=False)
        batch_op.create_index(batch_op.f('ix_raw_leads_import_job_id'), ['import_job_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_raw_leads_input_source'), ['input_source'], unique=False)
        batch_op.create_index(batch_op.f('ix_raw_leads_lead_source'), ['lead_source'], unique=False)
        batch_op.create_index(batch_op.f('ix_raw_leads_mobile'), ['mobile'], unique=False)
        batch_op.create_index(batch_op.f('ix_raw_leads_modified_at'), ['modified_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_raw_leads_phone'), ['phone'], unique=False)
        batch_op.create_index(batch_op.f('ix_raw_leads_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_raw_leads_zalo_user_id'), ['zalo_user_id'], unique=False)

    op.create_table('tickets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('raw_lead_id', sa.Integer(), nullable=True),
    sa.Column('lead_id', sa.Integer(), nullable=True),
    sa.Column('assigned_to_id', sa.Integer(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('modified_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['assigned_to_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], ),
    sa.ForeignKeyConstraint(['raw_lead_id'], ['raw_leads.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tickets_assigned_to_id'), ['assigned_to_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tickets_channel'), ['channel'], unique=False)
        batch_op.create_index(batch_op.f('ix_tickets_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_tickets_lead_id'), ['lead_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tickets_raw_lead_id'), ['raw_lead_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tickets_status'), ['status'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tickets_status'))
        batch_op.drop_index(batch_op.f('ix_tickets_raw_lead_id'))
        batch_op.drop_index(batch_op.f('ix_tickets_lead_id'))
        batch_op.drop_index(batch_op.f('ix_tickets_created_at'))
        batch_op.drop_index(batch_op.f('ix_tickets_channel'))
        batch_op.drop_index(batch_op.f('ix_tickets_assigned_to_id'))

    op.drop_table('tickets')
    with op.batch_alter_table('raw_leads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_raw_leads_zalo_user_id'))
        batch_op.drop_index(batch_op.f('ix_raw_leads_status'))
        batch_op.drop_index(batch_op.f('ix_raw_leads_phone'))
        batch_op.drop_index(batch_op.f('ix_raw_leads_modified_at'))
        batch_op.drop_index(batch_op.f('ix_raw_leads_mobile'))
        batch_op.drop_index(batch_op.f('ix_raw_leads_lead_source'))
        batch_op.drop_index(batch_op.f('ix_raw_leads_input_source'))
        batch_op.drop_index(batch_op.f('ix_raw_leads_import_job_id'))
        batch_op.drop_index(batch_op.f('ix_raw_leads_facebook_psid'))
        batch_op.drop_index(batch_op.f('ix_raw_leads_email_key'))
        batch_op.drop_index(batch_op.f('ix_raw_leads_created_at'))
        batch_op.drop_index(batch_op.f('ix_raw_leads_converted_lead_id'))
        batch_op.drop_index(batch_op.f('ix_raw_leads_assigned_to_id'))

    op.drop_table('raw_leads')
    with op.batch_alter_table('import_row_issues', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_row_issues_job_id'))

    op.drop_table('import_row_issues')
    with op.batch_alter_table('import_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_changes_record_id'))
        batch_op.drop_index(batch_op.f('ix_import_changes_job_id'))

    op.drop_table('import_changes')
    op.drop_table('sync_config')
    op.drop_table('saved_mappings')
    with op.batch_alter_table('saved_filters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_saved_filters_module'))

    op.drop_table('saved_filters')
    op.drop_table('list_layouts')
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_leads_zalo_user_id'))
        batch_op.drop_index(batch_op.f('ix_leads_status'))
        batch_op.drop_index(batch_op.f('ix_leads_raw_lead_id'))
        batch_op.drop_index(batch_op.f('ix_leads_phone'))
        batch_op.drop_index(batch_op.f('ix_leads_modified_at'))
        batch_op.drop_index(batch_op.f('ix_leads_mobile'))
        batch_op.drop_index(batch_op.f('ix_leads_lead_source'))
        batch_op.drop_index(batch_op.f('ix_leads_input_source'))
        batch_op.drop_index(batch_op.f('ix_leads_facebook_psid'))
        batch_op.drop_index(batch_op.f('ix_leads_email_key'))
        batch_op.drop_index(batch_op.f('ix_leads_created_at'))
        batch_op.drop_index(batch_op.f('ix_leads_assigned_to_id'))

    op.drop_table('leads')
    op.drop_table('import_locks')
    with op.batch_alter_table('import_jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_jobs_user_id'))
        batch_op.drop_index(batch_op.f('ix_import_jobs_status'))
        batch_op.drop_index(batch_op.f('ix_import_jobs_module'))

    op.drop_table('import_jobs')
    with op.batch_alter_table('auth_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_auth_sessions_user_id'))
        batch_op.drop_index(batch_op.f('ix_auth_sessions_token_hash'))

    op.drop_table('auth_sessions')
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_entries_created_at'))
        batch_op.drop_index('ix_audit_entity')

    op.drop_table('audit_entries')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_username'))

    op.drop_table('users')
    with op.batch_alter_table('picklist_values', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_picklist_values_field_key'))

    op.drop_table('picklist_values')
    op.drop_table('org_settings')
    op.drop_table('form_configs')
    op.drop_table('custom_fields')
    with op.batch_alter_table('channel_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_channel_events_status'))
        batch_op.drop_index(batch_op.f('ix_channel_events_received_at'))
        batch_op.drop_index(batch_op.f('ix_channel_events_channel'))

    op.drop_table('channel_events')
    op.drop_table('assignment_cursors')
