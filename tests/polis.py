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
from dataclasses import dataclass
from pathlib import Path

POLIS_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "polis"


@dataclass(frozen=True)
class Comment:
    id: int
    text: str
    moderated: int  # 1 accepted, 0 not yet moderated, -1 rejected
    agrees: int  # as exported: every agree row of votes.csv, re-votes included
    disagrees: int
    group_informed_consensus: float | None  # None in exports that lack the column


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
