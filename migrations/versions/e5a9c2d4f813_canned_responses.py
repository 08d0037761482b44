"""canned_responses (issue 20: team and personal canned replies)

Revision ID: e5a9c2d4f813
Revises: e5a9c2d4f1b8
Create Date: 2026-12-09 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e5a9c2d4f813'
down_revision = 'e5a9c2d4f1b8'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('canned_responses',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('owner_id', sa.String(length=128), nullable=True),
    sa.Column('shortcut', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=128), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_canned_responses_owner_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_canned_responses'))
    )
    with op.batch_alter_table('canned_responses', schema=None) as batch_op:
        batch_op.create_index('uq_canned_responses_owner_shortcut', ['owner_id', 'shortcut'], unique=True, postgresql_where=sa.text('owner_id IS NOT NULL'))
        batch_op.create_index('uq_canned_responses_team_shortcut', ['shortcut'], unique=True, postgresql_where=sa.text('owner_id IS NULL'))


def downgrade():
    with op.batch_alter_table('canned_responses', schema=None) as batch_op:
        batch_op.drop_index('uq_canned_responses_team_shortcut', postgresql_where=sa.text('owner_id IS NULL'))
        batch_op.drop_index('uq_canned_responses_owner_shortcut', postgresql_where=sa.text('owner_id IS NOT NULL'))

    op.drop_table('canned_responses')
