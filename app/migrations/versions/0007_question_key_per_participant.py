"""a question's idempotency key is unique per participant, not across everyone

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 10:00:00.000000
"""
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_question_idempotency_key'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_question_participant_id_idempotency_key'),
                                          ['participant_id', 'idempotency_key'])


def downgrade() -> None:
    # Keys reused by another participant since the upgrade would break the old constraint: those later
    # questions lose their key (they stay; only a resend of them could then be stored twice).
    op.execute(
        "UPDATE question SET idempotency_key = NULL WHERE idempotency_key IS NOT NULL AND id NOT IN "
        "(SELECT min_id FROM (SELECT MIN(id) AS min_id FROM question WHERE idempotency_key IS NOT NULL "
        "GROUP BY idempotency_key) AS kept)"
    )
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_question_participant_id_idempotency_key'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_question_idempotency_key'), ['idempotency_key'])
