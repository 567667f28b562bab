"""Read a Pol.is open-data export into plain data, for tests and nothing else.

The exports live in `shared/data/polis/<name>/`, beside the repository folder (as in the
CI clone), and are CC BY 4.0, attributed to The Computational Democracy Project: they
are read where they lie and never copied into the repository or the installed package.

Three files are read. `comments.csv` gives each comment and, in newer exports, Polis's
own `group-informed-consensus`. `votes.csv` is the full history of votes (1 agree,
-1 disagree, 0 pass); a participant who votes again on a comment replaces their earlier
vote, so only the latest one is kept. `participants-votes.csv` gives the opinion group
Polis placed each participant in (empty: not clustered) and the latest-vote matrix,
which the loader checks against the history so a misreading cannot pass unnoticed.
"""

from __future__ import annotations

import csv
import itertools
from dataclasses import dataclass
from pathlib import Path

from consultations.model import Kind, StakeholderGroup
from consultations.summary import Input, Paragraph, Participation

POLIS_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "polis"


@dataclass(frozen=True)
class Comment:
    id: int
    text: str
    moderated: int  # 1 accepted, 0 not yet moderated, -1 rejected
    agrees: int  # as exported: every agree row of votes.csv, re-votes included
    disagrees: int
    group_informed_consensus: float | None  # None in exports that lack the column
    author: int | None = None  # the participant who wrote it


@dataclass(frozen=True)
class PolisExport:
    name: str
    comments: dict[int, Comment]
    votes: dict[int, dict[int, int]]  # participant -> comment -> latest vote (1, -1, 0)
    groups: dict[int, int | None]  # participant -> Polis opinion group; None: not clustered

    @property
    def group_ids(self) -> list[int]:
        return sorted({group for group in self.groups.values() if group is not None})


def load_export(name: str, root: Path = POLIS_DATA) -> PolisExport:
    """Read the export folder `root/name`; FileNotFoundError says where it was looked for."""
    folder = root.resolve() / name
    if not folder.is_dir():
        raise FileNotFoundError(
            f"Pol.is export {name!r} not found at {folder}. The tests read the CC BY 4.0 "
            "Pol.is open data from shared/data/polis/ beside the repository folder; "
            "put the export there (it is not part of the repository)."
        )
    comments = _read_comments(folder / "comments.csv")
    votes = _read_latest_votes(folder / "votes.csv")
    groups, matrix = _read_participants(folder / "participants-votes.csv")
    if matrix != votes:
        raise ValueError(
            f"{folder}: the latest votes in votes.csv differ from participants-votes.csv"
        )
    return PolisExport(name=name, comments=comments, votes=votes, groups=groups)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _read_comments(path: Path) -> dict[int, Comment]:
    comments = {}
    for row in _rows(path):
        consensus = row.get("group-informed-consensus")
        comment = Comment(
            id=int(row["comment-id"]),
            text=row["comment-body"],
            moderated=int(row["moderated"]),
            agrees=int(row["agrees"]),
            disagrees=int(row["disagrees"]),
            group_informed_consensus=float(consensus) if consensus else None,
            author=int(row["author-id"]) if row.get("author-id") else None,
        )
        comments[comment.id] = comment
    return comments


def _read_latest_votes(path: Path) -> dict[int, dict[int, int]]:
    history = _rows(path)
    # sorted() is stable: rows with the same timestamp keep their file order.
    history.sort(key=lambda row: int(row["timestamp"]))
    votes: dict[int, dict[int, int]] = {}
    for row in history:
        votes.setdefault(int(row["voter-id"]), {})[int(row["comment-id"])] = int(row["vote"])
    return votes


def _read_participants(
    path: Path,
) -> tuple[dict[int, int | None], dict[int, dict[int, int]]]:
    groups: dict[int, int | None] = {}
    matrix: dict[int, dict[int, int]] = {}
    for row in _rows(path):
        participant = int(row["participant"])
        groups[participant] = int(row["group-id"]) if row["group-id"] else None
        # After the named columns (participant, xid, group-id, n-votes...), one per comment.
        cells = {
            int(column): int(value) for column, value in row.items() if column.isdigit() and value
        }
        if cells:
            matrix[participant] = cells
    return groups, matrix


# ---- a Pol.is conversation as a consultation ------------------------------------------
#
# Two shapes, for the two things measured on real data:
# - `as_statements`: every comment is a paragraph of the draft and every clustered
#   participant's latest vote is a stance on it (1 support, -1 oppose, 0 abstain), so the
#   consensus per paragraph can be checked against the consensus Pol.is exported;
# - `as_comments`: the conversation is a draft of a few paragraphs; its comments are
#   comments on them (dealt round-robin), and every agree vote on a comment endorses it,
#   so themes can be found and their quotes ranked by support.
# In both, Polis's opinion groups stand in for stakeholder groups.


@dataclass(frozen=True)
class AsConsultation:
    paragraphs: tuple[Paragraph, ...]
    inputs: tuple[Input, ...]
    groups: tuple[StakeholderGroup, ...]
    participation: dict[str, Participation]


def group_key(group: int) -> str:
    return f"polis-{group}"


def _groups(export: PolisExport) -> tuple[StakeholderGroup, ...]:
    return tuple(StakeholderGroup(group_key(g), f"Opinion group {g}") for g in export.group_ids)


def _participation(export: PolisExport) -> dict[str, Participation]:
    invited: dict[str, int] = {}
    answered: dict[str, int] = {}
    for participant, group in export.groups.items():
        if group is None:
            continue
        key = group_key(group)
        invited[key] = invited.get(key, 0) + 1
        answered[key] = answered.get(key, 0) + (1 if export.votes.get(participant) else 0)
    return {key: Participation(answered[key], invited[key]) for key in invited}


STANCE = {1: Kind.SUPPORT, -1: Kind.OPPOSE, 0: Kind.ABSTAIN}


def as_statements(export: PolisExport) -> AsConsultation:
    """Each comment a paragraph (uid `c<comment id>`); each latest vote a stance on it.

    Only participants Pol.is placed in a group vote here, as only they count in its
    group-informed consensus.
    """
    ids = itertools.count(1)
    paragraphs = tuple(
        Paragraph(f"c{c.id}", number, c.text)
        for number, c in enumerate(sorted(export.comments.values(), key=lambda c: c.id), 1)
    )
    inputs = []
    for participant, ballot in export.votes.items():
        group = export.groups.get(participant)
        if group is None:
            continue
        for comment, vote in ballot.items():
            inputs.append(Input(next(ids), f"c{comment}", group_key(group), STANCE[vote], None, ""))
    return AsConsultation(paragraphs, tuple(inputs), _groups(export), _participation(export))


def as_comments(
    export: PolisExport, paragraphs: int = 1, *, include_rejected: bool = False
) -> AsConsultation:
    """The comments (rejected ones left out) on `paragraphs` paragraphs; agrees endorse them.

    A comment keeps its Pol.is id as its submission id; its author's group is the group
    Pol.is placed the author in (None if unclustered). Endorsements get ids above them.
    """
    kept = sorted(
        (c for c in export.comments.values() if include_rejected or c.moderated >= 0),
        key=lambda c: c.id,
    )
    draft = tuple(
        Paragraph(f"p{i}", i, f"Paragraph {i} of {export.name}") for i in range(1, paragraphs + 1)
    )
    where = {c.id: draft[index % paragraphs].uid for index, c in enumerate(kept)}
    inputs = []
    for c in kept:
        group = export.groups.get(c.author) if c.author is not None else None
        key = group_key(group) if group is not None else None
        inputs.append(
            Input(c.id, where[c.id], key, Kind.COMMENT, c.text, f"a member of {key or 'none'}")
        )
    ids = itertools.count(max(export.comments) + 1)
    for participant, ballot in export.votes.items():
        group = export.groups.get(participant)
        key = group_key(group) if group is not None else None
        for comment, vote in ballot.items():
            if vote == 1 and comment in where and participant != export.comments[comment].author:
                inputs.append(
                    Input(next(ids), where[comment], key, Kind.ENDORSEMENT, None, "", comment)
                )
    return AsConsultation(draft, tuple(inputs), _groups(export), _participation(export))
