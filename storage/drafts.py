"""Draft versions: the statement's successive versions, each a document (title, headings,
reviewable paragraphs with stable ids, notes) and its parts in other languages.

A version may still be changed by the facilitator until the first round opens on it
(`freeze`); from then on it never changes, so its paragraphs are read once per process
and kept by the `Store` for every transaction (`version_cache`). The hot path (input on
a paragraph) only ever reads the paragraphs of a frozen version, from that cache.
Headings and notes (`DraftPart`) are read only by what shows the whole document.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, update
from sqlmodel import col, select

from consultations.document import (
    Clause,
    Document,
    DraftParagraph,
    Heading,
    Link,
    Note,
    NoteKind,
    Part,
)
from consultations.ids import ConsultationId, PersonId, SubmissionId, VersionId
from storage.tables import (
    Consultation,
    DraftPart,
    DraftVersion,
    ParagraphRow,
    ParagraphTranslation,
    id_of,
)
from storage.unit_of_work import Repository, UnitOfWork

HEADING = "heading"  # DraftPart.kind of a heading; any other kind is a note's
TITLE = "title"  # the uid a translated title is stored under


class VersionFrozen(Exception):
    """A round has opened on the version since it was read: it can no longer change."""


@dataclass(frozen=True, slots=True)
class Translated:
    """A part in another language, and the master text it was made from."""

    text: str
    original: str | None  # None: not recorded (translations loaded before it was)


def _links(links: Sequence[Link]) -> list[dict[str, str]]:
    return [{"text": link.text, "url": link.url} for link in links]


def read_links(stored: Sequence[Mapping[str, str]]) -> tuple[Link, ...]:
    return tuple(Link(str(x.get("text", "")), str(x.get("url", ""))) for x in stored)


class Drafts(Repository):
    def __init__(
        self,
        session: UnitOfWork,
        version_cache: dict[VersionId, tuple[ParagraphRow, ...]],
        version_languages: dict[VersionId, str],
    ) -> None:
        super().__init__(session)
        self.version_cache = version_cache  # frozen versions' paragraphs, by version id
        self.version_languages = version_languages  # frozen versions' master language
        self.cut_here: set[VersionId] = set()  # versions this uncommitted transaction created

    def cut(
        self,
        consultation_id: ConsultationId,
        document: Document,
        *,
        title: str,
        parent_id: VersionId | None,
        created_by: PersonId | None,
        sources: Mapping[str, Sequence[SubmissionId]] | None = None,
        created_at: datetime | None = None,
    ) -> DraftVersion:
        """A new version of the draft: `document`, its paragraphs' texts made by the
        accepted amendments in `sources` (paragraph uid -> submission ids), at `created_at`
        (the turn's time; now if not given)."""
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
        self._write_parts(version_id, document, sources or {})
        self.cut_here.add(version_id)
        return version

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
        """Cut a version of plain paragraphs from (uid, text, source submission ids)."""
        document = Document(title, tuple(DraftParagraph(uid, text) for uid, text, _ in paragraphs))
        return self.cut(
            consultation_id,
            document,
            title=title,
            parent_id=parent_id,
            created_by=created_by,
            sources={uid: sources for uid, _, sources in paragraphs if sources},
            created_at=created_at,
        )

    def _write_parts(
        self,
        version_id: VersionId,
        document: Document,
        sources: Mapping[str, Sequence[SubmissionId]],
    ) -> None:
        position = 0
        for place, part in enumerate(document.parts, start=1):
            if isinstance(part, DraftParagraph):
                position += 1
                self.session.add(
                    ParagraphRow(
                        version_id=version_id,
                        uid=part.uid,
                        position=position,
                        text=part.text,
                        sources=list(sources.get(part.uid, ())),
                        place=place,
                        label=part.label,
                        clause=part.clause.value if part.clause else None,
                        links=_links(part.links),
                    )
                )
            elif isinstance(part, Heading):
                self.session.add(
                    DraftPart(
                        version_id=version_id,
                        uid=part.uid,
                        place=place,
                        kind=HEADING,
                        level=part.level,
                        text=part.text,
                    )
                )
            else:
                self.session.add(
                    DraftPart(
                        version_id=version_id,
                        uid=part.uid,
                        place=place,
                        kind=part.kind.value,
                        text=part.text,
                        links=_links(part.links),
                    )
                )
        self.session.flush()

    def document(self, version_id: VersionId) -> Document:
        """The version as a document: its parts in order (paragraphs alone, in one
        untitled section, for a version stored before documents)."""
        version = self.version_by_id(version_id)
        placed: list[tuple[int, Part]] = []
        for row in self.paragraphs(version_id):
            clause = Clause(row.clause) if row.clause else None
            paragraph = DraftParagraph(row.uid, row.text, row.label, clause, read_links(row.links))
            placed.append((row.place or row.position, paragraph))
        for part in self.parts(version_id):
            if part.kind == HEADING:
                placed.append((part.place, Heading(part.uid, part.text, part.level or 1)))
            else:
                note = Note(part.uid, part.text, NoteKind(part.kind), read_links(part.links))
                placed.append((part.place, note))
        placed.sort(key=lambda item: item[0])
        return Document(version.title if version else None, tuple(p for _, p in placed))

    def parts(self, version_id: VersionId) -> Sequence[DraftPart]:
        """A version's headings and notes, in order."""
        return self.session.exec(
            select(DraftPart)
            .where(DraftPart.version_id == version_id)
            .order_by(col(DraftPart.place))
        ).all()

    def replace(self, version_id: VersionId, document: Document, *, title: str) -> None:
        """Change a version that no round has opened on; `VersionFrozen` if one has.

        Paragraph sources are kept by uid. Translations stay, each with the master text it
        was made from, so those whose paragraph changed read as out of date.
        """
        # The conditional update locks the version's row (PostgreSQL), so a round opening
        # at the same moment waits for this change or makes it fail, never both.
        changed = self.session.execute(
            update(DraftVersion)
            .where(col(DraftVersion.id) == version_id, col(DraftVersion.frozen_at).is_(None))
            .values(title=title)
        )
        if changed.rowcount != 1:  # type: ignore[attr-defined]
            raise VersionFrozen(version_id)
        sources = {row.uid: row.sources for row in self.paragraphs(version_id) if row.sources}
        for loaded in list(self.session.identity_map.values()):  # rows about to go
            if isinstance(loaded, ParagraphRow | DraftPart) and loaded.version_id == version_id:
                self.session.expunge(loaded)
        for table in (ParagraphRow, DraftPart):
            self.session.execute(delete(table).where(col(table.version_id) == version_id))
        self._write_parts(version_id, document, sources)

    def freeze(self, version_id: VersionId, at: datetime) -> None:
        """Mark the version as reviewed from `at` on: it never changes again."""
        self.session.execute(
            update(DraftVersion)
            .where(col(DraftVersion.id) == version_id, col(DraftVersion.frozen_at).is_(None))
            .values(frozen_at=at)
        )

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
        """A version's paragraphs in order (read-only: only the facilitator's `replace`
        changes them, before the version is frozen)."""
        cached = self.version_cache.get(version_id)
        if cached is None:
            rows = self.session.exec(
                select(ParagraphRow)
                .where(ParagraphRow.version_id == version_id)
                .order_by(col(ParagraphRow.position))
            ).all()
            if not rows or version_id in self.cut_here:
                return rows  # not committed yet (may still roll back): nothing to remember
            version = self.version_by_id(version_id)
            if version is None or version.frozen_at is None:
                return rows  # may still change: read it each time
            for row in rows:
                self.session.expunge(row)
            cached = self.version_cache.setdefault(version_id, tuple(rows))
        return cached

    def language(self, version_id: VersionId) -> str:
        """The language of the version's master text (its consultation's)."""
        known = self.version_languages.get(version_id)
        if known is not None:
            return known
        version = self.version_by_id(version_id)
        consultation = (
            self.session.get(Consultation, version.consultation_id) if version is not None else None
        )
        language = consultation.language if consultation is not None else "en"
        if version is not None and version.frozen_at is not None:
            self.version_languages[version_id] = language
        return language

    def set_translation(
        self,
        version_id: VersionId,
        language: str,
        texts: Mapping[str, str],
        originals: Mapping[str, str] | None = None,
    ) -> None:
        """Store a version's parts in `language` (uid -> text), replacing any before;
        `originals` are the master texts they translate (uid -> text)."""
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
                ParagraphTranslation(
                    version_id=version_id,
                    uid=uid,
                    language=language,
                    text=text,
                    original=(originals or {}).get(uid),
                )
            )
        self.session.flush()

    def translations(
        self, version_ids: Sequence[VersionId], language: str
    ) -> dict[VersionId, dict[str, Translated]]:
        """Versions' parts in `language`: version id -> uid -> translation, where loaded."""
        found: dict[VersionId, dict[str, Translated]] = {}
        if not version_ids:
            return found
        rows = self.session.exec(
            select(ParagraphTranslation).where(
                col(ParagraphTranslation.version_id).in_(version_ids),
                ParagraphTranslation.language == language,
            )
        )
        for row in rows:
            found.setdefault(row.version_id, {})[row.uid] = Translated(row.text, row.original)
        return found

    def languages(self, version_ids: Sequence[VersionId]) -> set[str]:
        """The languages some part of these versions was translated into."""
        if not version_ids:
            return set()
        return set(
            self.session.exec(
                select(ParagraphTranslation.language)
                .where(col(ParagraphTranslation.version_id).in_(version_ids))
                .distinct()
            ).all()
        )

    def delete_all(self, version_ids: Sequence[VersionId]) -> None:
        """Remove versions whole (a consultation deleted before any round)."""
        for table in (ParagraphTranslation, ParagraphRow, DraftPart):
            self.session.execute(delete(table).where(col(table.version_id).in_(version_ids)))
        for version_id in sorted(version_ids, reverse=True):  # children before parents
            self.session.execute(delete(DraftVersion).where(col(DraftVersion.id) == version_id))
        for version_id in version_ids:
            self.version_cache.pop(version_id, None)
            self.version_languages.pop(version_id, None)
