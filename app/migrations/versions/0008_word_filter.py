"""the word filter (per event, on by default), why a question or a poll answer is held, and "lijkt op"

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 10:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing events get the filter switched on, with no extra words (the server defaults fill the rows).
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('word_filter', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('filter_words', sa.Text(), server_default='', nullable=False))

    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.add_column(sa.Column('held_for', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('similar_to', sa.Text(), nullable=True))

    with op.batch_alter_table('poll_ballot', schema=None) as batch_op:
        batch_op.add_column(sa.Column('held_for', sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('poll_ballot', schema=None) as batch_op:
        batch_op.drop_column('held_for')

    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.drop_column('similar_to')
        batch_op.drop_column('held_for')

    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_column('filter_words')
        batch_op.drop_column('word_filter')
