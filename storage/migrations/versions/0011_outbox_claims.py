"""outbox claims: which messages a worker is sending, so that any worker serving the
platform may take the others (those queued where the platform is not served, or left by a
worker that stopped)

Revision ID: 0011_outbox_claims
Revises: 0010_trust
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0011_outbox_claims"
down_revision: str | None = "0010_trust"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # NULL (every message queued until now, with the bot stopped for the upgrade): nobody
    # is sending it, the first worker that serves its platform takes it.
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(
            sa.Column("claimed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("claimed_at")
