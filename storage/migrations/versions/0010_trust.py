"""trust: a closed round keeps who took part as it was at its close; the outbox counts
its attempts and knows which round a notice is true for

Revision ID: 0010_trust
Revises: 0009_feedback
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
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
    # Attempts made and the last one's time (bounded retries with back-off), and the round
    # a notice is true only while it is open (NULL: true until sent).
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("tried_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("while_open", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("while_open")
        batch.drop_column("tried_at")
        batch.drop_column("attempts")
    with op.batch_alter_table("round") as batch:
        batch.drop_column("participation")
