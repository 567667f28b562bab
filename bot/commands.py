"""Commands, declared once: name, arguments, who may use them, help text; and beside them
the handlers of buttons and of dialog steps.

Every platform takes the same commands (`/cmd` on Telegram, `!cmd` or `/cmd` on Matrix),
and in a private chat their bare names too (`help`, `review`, `comment 3 ...`: the router
takes plain text whose first word names a command for that command). Arguments are
parsed and converted here, so handlers get
typed values; anything that does not fit raises `UsageError` and the person sees the
command's usage line.

A dialog step is what the bot waits for from one person in one chat (a comment's text,
a draft, an organisation's name), kept in the database by `records.dialogs.set(...)`;
`@registry.dialog(step)` names the handler of the message that answers it. A command,
button or step declared twice is an error at import.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from consultations.rounds import parse_duration


class Access(StrEnum):
    """Who may use a command, in the person's current consultation."""

    ANYONE = "anyone"
    STAKEHOLDER = "stakeholder"
    FACILITATOR = "facilitator"
    SECRETARIAT = "secretariat"  # facilitators may do whatever the secretariat may
    MEMBER = "member"  # anyone with a role in the consultation
    ORGANISER = "organiser"  # an admin, or a facilitator of any consultation


class UsageError(Exception):
    """The arguments do not fit `command`; `detail` is a catalog key saying why, or None;
    `arg` names the argument whose value did not fit, if one did not."""

    def __init__(self, detail: str | None = None, *, arg: str | None = None, **values: Any):
        super().__init__(detail or "usage")
        self.detail = detail
        self.values = values
        self.arg = arg
        self.command: Command | None = None


MAX_ID = 2**31 - 1  # beyond any id or count the bot hands out, and within every column type


def positive_int(text: str) -> int:
    value = int(text.lstrip("#"))
    if not 0 < value <= MAX_ID:
        raise ValueError(text)
    return value


def duration(text: str) -> Any:
    return parse_duration(text)


# An argument's name as a person reads it in a usage line: 'TEXT', or 'TEXTE' in French
# (`Turn.usage` gives the catalog's `arg.<name>`).
Label = Callable[[str], str]


@dataclass(frozen=True)
class Arg:
    name: str
    convert: Callable[[str], Any] = str
    optional: bool = False
    rest: bool = False  # takes the remainder of the line, spaces included

    def usage(self, label: Label = str.upper) -> str:
        shown = label(self.name) + ("..." if self.rest else "")
        return f"[{shown}]" if self.optional else shown


Handler = Callable[..., None]
H = TypeVar("H", bound=Handler)


@dataclass(frozen=True)
class Command:
    name: str
    args: tuple[Arg, ...]
    access: Access
    help_key: str
    handler: Handler

    def usage(self, label: Label = str.upper) -> str:
        """'comment N TEXT...': the name, then each argument's `label`."""
        return " ".join([self.name, *(a.usage(label) for a in self.args)])

    def parse(self, text: str) -> dict[str, Any]:
        """Convert the text after the command name into keyword arguments."""
        try:
            return self._parse(text)
        except UsageError as error:
            error.command = self
            raise

    def _parse(self, text: str) -> dict[str, Any]:
        values: dict[str, Any] = {}
        remaining = text.strip()
        for index, arg in enumerate(self.args):
            if arg.rest:
                if not remaining and not arg.optional:
                    raise UsageError()
                values[arg.name] = _convert(arg, remaining) if remaining else None
                remaining = ""
                break
            word, _, remaining = remaining.partition(" ")
            remaining = remaining.strip()
            if not word:
                if not arg.optional:
                    raise UsageError()
                values[arg.name] = None
                continue
            values[arg.name] = _convert(arg, word)
            if index == len(self.args) - 1 and remaining:
                raise UsageError("usage.extra", extra=remaining)
        if not self.args and remaining:
            raise UsageError("usage.extra", extra=remaining)
        return values


def _convert(arg: Arg, text: str) -> Any:
    try:
        return arg.convert(text)
    except (ValueError, TypeError):
        raise UsageError("usage.bad_value", arg=arg.name, value=text) from None


@dataclass(frozen=True)
class DialogStep:
    """The handler of the message that answers a dialog step: `handler(turn, data)`, with
    the data stored with the step."""

    step: str
    handler: Handler
    needs_text: bool  # an empty message (a file alone) does not answer it


@dataclass
class Registry:
    commands: dict[str, Command] = field(default_factory=dict)
    # Button handlers by the kind of button (bot.buttons): `handler(turn, button)`.
    buttons: dict[type[Any], Handler] = field(default_factory=dict)
    dialogs: dict[str, DialogStep] = field(default_factory=dict)

    def button(self, kind: type[Any]) -> Callable[[H], H]:
        """Declare the handler of a press on a button of `kind`."""

        def register(handler: H) -> H:
            if kind in self.buttons:
                raise ValueError(f"button {kind.__name__} declared twice")
            self.buttons[kind] = handler
            return handler

        return register

    def command(
        self, name: str, *args: Arg, access: Access, help_key: str | None = None
    ) -> Callable[[H], H]:
        def register(handler: H) -> H:
            if name in self.commands:
                raise ValueError(f"command {name!r} declared twice")
            self.commands[name] = Command(
                name, tuple(args), access, help_key or f"help.{name.replace(' ', '_')}", handler
            )
            return handler

        return register

    def dialog(self, step: str, *, needs_text: bool = False) -> Callable[[H], H]:
        """Declare the handler of the message that answers `step`."""

        def register(handler: H) -> H:
            if step in self.dialogs:
                raise ValueError(f"dialog step {step!r} declared twice")
            self.dialogs[step] = DialogStep(step, handler, needs_text)
            return handler

        return register

    def dialog_step(self, step: str) -> DialogStep | None:
        return self.dialogs.get(step)

    def find(self, words: Sequence[str]) -> tuple[Command, int] | None:
        """The command named by the first one or two words, and how many words it used."""
        if len(words) >= 2 and f"{words[0]} {words[1]}" in self.commands:
            return self.commands[f"{words[0]} {words[1]}"], 2
        if words and words[0] in self.commands:
            return self.commands[words[0]], 1
        return None

    def family(self, word: str) -> list[Command]:
        """Commands that start with `word` ('round' -> round open, round close...)."""
        return [c for n, c in self.commands.items() if n.split(" ")[0] == word]


# The declared commands; handler modules add theirs when bot.handlers is imported.
registry = Registry()

COMMAND_PREFIXES = ("/", "!")


def split_command(text: str) -> tuple[str, str] | None:
    """('comment', '3 text...') for '/comment 3 text...', '!comment@bot 3 ...' or 'comment 3'.

    Returns None for text without a command prefix; bare words (in a private chat) go
    through `split_bare`.
    """
    stripped = text.strip()
    if not stripped or stripped[0] not in COMMAND_PREFIXES:
        return None
    return split_bare(stripped[1:])


def split_bare(text: str) -> tuple[str, str] | None:
    head, _, rest = text.strip().partition(" ")
    name = head.split("@", 1)[0].lower()  # Telegram's /cmd@botname in groups
    if not name or not name.replace("_", "").replace("-", "").isalnum():
        return None
    return name, rest.strip()
