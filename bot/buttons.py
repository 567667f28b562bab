"""Button data: what a button means, written as the short string a platform gives back
when it is pressed.

Each kind of button is a small frozen dataclass registered under a prefix. `encode`
writes one as its prefix and its fields joined by ':' ("rv:12:3:support"); `decode` reads
it back, or returns None for data that is no button of ours, or no longer fits one (the
person is told the button belongs to an earlier step). The strings are the ones the bot
has always sent, so buttons already in people's chats keep working after an upgrade.

Telegram gives back at most 64 bytes of callback data: a kind whose longest encoding
could exceed that is refused at import.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from enum import StrEnum
from typing import Any, Literal, NewType, TypeVar, get_args, get_origin, get_type_hints

from bot.events import ChatId, MessageId
from consultations.ids import ConsultationId, RoundId

MAX_BYTES = 64  # Telegram's limit on a button's callback data
SEPARATOR = ":"
WIDEST_INT = len(str(-(2**63)))  # every id and index the bot hands out fits a 64-bit integer

Class = TypeVar("Class", bound=type[Any])


@dataclasses.dataclass(frozen=True)
class _Field:
    name: str
    read: Callable[[str], Any]  # raises ValueError for text that is not a value
    widest: int  # characters of its longest encoding


_KINDS: dict[str, tuple[type[Any], tuple[_Field, ...]]] = {}
_PREFIXES: dict[type[Any], str] = {}


def _field(name: str, hint: Any) -> _Field:
    while isinstance(hint, NewType):  # an id: written as its plain value
        hint = hint.__supertype__
    if hint is int:
        return _Field(name, int, WIDEST_INT)
    if isinstance(hint, type) and issubclass(hint, StrEnum):
        return _Field(name, hint, max(len(member.value) for member in hint))
    if get_origin(hint) is Literal:
        allowed = tuple(str(value) for value in get_args(hint))

        def read(text: str) -> str:
            if text not in allowed:
                raise ValueError(text)
            return text

        return _Field(name, read, max(map(len, allowed)))
    raise TypeError(
        f"button field {name!r}: an int (or an id), a StrEnum or a Literal, not {hint!r}"
    )


def kind(prefix: str) -> Callable[[Class], Class]:
    """Register a frozen dataclass as the button kind written with `prefix`."""

    def register(cls: Class) -> Class:
        if prefix in _KINDS or SEPARATOR in prefix:
            raise ValueError(f"button prefix {prefix!r} declared twice or not one word")
        hints = get_type_hints(cls)
        fields = tuple(_field(f.name, hints[f.name]) for f in dataclasses.fields(cls))
        widest = len(prefix) + sum(len(SEPARATOR) + f.widest for f in fields)
        if widest > MAX_BYTES:
            raise ValueError(f"button {prefix!r} may take {widest} bytes, over {MAX_BYTES}")
        _KINDS[prefix] = (cls, fields)
        _PREFIXES[cls] = prefix
        return cls

    return register


def encode(button: Button) -> str:
    """The button's data, as the platform gives it back."""
    prefix = _PREFIXES[type(button)]
    values = (str(getattr(button, f.name)) for f in dataclasses.fields(button))
    data = SEPARATOR.join([prefix, *values])
    assert len(data.encode()) <= MAX_BYTES, data
    return data


def decode(data: str) -> Button | None:
    """The button `data` stands for, or None if it is not (or no longer) one of ours."""
    prefix, *parts = data.split(SEPARATOR)
    found = _KINDS.get(prefix)
    if found is None:
        return None
    cls, fields = found
    if len(parts) != len(fields):
        return None
    try:
        values = {f.name: f.read(part) for f, part in zip(fields, parts, strict=True)}
    except ValueError:
        return None
    button: Button = cls(**values)
    return button


# ---- the kinds ---------------------------------------------------------------------------


class ReviewAction(StrEnum):
    SUPPORT = "support"
    OPPOSE = "oppose"
    COMMENT = "comment"
    AMEND = "amend"
    SKIP = "skip"
    BACK = "back"


@kind("rv")
@dataclasses.dataclass(frozen=True)
class Review:
    """One of the review walk's buttons under paragraph `index` (from 0) of a round."""

    round_id: RoundId
    index: int
    action: ReviewAction


@kind("rs")
@dataclasses.dataclass(frozen=True)
class ReviewScope:
    """At the start of a new round's review: walk only the paragraphs that changed since
    the person's last review, or all of them."""

    round_id: RoundId
    scope: Literal["changed", "all"]


class ProposalAction(StrEnum):
    CONFIRM = "confirm"  # record the proposal previewed as a diff
    EDIT = "edit"  # edit it again
    CANCEL = "cancel"  # leave it unsent
    AS_COMMENT = "comment"  # the text is a comment on the paragraph
    AS_AMENDMENT = "amend"  # the text is the paragraph's new wording


@kind("pp")
@dataclasses.dataclass(frozen=True)
class Proposal:
    """Under a proposed text for paragraph `index` (from 0) of a round: its diff shown
    before it is recorded, or the question whether it is a comment or an amendment. The
    text itself waits in the person's dialog."""

    round_id: RoundId
    index: int
    action: ProposalAction


@kind("forget")
@dataclasses.dataclass(frozen=True)
class Forget:
    """'Erase my data', under the question `forget` asks: `forget confirm`."""

    confirm: Literal["confirm"] = "confirm"


@kind("cdel")
@dataclasses.dataclass(frozen=True)
class DeleteConsultation:
    """'Delete it', under the question `consultation delete ID` asks."""

    consultation_id: ConsultationId


@kind("cancel")
@dataclasses.dataclass(frozen=True)
class Cancel:
    """Leave whatever the bot was waiting for: `cancel`."""


Button = Review | ReviewScope | Proposal | Forget | DeleteConsultation | Cancel


def offered_key(chat: ChatId, message_id: MessageId) -> str:
    """The key-value key under which the data of the buttons offered on a sent message
    are kept, so that a reaction to the message can press one of them."""
    return f"choices:{chat}:{message_id}"
