"""reminders: when each round reminds those who have not answered, as its facilitator set

Revision ID: 0007_reminders
Revises: 0006_outbox
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_reminders"
down_revision: str | None = "0006_outbox"
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
