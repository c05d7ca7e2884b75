"""the agenda of the closing part: themes (from the debate, the poll, participants, the organiser) and picks

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 12:00:00.000000
"""
from alembic import op
import sqlalchemy as sa

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('agenda_theme',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=80), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('source', sa.String(length=12), nullable=False),
    sa.Column('proposed_by', sa.Integer(), nullable=True),
    sa.Column('hidden', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_agenda_theme_event_id_event'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['proposed_by'], ['participant.id'], name=op.f('fk_agenda_theme_proposed_by_participant'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agenda_theme')),
    sa.UniqueConstraint('event_id', 'key', name=op.f('uq_agenda_theme_event_id_key'))
    )
    with op.batch_alter_table('agenda_theme', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agenda_theme_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agenda_theme_proposed_by'), ['proposed_by'], unique=False)

    op.create_table('agenda_pick',
    sa.Column('theme_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_agenda_pick_participant_id_participant'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['theme_id'], ['agenda_theme.id'], name=op.f('fk_agenda_pick_theme_id_agenda_theme'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('theme_id', 'participant_id', name=op.f('pk_agenda_pick'))
    )
    with op.batch_alter_table('agenda_pick', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agenda_pick_participant_id'), ['participant_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('agenda_pick', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agenda_pick_participant_id'))

    op.drop_table('agenda_pick')
    with op.batch_alter_table('agenda_theme', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agenda_theme_proposed_by'))
        batch_op.drop_index(batch_op.f('ix_agenda_theme_event_id'))

    op.drop_table('agenda_theme')
