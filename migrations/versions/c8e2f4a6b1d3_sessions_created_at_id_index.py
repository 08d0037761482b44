"""chat_sessions (created_at, id): the Conversations list's order, whole, in one index

The list is ordered by created_at, then id. With created_at alone indexed, a deep page by number
fetched every skipped row from the table for its id, and a cursor's (created_at, id) bound was
checked row by row. With both columns the skip is an index-only scan and the cursor an index
bound (docs/performance-large-data.md).

Revision ID: c8e2f4a6b1d3
Revises: a7d3e9f2c614
Create Date: 2026-12-07 05:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c8e2f4a6b1d3'
down_revision = 'a7d3e9f2c614'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_chat_sessions_created_at_id', 'chat_sessions', ['created_at', 'id'])
    op.drop_index('ix_chat_sessions_created_at', table_name='chat_sessions')


def downgrade():
    op.create_index('ix_chat_sessions_created_at', 'chat_sessions', ['created_at'])
    op.drop_index('ix_chat_sessions_created_at_id', table_name='chat_sessions')
