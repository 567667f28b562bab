"""Prose over the extractive summary, from any OpenAI-compatible endpoint. Off unless configured.

    Summary ──payload: JSON of paragraphs, votes, themes, quotes, amendments, ids──>
        POST {CONSULTBOT_LLM_BASE_URL}/chat/completions
    <── prose that cites submissions as [#12]
        checked: it cites at least one submission, and only ones the payload holds
    ──> the prose; or, on any error, timeout or failed check, None and the reason,
        and the extractive text stands.

The model sees only what the extractive summary already shows to the secretariat:
attribution labels as the consultation's policy allows, never platform ids. Nothing is
sent unless an operator set a base URL.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Any

import httpx

from bot.settings import Settings
from consultations.digest import ranked_amendments
from consultations.points import Point
from consultations.summary import Summary

log = logging.getLogger(__name__)

INSTRUCTIONS = (
    "You write the digest of one round of a stakeholder consultation on a draft joint "
    "statement, for the facilitators who must revise the draft. You are given the round's "
    "structured summary as JSON: which paragraphs are common ground and which are in "
    "dispute; per paragraph, each stakeholder group's position (a group supports or opposes "
    "when at least 60% of its votes do) and counts, the points delegates made (with how "
    "many made each) and themes of the comments with verbatim quotes; the amendments ranked "
    "by the groups behind them; and the groups not heard. Write plain prose, at most 250 "
    "words, in {language}, in this order: the paragraphs to keep as they are; the paragraphs "
    "in dispute, with each group's position and what it asks to change; the amendments that "
    "could carry several groups; who has not been heard. After each claim that rests on what "
    "stakeholders wrote, cite the submissions it rests on by their id in square brackets, "
    "like [#12] or [#12, #15]. Cite only ids that appear in the JSON. Use only what the "
    "JSON says; quote delegates in the language they wrote in; name stakeholder groups, "
    "never people or organisations. Do not call a paragraph agreed or disputed unless the "
    "JSON does."
)

CITATION = re.compile(r"#(\d+)")


@dataclass(frozen=True)
class Prose:
    """What the abstractive layer produced: prose, or why the extractive text stands."""

    text: str | None
    model: str
    failure: str | None = None


class Writer:
    """A client of one OpenAI-compatible chat-completions endpoint."""

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        timeout: float = 20.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self.api_key = api_key
        self.timeout = timeout
        self.transport = transport

    @classmethod
    def from_settings(cls, settings: Settings) -> Writer | None:
        """The configured writer, or None: the layer is off unless a base URL is set."""
        if not settings.llm_base_url or not settings.llm_model:
            return None
        key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
        return cls(
            settings.llm_base_url, settings.llm_model, api_key=key, timeout=settings.llm_timeout
        )

    def write(
        self,
        summary: Summary,
        title: str,
        round_number: int,
        only: int | None,
        language: str = "English",
    ) -> Prose:
        """Prose for the summary (or its paragraph `only`) in `language` (its English name),
        checked, or the reason it is not."""
        payload = summary_payload(summary, title, round_number, only)
        known = {
            i.id
            for p in summary.paragraphs
            if only is None or p.paragraph.number == only
            for i in (*p.comments, *p.amendments)
        }
        try:
            text = self._complete(json.dumps(payload, ensure_ascii=False), language)
        except httpx.TimeoutException:
            return self._failed("timeout", f"no answer within {self.timeout:g}s")
        except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError) as error:
            return self._failed("error", f"{type(error).__name__}: {error}")
        cited = {int(n) for n in CITATION.findall(text)}
        unknown = sorted(cited - known)
        if unknown:
            ids = ", ".join(f"#{i}" for i in unknown)
            return self._failed("unknown_ids", f"it cites {ids}, which the summary does not hold")
        if known and not cited:
            return self._failed("uncited", "it cites no submission")
        return Prose(text.strip(), self.model)

    def _complete(self, content: str, language: str) -> str:
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        body = {
            "model": self.model,
            "messages": [
                {"role": "system", "content": INSTRUCTIONS.format(language=language)},
                {"role": "user", "content": content},
            ],
            "temperature": 0,
        }
        with httpx.Client(timeout=self.timeout, transport=self.transport) as client:
            response = client.post(self.url, json=body, headers=headers)
            response.raise_for_status()
            answer: Any = response.json()
        text = answer["choices"][0]["message"]["content"]
        if not isinstance(text, str) or not text.strip():
            raise ValueError("the answer has no text")
        return text

    def _failed(self, kind: str, reason: str) -> Prose:
        # The reason names no submission text: logs carry none.
        log.warning("abstractive summary not used (%s): %s", kind, reason)
        return Prose(None, self.model, reason)


def summary_payload(
    summary: Summary, title: str, round_number: int, only: int | None = None
) -> dict[str, Any]:
    """The structured summary as the model reads it: everything cited carries its id."""
    name = summary.group_name
    shown = [p for p in summary.paragraphs if only is None or p.paragraph.number == only]

    def point(p: Point) -> dict[str, Any]:
        return {
            "id": p.id,
            "author": p.author,
            "text": p.text,
            "language": p.language,
            "made_by_delegates": p.delegates,
            "groups": {name(k): n for k, n in p.groups.items()},
        }

    paragraphs = []
    for p in shown:
        paragraphs.append(
            {
                "number": p.paragraph.number,
                "text": p.paragraph.text,
                "standing": p.standing.value,
                "positions": {name(key): where.value for key, where in p.positions.items()},
                "votes": {
                    name(key): {"support": v.agree, "oppose": v.disagree, "abstain": v.abstain}
                    for key, v in p.votes.items()
                },
                **({"consensus": round(p.consensus, 3)} if p.consensus_defined else {}),
                "groups_not_heard": [name(k) for k in p.unheard],
                "themes": [
                    {
                        "label": theme.label,
                        "language": theme.language,
                        "comments": theme.size,
                        "groups": {name(k): n for k, n in theme.groups.items()},
                        "quotes": [point(q) for q in theme.quotes],
                    }
                    for theme in p.themes
                ],
                "other_points": [point(q) for q in p.unthemed[:10]],
                "amendments": [
                    {
                        "id": a.id,
                        "author": a.author,
                        "text": a.text,
                        "endorsements": {name(k): n for k, n in p.support(a.id).items()},
                    }
                    for a in p.amendments
                ],
            }
        )
    numbers = {p.paragraph.number for p in shown}
    return {
        "consultation": title,
        "round": round_number,
        "answered": {
            name(key): f"{part.answered} of {part.invited}"
            for key, part in summary.participation.items()
        },
        "groups_not_heard_at_all": [name(k) for k in summary.unheard],
        "common_ground": [
            p.paragraph.number for p in summary.common_ground if p.paragraph.number in numbers
        ],
        "in_dispute": [
            p.paragraph.number for p in summary.disputed if p.paragraph.number in numbers
        ],
        "amendments_ranked": [
            {
                "id": b.amendment.id,
                "paragraph": b.paragraph,
                "groups_behind": [name(k) for k in b.groups],
                "endorsements": b.total,
            }
            for b in ranked_amendments(summary)
            if b.paragraph in numbers
        ],
        "paragraphs": paragraphs,
    }
