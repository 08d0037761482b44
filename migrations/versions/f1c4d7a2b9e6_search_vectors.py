"""search vectors on chat_messages and chat_notes (issue 20: history and full-text search)

Every message and note gets a stored generated tsvector of its content in the six languages the
assistant speaks plus 'simple' (models/chat.py SEARCH_CONFIGS), with a GIN index; both get an index on created_at (search results newest first).

Revision ID: f1c4d7a2b9e6
Revises: a7d3e9f1c520
Create Date: 2026-12-10 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = 'f1c4d7a2b9e6'
down_revision = 'a7d3e9f1c520'
branch_labels = None
depends_on = None

# A copy of models/chat.py search_vector_sql("content") as it was when this migration was written.
CONFIGS = ("english", "spanish", "french", "german", "portuguese", "italian", "simple")
VECTOR = " || ".join(f"to_tsvector('{c}'::regconfig, content)" for c in CONFIGS)


def upgrade():
    for table in ('chat_messages', 'chat_notes'):
        op.add_column(
            table,
            sa.Column(
                'search_vector',
                postgresql.TSVECTOR(),
                sa.Computed(VECTOR, persisted=True),
                nullable=True,
            ),
        )
        op.create_index(
            f'ix_{table}_search_vector', table, ['search_vector'], postgresql_using='gin'
        )
    for table in ('chat_messages', 'chat_notes'):
        op.create_index(f'ix_{table}_created_at', table, ['created_at'])


def downgrade():
    for table in ('chat_notes', 'chat_messages'):
        op.drop_index(f'ix_{table}_created_at', table_name=table)
        op.drop_index(f'ix_{table}_search_vector', table_name=table)
        op.drop_column(table, 'search_vector')
