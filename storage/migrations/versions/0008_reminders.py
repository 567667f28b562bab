"""reminders: when each round reminds those who have not answered, as its facilitator set

Revision ID: 0008_reminders
Revises: 0007_document
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_reminders"
down_revision: str | None = "0007_document"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Minutes before the close; NULL (every round until now) keeps the default, which
    # scales with the round's length.
    with op.batch_alter_table("round") as batch:
        batch.add_column(sa.Column("reminders", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("round") as batch:
        batch.drop_column("reminders")
