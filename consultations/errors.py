"""What can go wrong in a consultation, in words a person can act on.

Every error here is caused by something a person did (or tried to do) and carries a
message id and values, so the bot can tell them, in their language, what to do next.
The domain never formats the final sentence itself: the bot's message catalog does.

    ConsultationError
    ├── DraftError                 a draft could not be read
    │   ├── EmptyDraft
    │   │   └── NothingToReview    only headings and notes
    │   ├── UnsupportedDraftFile
    │   └── UnreadableDraftFile
    ├── RoundError                 the round is not in a state that allows this
    │   └── IllegalTransition
    └── SubmissionError            a submission is not acceptable as it stands
        ├── UnknownParagraph
        ├── EmptyText
        ├── TextTooLong
        └── AmendmentUnchanged
    ├── AmendmentConflict          two accepted amendments change one paragraph
    ├── NothingToPublish           no accepted amendment since the last version
    └── DraftEditError             a fix to the draft's split that cannot be made
                                   (consultations.document: UnknownNote, LastParagraph...)
"""

from __future__ import annotations

from typing import Any


class ConsultationError(Exception):
    """Base of every error a person can cause; `key` names the catalog message."""

    key = "error.generic"

    def __init__(self, **values: Any) -> None:
        self.values = values
        super().__init__(f"{self.key} {values}" if values else self.key)


class DraftError(ConsultationError):
    key = "error.draft"


class EmptyDraft(DraftError):
    key = "error.draft_empty"


class NothingToReview(EmptyDraft):
    """Headings or notes, but no paragraph to review. values: headings, notes."""

    key = "error.draft_nothing_to_review"


class UnsupportedDraftFile(DraftError):
    """values: filename, accepted (comma-separated extensions)."""

    key = "error.draft_unsupported"


class UnreadableDraftFile(DraftError):
    """values: filename, reason."""

    key = "error.draft_unreadable"


class RoundError(ConsultationError):
    key = "error.round"


class IllegalTransition(RoundError):
    """values: state, action."""

    key = "error.round_transition"


class SubmissionError(ConsultationError):
    key = "error.submission"


class UnknownParagraph(SubmissionError):
    """values: number, count."""

    key = "error.unknown_paragraph"


class EmptyText(SubmissionError):
    key = "error.empty_text"


class TextTooLong(SubmissionError):
    """values: count (characters), limit."""

    key = "error.text_too_long"


class AmendmentUnchanged(SubmissionError):
    key = "error.amendment_unchanged"


class AmendmentConflict(ConsultationError):
    """Two accepted amendments change the same paragraph. values: number, ids."""

    key = "error.amendment_conflict"


class NothingToPublish(ConsultationError):
    key = "error.nothing_to_publish"
