"""chat_sessions.outcome and outcome_note (how an agent ended the chat)

Revision ID: c3e8a1f5b7d2
Revises: b7e4c1d2a3f5
Create Date: 2026-12-08 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3e8a1f5b7d2'
down_revision = 'b7e4c1d2a3f5'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('chat_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outcome', sa.Enum('resolved', 'follow_up', name='session_outcome', native_enum=False, create_constraint=True, length=16), nullable=True))
        batch_op.add_column(sa.Column('outcome_note', sa.String(length=1000), nullable=True))


def downgrade():
    with op.batch_alter_table('chat_sessions', schema=None) as batch_op:
        batch_op.drop_column('outcome_note')
        batch_op.drop_column('outcome')
