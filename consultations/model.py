"""The consultation's vocabulary: roles, kinds of input, round states, policies, groups.

These are plain enums and frozen dataclasses shared by every layer. Their values are
stored in the database and shown in exports, so they never change once released.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """What a person may do in one consultation."""

    STAKEHOLDER = "stakeholder"
    FACILITATOR = "facilitator"
    SECRETARIAT = "secretariat"


class Kind(StrEnum):
    """The kinds of input a stakeholder gives on a paragraph."""

    SUPPORT = "support"
    OPPOSE = "oppose"
    ABSTAIN = "abstain"
    COMMENT = "comment"
    AMENDMENT = "amendment"
    ENDORSEMENT = "endorsement"  # backs another stakeholder's amendment or comment

    @property
    def is_stance(self) -> bool:
        """A stance replaces the person's earlier stance on the same paragraph."""
        return self in (Kind.SUPPORT, Kind.OPPOSE, Kind.ABSTAIN)


class RoundState(StrEnum):
    SCHEDULED = "scheduled"
    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class Attribution(StrEnum):
    """How input is attributed in everything shown to others and in exports."""

    GROUP = "group"  # Chatham House: "a member of civil society"
    ORGANISATION = "organisation"
    NAME = "name"


class ErasurePolicy(StrEnum):
    """What `forget` does to a person's submissions."""

    PSEUDONYMISE = "pseudonymise"
    DELETE = "delete"


class Decision(StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"


@dataclass(frozen=True)
class StakeholderGroup:
    key: str
    name: str
    aliases: tuple[str, ...] = ()


DEFAULT_GROUPS: tuple[StakeholderGroup, ...] = (
    StakeholderGroup("government", "Government", ("gov", "governments", "state")),
    StakeholderGroup("civil-society", "Civil society", ("civil", "cso", "ngo", "civil_society")),
    StakeholderGroup(
        "private-sector", "Private sector", ("industry", "private", "business", "private_sector")
    ),
    StakeholderGroup(
        "academia", "Academia and technical community", ("technical", "academic", "tech")
    ),
    StakeholderGroup("igo", "Intergovernmental organisation", ("intergovernmental", "io")),
)


def find_group(groups: tuple[StakeholderGroup, ...], word: str) -> StakeholderGroup | None:
    """The group a facilitator means by `word`: its key, an alias, or its name."""
    wanted = word.strip().lower().replace(" ", "-")
    for group in groups:
        names = {group.key, group.name.lower().replace(" ", "-"), *group.aliases}
        if wanted in names:
            return group
    return None
