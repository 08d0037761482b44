"""chat_sessions.queue_position and sla_breached_at (queue positions, first-response SLA)

Revision ID: b7e4c1d2a3f5
Revises: 5d1c7e2a9f40
Create Date: 2026-12-08 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7e4c1d2a3f5'
down_revision = '5d1c7e2a9f40'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('chat_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('queue_position', sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column('sla_breached_at', sa.DateTime(timezone=True), nullable=True)
        )


def downgrade():
    with op.batch_alter_table('chat_sessions', schema=None) as batch_op:
        batch_op.drop_column('sla_breached_at')
        batch_op.drop_column('queue_position')
