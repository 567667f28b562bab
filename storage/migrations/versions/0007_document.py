"""document: the draft's structure, its master language, and versions frozen by a round

draft_part holds a version's headings and notes (paragraph rows stay the reviewable
paragraphs, now with their place among the parts, typed label, kind and links);
draft_version.frozen_at is when the first round opened on it (until then the facilitator
may fix its split); consultation.language is the master text's language and
consultation.archived_at hides it from lists; paragraph_translation.original is the text
a translation was made from (out of date once that changes); submission.draft_language is
the language of the text the input was made on; amendment_decision.text is the master
wording of an amendment made on a translation.

Existing drafts become documents of one untitled section: each paragraph keeps its uid
and number, and its place is its number. A version a round has opened on is frozen.

Revision ID: 0007_document
Revises: 0006_outbox
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0007_document"
down_revision: str | None = "0006_outbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "draft_part",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("uid", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("place", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("level", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("links", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["version_id"], ["draft_version.id"]),
        sa.PrimaryKeyConstraint("version_id", "uid"),
    )
    with op.batch_alter_table("paragraph", schema=None) as batch_op:
        batch_op.add_column(sa.Column("place", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(
            sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True)
        )
        batch_op.add_column(
            sa.Column("clause", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True)
        )
        batch_op.add_column(sa.Column("links", sa.JSON(), nullable=False, server_default="[]"))
    with op.batch_alter_table("draft_version", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("frozen_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
    with op.batch_alter_table("consultation", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "language",
                sqlmodel.sql.sqltypes.AutoString(length=16),
                nullable=False,
                server_default="en",
            )
        )
        batch_op.add_column(
            sa.Column("archived_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
    with op.batch_alter_table("paragraph_translation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("original", sa.Text(), nullable=True))
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("draft_language", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True)
        )
    with op.batch_alter_table("amendment_decision", schema=None) as batch_op:
        batch_op.add_column(sa.Column("text", sa.Text(), nullable=True))

    # Existing drafts: paragraphs in their order, versions with a round opened frozen,
    # translations made from the text they sit beside.
    op.execute("UPDATE paragraph SET place = position")
    op.execute(
        "UPDATE draft_version SET frozen_at = (SELECT MIN(round.opened_at) FROM round"
        " WHERE round.version_id = draft_version.id AND round.opened_at IS NOT NULL)"
    )
    op.execute(
        "UPDATE paragraph_translation SET original = (SELECT paragraph.text FROM paragraph"
        " WHERE paragraph.version_id = paragraph_translation.version_id"
        " AND paragraph.uid = paragraph_translation.uid)"
    )


def downgrade() -> None:
    with op.batch_alter_table("amendment_decision", schema=None) as batch_op:
        batch_op.drop_column("text")
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.drop_column("draft_language")
    with op.batch_alter_table("paragraph_translation", schema=None) as batch_op:
        batch_op.drop_column("original")
    with op.batch_alter_table("consultation", schema=None) as batch_op:
        batch_op.drop_column("archived_at")
        batch_op.drop_column("language")
    with op.batch_alter_table("draft_version", schema=None) as batch_op:
        batch_op.drop_column("frozen_at")
    with op.batch_alter_table("paragraph", schema=None) as batch_op:
        batch_op.drop_column("links")
        batch_op.drop_column("clause")
        batch_op.drop_column("label")
        batch_op.drop_column("place")
    op.drop_table("draft_part")
