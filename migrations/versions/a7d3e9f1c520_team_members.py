"""team_members (issue 20: team management)

Revision ID: a7d3e9f1c520
Revises: f1c4a7e2b905
Create Date: 2026-12-10 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7d3e9f1c520'
down_revision = 'f1c4a7e2b905'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('team_members',
    sa.Column('uid', sa.String(length=128), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('display_name', sa.String(length=200), nullable=True),
    sa.Column('role', sa.Enum('user', 'agent', 'admin', name='team_member_role', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('added_by', sa.String(length=128), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('removed_by', sa.String(length=128), nullable=True),
    sa.PrimaryKeyConstraint('uid', name=op.f('pk_team_members'))
    )
    with op.batch_alter_table('team_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_team_members_email'), ['email'], unique=False)
    # Staff who signed in before the team existed (claims set by hand) are on it from the start.
    op.execute(
        "INSERT INTO team_members (uid, email, display_name, role, added_by, added_at, updated_at) "
        "SELECT id, email, display_name, role, 'migration', created_at, created_at FROM users "
        "WHERE role IN ('agent', 'admin') AND erased_at IS NULL"
    )


def downgrade():
    with op.batch_alter_table('team_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_team_members_email'))

    op.drop_table('team_members')
