"""trust: a closed round keeps who took part as it was at its close

Revision ID: 0010_trust
Revises: 0009_feedback
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_trust"
down_revision: str | None = "0009_feedback"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Per group, [answered, invited] at the close; NULL for rounds not closed (and rounds
    # closed before this revision, which are counted from their rows as before).
    with op.batch_alter_table("round") as batch:
        batch.add_column(sa.Column("participation", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("round") as batch:
        batch.drop_column("participation")
