"""A round in the Pol.is open-data layout, and back: the field's own format.

Pol.is publishes its conversations as four CSV files, which its own analysis, Talk to the
City and Jigsaw's sensemaking tools read. A round maps onto one conversation:

- `comments.csv`: the statements voted on, here the paragraphs of the version the round
  reviewed (comment-id = paragraph number - 1), with their agrees and disagrees and the
  group-informed consensus the summary gives them;
- `votes.csv`: every stance in time order (1 support, -1 oppose, 0 abstain, as Pol.is's
  agree, disagree, pass); a stance someone changed comes before the one that replaced
  it, so the latest vote of each voter on each statement is the live one;
- `participants-votes.csv`: one row per participant, numbered in the order they first
  voted (a number made for this file, never the person's id), with the stakeholder
  group as the group column (`group-id`, an index into the groups listed in
  `summary.csv`) and the latest vote on each statement;
- `summary.csv`: the topic (the consultation's title), counts, and the groups.

Comments and amendments are not statements in this layout and are not in it (the
other exports have them); a participant's `n-comments` counts them. Withdrawn stances
are left out, as Pol.is has no withdrawn vote.

`read_polis` reads such a folder's files (ours, or one from Pol.is, whose `group-id` is
its opinion group, empty for a participant it did not place) into the same plain data,
to seed a consultation or reanalyse one. This module only turns data into text and back;
the bot reads and writes the files.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from consultations.exports import zipped

FILES = ("comments.csv", "votes.csv", "participants-votes.csv", "summary.csv")
REQUIRED = ("comments.csv", "votes.csv", "participants-votes.csv")


class PolisFormatError(ValueError):
    """The files are not a Pol.is export this reader understands; the message says why."""


@dataclass(frozen=True)
class Statement:
    id: int  # Pol.is comment-id
    text: str
    created_at: datetime
    consensus: float | None = None  # group-informed consensus, where known
    moderated: int = 1  # Pol.is: 1 accepted, 0 unmoderated, -1 rejected


@dataclass(frozen=True)
class Vote:
    participant: int
    statement: int
    vote: int  # 1 agree (support), -1 disagree (oppose), 0 pass (abstain)
    at: datetime


@dataclass(frozen=True)
class Conversation:
    topic: str
    version: int  # of the draft the round reviewed
    round: int
    reviewed_at: datetime  # when that version was cut
    statements: tuple[Statement, ...]
    votes: tuple[Vote, ...]  # in time order; the last of a voter on a statement counts
    group_names: tuple[str, ...]  # group-id i is group_names[i]
    groups: Mapping[int, int | None]  # participant -> group-id (None: in no group)
    comments_by: Mapping[int, int]  # participant -> comments and amendments they wrote
    description: str = ""

    def latest(self) -> dict[int, dict[int, int]]:
        """participant -> statement -> their latest vote."""
        ballots: dict[int, dict[int, int]] = {}
        for v in self.votes:
            ballots.setdefault(v.participant, {})[v.statement] = v.vote
        return ballots


# ---- writing ---------------------------------------------------------------------------


def folder_name(title: str, conversation: Conversation) -> str:
    """`foc-joint-statement-v3-2026-12-05-polis-round-4`: as the other exports, then the round."""
    from consultations.exports import slug

    return (
        f"{slug(title)}-v{conversation.version}-{conversation.reviewed_at:%Y-%m-%d}"
        f"-polis-round-{conversation.round}"
    )


def to_zip(folder: str, files: Mapping[str, bytes]) -> bytes:
    """The files in one zip archive, inside `folder`: how a chat sends a folder."""
    return zipped({f"{folder}/{name}": content for name, content in files.items()})


def to_polis(conversation: Conversation) -> dict[str, bytes]:
    """The four files, by name."""
    latest = conversation.latest()
    statements = sorted(conversation.statements, key=lambda s: s.id)
    tally = {s.id: [0, 0] for s in statements}
    for ballot in latest.values():
        for statement, vote in ballot.items():
            if vote and statement in tally:
                tally[statement][0 if vote == 1 else 1] += 1

    comments = _table(
        [
            "timestamp",
            "datetime",
            "comment-id",
            "author-id",
            "agrees",
            "disagrees",
            "moderated",
            "is-meta",
            "is-seed",
            "group-informed-consensus",
            "comment-body",
        ],
        (
            [
                _millis(s.created_at),
                _when(s.created_at),
                s.id,
                "",
                *tally[s.id],
                s.moderated,
                "false",
                "true",
                "" if s.consensus is None else repr(s.consensus),
                s.text,
            ]
            for s in statements
        ),
    )
    votes = _table(
        ["timestamp", "datetime", "comment-id", "voter-id", "vote"],
        (
            [_millis(v.at), _when(v.at), v.statement, v.participant, v.vote]
            for v in conversation.votes
        ),
    )
    ids = [s.id for s in statements]
    participants = sorted(set(conversation.groups) | set(latest))
    matrix = []
    for p in participants:
        ballot = latest.get(p, {})
        group = conversation.groups.get(p)
        matrix.append(
            [
                p,
                "",
                "" if group is None else group,
                conversation.comments_by.get(p, 0),
                len(ballot),
                sum(1 for v in ballot.values() if v == 1),
                sum(1 for v in ballot.values() if v == -1),
                *(ballot.get(i, "") for i in ids),
            ]
        )
    header = ["participant", "xid", "group-id", "n-comments", "n-votes", "n-agree", "n-disagree"]
    participants_votes = _table([*header, *map(str, ids)], matrix)
    voters = sum(1 for ballot in latest.values() if ballot)
    summary = _table(
        None,
        [
            ["topic", conversation.topic],
            ["url", ""],
            ["views", len(participants)],
            ["voters", voters],
            ["voters-in-conv", voters],
            ["commenters", sum(1 for n in conversation.comments_by.values() if n)],
            ["comments", len(statements)],
            ["groups", len(conversation.group_names)],
            ["conversation-description", conversation.description],
            *([f"group-{i}", name] for i, name in enumerate(conversation.group_names)),
        ],
    )
    return {
        "comments.csv": comments,
        "votes.csv": votes,
        "participants-votes.csv": participants_votes,
        "summary.csv": summary,
    }


def _table(header: Sequence[str] | None, rows: object) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if header is not None:
        writer.writerow(header)
    writer.writerows(rows)  # type: ignore[arg-type]
    return out.getvalue().encode()


def _millis(value: datetime) -> int:
    return round(value.timestamp() * 1000)


def _when(value: datetime) -> str:
    """As Pol.is writes it ("Fri Sep 20 14:29:43 CDT 2024"), in UTC."""
    return value.astimezone(UTC).strftime("%a %b %d %H:%M:%S UTC %Y")


# ---- reading ---------------------------------------------------------------------------


def read_polis(files: Mapping[str, str]) -> Conversation:
    """A conversation from the text of its files (by name); summary.csv is optional."""
    missing = [name for name in REQUIRED if name not in files]
    if missing:
        raise PolisFormatError(f"missing {', '.join(missing)}")
    statements = []
    for row in _rows(files["comments.csv"], "comments.csv", ("comment-id", "comment-body")):
        consensus = row.get("group-informed-consensus") or ""
        statements.append(
            Statement(
                id=_int(row["comment-id"], "comments.csv", "comment-id"),
                text=row["comment-body"],
                created_at=_time(row.get("timestamp") or "0", "comments.csv"),
                consensus=float(consensus) if consensus else None,
                moderated=_int(row.get("moderated") or "1", "comments.csv", "moderated"),
            )
        )
    known = {s.id for s in statements}
    history = _rows(
        files["votes.csv"], "votes.csv", ("timestamp", "comment-id", "voter-id", "vote")
    )
    history.sort(key=lambda row: _int(row["timestamp"], "votes.csv", "timestamp"))  # stable
    votes = []
    for row in history:
        statement = _int(row["comment-id"], "votes.csv", "comment-id")
        if statement not in known:
            raise PolisFormatError(f"votes.csv: a vote on comment {statement}, not in comments.csv")
        vote = _int(row["vote"], "votes.csv", "vote")
        if vote not in (1, -1, 0):
            raise PolisFormatError(f"votes.csv: vote {vote} is not 1, -1 or 0")
        votes.append(
            Vote(
                _int(row["voter-id"], "votes.csv", "voter-id"),
                statement,
                vote,
                _time(row["timestamp"], "votes.csv"),
            )
        )
    groups: dict[int, int | None] = {}
    comments_by: dict[int, int] = {}
    name = "participants-votes.csv"
    for row in _rows(files[name], name, ("participant", "group-id")):
        participant = _int(row["participant"], name, "participant")
        group = row["group-id"]
        groups[participant] = _int(group, name, "group-id") if group else None
        comments_by[participant] = _int(row.get("n-comments") or "0", name, "n-comments")
    topic, description = "", ""
    named: dict[int, str] = {}
    for line in csv.reader(io.StringIO(files.get("summary.csv", ""))):
        if len(line) < 2:
            continue
        if line[0] == "topic":
            topic = line[1]
        elif line[0] == "conversation-description":
            description = line[1]
        elif line[0].startswith("group-") and line[0][6:].isdigit():
            named[int(line[0][6:])] = line[1]
    used = sorted({g for g in groups.values() if g is not None} | set(named))
    group_names = tuple(
        named.get(i, f"Opinion group {i}") for i in range(max(used, default=-1) + 1)
    )
    return Conversation(
        topic=topic,
        version=1,
        round=1,
        reviewed_at=min((s.created_at for s in statements), default=datetime.fromtimestamp(0, UTC)),
        statements=tuple(statements),
        votes=tuple(votes),
        group_names=group_names,
        groups=groups,
        comments_by=comments_by,
        description=description,
    )


def _rows(text: str, name: str, needed: Sequence[str]) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text))
    absent = [column for column in needed if column not in (reader.fieldnames or [])]
    if absent:
        raise PolisFormatError(f"{name}: no column {', '.join(absent)}")
    return list(reader)


def _int(value: str, name: str, column: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise PolisFormatError(f"{name}: {column} {value!r} is not a whole number") from None


def _time(value: str, name: str) -> datetime:
    return datetime.fromtimestamp(_int(value, name, "timestamp") / 1000, UTC)
