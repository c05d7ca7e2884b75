"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-27 23:39:59.926134
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # event.current_part_id and programme_part.event_id point at each other: the event's foreign key is
    # added once both tables exist (PostgreSQL checks it at creation, SQLite through batch mode).
    op.create_table('event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=60), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('current_part_id', sa.Integer(), nullable=True),
    sa.Column('phase_changed_at', sa.DateTime(), nullable=True),
    sa.Column('allow_anonymous', sa.Boolean(), nullable=False),
    sa.Column('premoderation', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event')),
    sa.UniqueConstraint('code', name=op.f('uq_event_code')),
    sa.UniqueConstraint('slug', name=op.f('uq_event_slug'))
    )
    op.create_table('municipality',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('g40', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_municipality')),
    sa.UniqueConstraint('name', name=op.f('uq_municipality_name'))
    )
    op.create_table('participant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=True),
    sa.Column('organisation', sa.String(length=80), nullable=False),
    sa.Column('role_title', sa.String(length=80), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('invite_token_hash', sa.String(length=64), nullable=True),
    sa.Column('join_key', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_participant_event_id_event'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipality.id'], name=op.f('fk_participant_municipality_id_municipality')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participant')),
    sa.UniqueConstraint('invite_token_hash', name=op.f('uq_participant_invite_token_hash')),
    sa.UniqueConstraint('join_key', name=op.f('uq_participant_join_key'))
    )
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_participant_event_id'), ['event_id'], unique=False)

    op.create_table('poll_question',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('prompt', sa.String(length=300), nullable=False),
    sa.Column('results', sa.String(length=16), nullable=False),
    sa.Column('max_choices', sa.Integer(), nullable=True),
    sa.Column('scale_min', sa.Integer(), nullable=True),
    sa.Column('scale_max', sa.Integer(), nullable=True),
    sa.Column('scale_min_label', sa.String(length=60), nullable=False),
    sa.Column('scale_max_label', sa.String(length=60), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_poll_question_event_id_event'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_poll_question')),
    sa.UniqueConstraint('event_id', 'position', name=op.f('uq_poll_question_event_id_position'))
    )
    with op.batch_alter_table('poll_question', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_poll_question_event_id'), ['event_id'], unique=False)

    op.create_table('programme_part',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('starts_at', sa.String(length=5), nullable=False),
    sa.Column('ends_at', sa.String(length=5), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_programme_part_event_id_event'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_programme_part')),
    sa.UniqueConstraint('event_id', 'position', name=op.f('uq_programme_part_event_id_position'))
    )
    with op.batch_alter_table('programme_part', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_programme_part_event_id'), ['event_id'], unique=False)

    op.create_table('role_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=12), nullable=False),
    sa.Column('label', sa.String(length=80), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_role_link_event_id_event'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_role_link')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_role_link_token_hash'))
    )
    with op.batch_alter_table('role_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_role_link_event_id'), ['event_id'], unique=False)

    op.create_table('lunch_table',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('video_url', sa.String(length=500), nullable=False),
    sa.Column('topic', sa.String(length=120), nullable=False),
    sa.Column('host_link_id', sa.Integer(), nullable=True),
    sa.Column('host_name', sa.String(length=80), nullable=False),
    sa.Column('host_municipality_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_lunch_table_event_id_event'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['host_link_id'], ['role_link.id'], name=op.f('fk_lunch_table_host_link_id_role_link'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['host_municipality_id'], ['municipality.id'], name=op.f('fk_lunch_table_host_municipality_id_municipality')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lunch_table')),
    sa.UniqueConstraint('host_link_id', name=op.f('uq_lunch_table_host_link_id'))
    )
    with op.batch_alter_table('lunch_table', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lunch_table_event_id'), ['event_id'], unique=False)

    op.create_table('poll_option',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=120), nullable=False),
    sa.ForeignKeyConstraint(['question_id'], ['poll_question.id'], name=op.f('fk_poll_option_question_id_poll_question'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_poll_option')),
    sa.UniqueConstraint('question_id', 'position', name=op.f('uq_poll_option_question_id_position'))
    )
    with op.batch_alter_table('poll_option', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_poll_option_question_id'), ['question_id'], unique=False)


    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.create_foreign_key(
            op.f('fk_event_current_part_id_programme_part'), 'programme_part', ['current_part_id'], ['id'],
            ondelete='SET NULL',
        )


def downgrade() -> None:
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('fk_event_current_part_id_programme_part'), type_='foreignkey')
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table('poll_option', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_poll_option_question_id'))

    op.drop_table('poll_option')
    with op.batch_alter_table('lunch_table', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lunch_table_event_id'))

    op.drop_table('lunch_table')
    with op.batch_alter_table('role_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_role_link_event_id'))

    op.drop_table('role_link')
    with op.batch_alter_table('programme_part', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_programme_part_event_id'))

    op.drop_table('programme_part')
    with op.batch_alter_table('poll_question', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_poll_question_event_id'))

    op.drop_table('poll_question')
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_participant_event_id'))

    op.drop_table('participant')
    op.drop_table('municipality')
    op.drop_table('event')
    # ### end Alembic commands ###
