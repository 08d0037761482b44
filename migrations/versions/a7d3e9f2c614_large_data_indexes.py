"""indexes for the hot reads at a million messages (issue 21: scale as deployed)

chat_sessions (status, ended_at) for the stats' "ended today", and the escalation priority with
created_at for the Conversations list filtered by priority, newest first
(docs/performance.md, "Large data").

Revision ID: a7d3e9f2c614
Revises: f1c4d7a2b9e6
Create Date: 2026-12-06 17:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7d3e9f2c614'
down_revision = 'f1c4d7a2b9e6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_chat_sessions_status_ended_at', 'chat_sessions', ['status', 'ended_at'])
    op.create_index(
        'ix_chat_sessions_escalation_priority_created_at',
        'chat_sessions',
        [sa.text("((metadata -> 'escalation') ->> 'priority')"), 'created_at'],
    )


def downgrade():
    op.drop_index('ix_chat_sessions_escalation_priority_created_at', table_name='chat_sessions')
    op.drop_index('ix_chat_sessions_status_ended_at', table_name='chat_sessions')
