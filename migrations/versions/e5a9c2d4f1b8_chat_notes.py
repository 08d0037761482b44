"""chat_notes (issue 20: internal notes agents write in a chat, never shown to the customer)

Revision ID: e5a9c2d4f1b8
Revises: b3e1f0a7c912
Create Date: 2026-12-09 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e5a9c2d4f1b8'
down_revision = 'b3e1f0a7c912'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('chat_notes',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('session_id', sa.String(length=36), nullable=False),
    sa.Column('note_seq', sa.Integer(), nullable=False),
    sa.Column('after_seq', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.String(length=128), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('client_message_id', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['chat_sessions.id'], name=op.f('fk_chat_notes_session_id_chat_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chat_notes')),
    sa.UniqueConstraint('session_id', 'client_message_id', name='uq_chat_notes_session_client_message_id'),
    sa.UniqueConstraint('session_id', 'note_seq', name='uq_chat_notes_session_note_seq')
    )
    with op.batch_alter_table('chat_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_chat_notes_author_id'), ['author_id'], unique=False)


def downgrade():
    with op.batch_alter_table('chat_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_chat_notes_author_id'))

    op.drop_table('chat_notes')
