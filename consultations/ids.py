"""The ids of what a consultation is made of, each its own type, so that one cannot be
passed where another is meant: mypy refuses a `RoundId` given for a `PersonId`.

They are plain ints at run time (`typing.NewType` costs nothing). The database hands
out the numbers: a table's own `id` column stays `int | None` (None until the row is
written), and `storage.tables.id_of` gives a written row's id as its type; the columns
that point at another table (`Submission.round_id`...) are declared with these types.
The platforms' ids are the bot's (`bot.events`: `PlatformId`, `ChatId`, `MessageId`).
"""

from __future__ import annotations

from typing import NewType

PersonId = NewType("PersonId", int)
ConsultationId = NewType("ConsultationId", int)
GroupId = NewType("GroupId", int)  # a stakeholder group, of one consultation
VersionId = NewType("VersionId", int)  # a version of the draft
RoundId = NewType("RoundId", int)
SubmissionId = NewType("SubmissionId", int)  # a stance, comment, amendment or endorsement
