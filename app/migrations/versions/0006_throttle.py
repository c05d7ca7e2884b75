"""throttle counts: failed guesses of the event code and organiser logins, shared by every process

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 10:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('throttle_count',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('first_at', sa.DateTime(), nullable=False),
    sa.Column('locked_until', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_throttle_count'))
    )
    with op.batch_alter_table('throttle_count', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_throttle_count_first_at'), ['first_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('throttle_count', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_throttle_count_first_at'))

    op.drop_table('throttle_count')
