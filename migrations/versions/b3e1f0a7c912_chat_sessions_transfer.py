"""chat_sessions.transfer (issue 18: hand a chat to another agent or back to the queue)

Revision ID: b3e1f0a7c912
Revises: c3e8a1f5b7d2
Create Date: 2026-12-08 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = 'b3e1f0a7c912'
down_revision = 'c3e8a1f5b7d2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('chat_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('transfer', postgresql.JSONB(astext_type=sa.Text()), nullable=True))


def downgrade():
    with op.batch_alter_table('chat_sessions', schema=None) as batch_op:
        batch_op.drop_column('transfer')
