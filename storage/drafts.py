"""Draft versions: the statement's successive versions, each a list of paragraphs with
stable ids (`uid`), and their paragraphs in other languages (`translate`).

A version never changes once its transaction has committed, so its paragraphs are read
once per process and kept by the `Store` for every transaction (`version_cache`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select

from consultations.ids import ConsultationId, PersonId, SubmissionId, VersionId
from storage.tables import DraftVersion, ParagraphRow, ParagraphTranslation, id_of
from storage.unit_of_work import Repository, UnitOfWork


class Drafts(Repository):
    def __init__(
        self, session: UnitOfWork, version_cache: dict[VersionId, tuple[ParagraphRow, ...]]
    ) -> None:
        super().__init__(session)
        self.version_cache = version_cache  # committed versions' paragraphs, by version id
        self.cut_here: set[VersionId] = set()  # versions this uncommitted transaction created

    def add_version(
        self,
        consultation_id: ConsultationId,
        *,
        title: str,
        paragraphs: Sequence[tuple[str, str, list[SubmissionId]]],
        parent_id: VersionId | None,
        created_by: PersonId | None,
        created_at: datetime | None = None,
    ) -> DraftVersion:
        """Cut a version from (uid, text, source submission ids) triples, in order, at
        `created_at` (the turn's time; now if not given)."""
        number = (
            self.session.exec(
                select(func.max(DraftVersion.number)).where(
                    DraftVersion.consultation_id == consultation_id
                )
            ).one()
            or 0
        ) + 1
        version = DraftVersion(
            consultation_id=consultation_id,
            number=number,
            title=title,
            parent_id=parent_id,
            created_by=created_by,
        )
        if created_at is not None:
            version.created_at = created_at
        self.session.add(version)
        self.session.flush()
        version_id = id_of(version)
        for position, (uid, text, sources) in enumerate(paragraphs, start=1):
            self.session.add(
                ParagraphRow(
                    version_id=version_id, uid=uid, position=position, text=text, sources=sources
                )
            )
        self.session.flush()
        self.cut_here.add(version_id)
        return version

    def versions(self, consultation_id: ConsultationId) -> Sequence[DraftVersion]:
        return self.session.exec(
            select(DraftVersion)
            .where(DraftVersion.consultation_id == consultation_id)
            .order_by(col(DraftVersion.number))
        ).all()

    def version(
        self, consultation_id: ConsultationId, number: int | None = None
    ) -> DraftVersion | None:
        """Version `number`, or the latest when `number` is None."""
        query = select(DraftVersion).where(DraftVersion.consultation_id == consultation_id)
        if number is None:
            query = query.order_by(col(DraftVersion.number).desc())
        else:
            query = query.where(DraftVersion.number == number)
        return self.session.exec(query).first()

    def version_by_id(self, version_id: VersionId) -> DraftVersion | None:
        return self.session.get(DraftVersion, version_id)

    def paragraphs(self, version_id: VersionId) -> Sequence[ParagraphRow]:
        """A version's paragraphs in order (read-only: versions are immutable)."""
        cached = self.version_cache.get(version_id)
        if cached is None:
            rows = self.session.exec(
                select(ParagraphRow)
                .where(ParagraphRow.version_id == version_id)
                .order_by(col(ParagraphRow.position))
            ).all()
            if not rows or version_id in self.cut_here:
                return rows  # not committed yet (may still roll back): nothing to remember
            for row in rows:
                self.session.expunge(row)
            cached = self.version_cache.setdefault(version_id, tuple(rows))
        return cached

    def set_translation(self, version_id: VersionId, language: str, texts: dict[str, str]) -> None:
        """Store a version's paragraphs in `language` (uid -> text), replacing any before."""
        for row in self.session.exec(
            select(ParagraphTranslation).where(
                ParagraphTranslation.version_id == version_id,
                ParagraphTranslation.language == language,
            )
        ):
            self.session.delete(row)
        self.session.flush()
        for uid, text in texts.items():
            self.session.add(
                ParagraphTranslation(version_id=version_id, uid=uid, language=language, text=text)
            )
        self.session.flush()

    def translations(
        self, version_ids: Sequence[VersionId], language: str
    ) -> dict[VersionId, dict[str, str]]:
        """Versions' paragraphs in `language`: version id -> uid -> text, where loaded."""
        found: dict[VersionId, dict[str, str]] = {}
        if not version_ids:
            return found
        rows = self.session.exec(
            select(ParagraphTranslation).where(
                col(ParagraphTranslation.version_id).in_(version_ids),
                ParagraphTranslation.language == language,
            )
        )
        for row in rows:
            found.setdefault(row.version_id, {})[row.uid] = row.text
        return found
