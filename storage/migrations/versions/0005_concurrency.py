"""concurrency: one live stance per person and paragraph; the audit chain cannot fork

Revision ID: 0005_concurrency
Revises: 0004_translations
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_concurrency"
down_revision: str | None = "0004_translations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE_STANCE = (
    "kind IN ('support', 'oppose', 'abstain') AND superseded_at IS NULL"
    " AND withdrawn_at IS NULL AND person_id IS NOT NULL"
)


def upgrade() -> None:
    op.create_index(
        "uq_submission_live_stance",
        "submission",
        ["round_id", "person_id", "paragraph_uid"],
        unique=True,
        sqlite_where=sa.text(LIVE_STANCE),
        postgresql_where=sa.text(LIVE_STANCE),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_audit_event_prev_hash", ["prev_hash"])


def downgrade() -> None:
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_constraint("uq_audit_event_prev_hash", type_="unique")
    op.drop_index("uq_submission_live_stance", table_name="submission")
