"""Exporting a large consultation: time and peak memory of each format.

A consultation is built through the storage layer on a SQLite file: 20 paragraphs,
400 stakeholders in the five default groups, and SUBMISSIONS submissions in round 1
(stances, comments, amendments, endorsements where the schema has them, some
withdrawn, superseded or hidden); one amendment per paragraph accepted into version 2,
and a smaller round 2 on version 2. Then, for each format: building the record from the
store (`build_record`, which computes the summaries and themes) and rendering it, timed
apart; peak memory is measured in a second pass under tracemalloc (which slows Python
down, so it is not timed). Last, round 1 in Pol.is's layout: read from the store
(`build_conversation`, which computes the consensus) and written.

    python bench/exports.py                      # 10,000 submissions
    python bench/exports.py --submissions 2000   # a quicker look
"""

from __future__ import annotations

import argparse
import random
import resource
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.catalog import Catalog
from bot.handlers.record import build_conversation, build_record
from consultations import exports
from consultations.exports import polis
from consultations.model import Kind, Role
from storage.engine import make_engine, upgrade
from storage.records import Store
from storage.tables import AmendmentDecision, Submission

PARAGRAPHS = 20
STAKEHOLDERS = 400
STANCES = {Kind.SUPPORT.value, Kind.OPPOSE.value, Kind.ABSTAIN.value}
START = datetime(2026, 12, 1, 9, tzinfo=UTC)
WORDS = [
    *("export", "licence", "risk", "human", "rights", "due", "diligence", "transparency"),
    *("spyware", "vendors", "oversight", "remedy", "victims", "journalists", "defenders"),
    *("accountability", "reporting", "intrusion", "software", "surveillance", "states"),
    *("companies", "civil", "society", "safeguards"),
]


def sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def seed(store: Store, submissions: int, rng: random.Random) -> int:
    """The consultation; returns its id."""
    with store.transaction() as records:
        fac = records.people.person_for("bench:fac", display_name="Fac", language="en")
        assert fac.id is not None
        consultation = records.consultations.create("Benchmark statement", created_by=fac.id)
        assert consultation.id is not None
        cid = consultation.id
        groups = [g for g in records.consultations.groups(cid) if g.id is not None]
        v1 = records.drafts.add_version(
            cid,
            title="Benchmark statement",
            paragraphs=[(f"p{i}", sentence(rng, 25), []) for i in range(1, PARAGRAPHS + 1)],
            parent_id=None,
            created_by=fac.id,
        )
        people = []
        for n in range(STAKEHOLDERS):
            person = records.people.person_for(
                f"bench:s{n}", display_name=f"Delegate {n}", language="en"
            )
            assert person.id is not None
            person.organisation = f"Organisation {n}"
            group = groups[n % len(groups)]
            records.consultations.add_member(cid, person.id, Role.STAKEHOLDER, group.id)
            people.append((person.id, group.id))
        assert v1.id is not None
        round1 = records.rounds.add(cid, v1.id)
        round1.state, round1.opened_at, round1.closed_at = (
            "closed",
            START,
            START + timedelta(days=3),
        )
        records.save(round1)
        assert round1.id is not None
        endorsable = "target_id" in Submission.model_fields
        rows = []
        amendments: dict[str, list[Submission]] = {}
        live: dict[tuple[int, str], Submission] = {}  # (person, paragraph) -> live stance
        for n in range(submissions):
            person_id, group_id = rng.choice(people)
            uid = f"p{rng.randint(1, PARAGRAPHS)}"
            roll = rng.random()
            kind = (
                Kind.SUPPORT
                if roll < 0.30
                else Kind.OPPOSE
                if roll < 0.45
                else Kind.ABSTAIN
                if roll < 0.55
                else Kind.COMMENT
                if roll < 0.88
                else Kind.AMENDMENT
                if roll < 0.95 or not endorsable
                else Kind("endorsement")
            )
            row = Submission(
                round_id=round1.id,
                person_id=person_id,
                group_id=group_id,
                paragraph_uid=uid,
                kind=kind.value,
                text=sentence(rng, rng.randint(8, 40))
                if kind in (Kind.COMMENT, Kind.AMENDMENT)
                else None,
                created_at=START + timedelta(seconds=rng.randint(0, 3 * 86400)),
            )
            if kind.value == "endorsement" and amendments.get(uid):
                row.target_id = rng.choice(amendments[uid]).id
            elif kind.value == "endorsement":
                row.kind = Kind.SUPPORT.value
            if n % 97 == 0:
                row.withdrawn_at = row.created_at + timedelta(hours=1)
            elif n % 89 == 0:
                row.superseded_at = row.created_at + timedelta(hours=1)
            elif n % 211 == 0:
                row.hidden_at = row.created_at + timedelta(hours=2)
            if row.kind in STANCES and row.withdrawn_at is None and row.superseded_at is None:
                # One live stance per person and paragraph (the store's unique index): of
                # two, the later supersedes the earlier, as when a delegate changes their mind.
                earlier = live.get((person_id, uid))
                if earlier is not None and earlier.created_at > row.created_at:
                    row.superseded_at = earlier.created_at
                elif earlier is not None:
                    earlier.superseded_at = row.created_at
                if row.superseded_at is None:
                    live[(person_id, uid)] = row
            rows.append(row)
            if kind is Kind.AMENDMENT:
                records.save(row)  # an id, for endorsements to point at
                amendments.setdefault(uid, []).append(row)
        records.save(*rows)

        accepted = []
        for uid, proposed in sorted(amendments.items()):
            live = [a for a in proposed if a.withdrawn_at is None and a.hidden_at is None]
            for index, amendment in enumerate(live[:4]):
                assert amendment.id is not None
                decision = "accepted" if index == 0 else "rejected"
                records.save(
                    AmendmentDecision(
                        submission_id=amendment.id,
                        decision=decision,
                        note=None if index == 0 else "Too broad",
                        decided_by=fac.id,
                    )
                )
                if index == 0:
                    accepted.append((uid, amendment))
        texts = {p.uid: p.text for p in records.drafts.paragraphs(v1.id)}
        for uid, amendment in accepted:
            texts[uid] = amendment.text or texts[uid]
        v2 = records.drafts.add_version(
            cid,
            title="Benchmark statement",
            paragraphs=[
                (uid, texts[uid], [a.id for u, a in accepted if u == uid and a.id is not None])
                for uid in (f"p{i}" for i in range(1, PARAGRAPHS + 1))
            ],
            parent_id=v1.id,
            created_by=fac.id,
        )
        for _, amendment in accepted:
            decision = records.submissions.decision(amendment.id)
            assert decision is not None
            decision.applied_in_version_id = v2.id
            records.save(decision)
        assert v2.id is not None
        round2 = records.rounds.add(cid, v2.id)
        round2.state, round2.opened_at = "open", START + timedelta(days=5)
        records.save(round2)
        assert round2.id is not None
        records.save(
            *(
                Submission(
                    round_id=round2.id,
                    person_id=person_id,
                    group_id=group_id,
                    paragraph_uid=f"p{rng.randint(1, PARAGRAPHS)}",
                    kind=Kind.SUPPORT.value,
                    created_at=START + timedelta(days=5, minutes=n),
                )
                for n, (person_id, group_id) in enumerate(people[:200])
            )
        )
        return cid


def measure(work: Callable[[], Any]) -> tuple[float, int, Any]:
    """(seconds, peak bytes, result): timed on its own, then again under tracemalloc."""
    started = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - started
    tracemalloc.start()
    work()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, peak, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        upgrade(engine)
        store = Store(engine)
        started = time.perf_counter()
        cid = seed(store, args.submissions, random.Random(args.seed))
        print(
            f"seeded {args.submissions:,} submissions in round 1 (+200 in round 2), "
            f"{PARAGRAPHS} paragraphs, {STAKEHOLDERS} stakeholders, "
            f"in {time.perf_counter() - started:.1f} s"
        )
        catalog = Catalog()

        def t(key: str, **values: object) -> str:
            return catalog.text(key, None, **values)

        def record() -> exports.Record:
            with store.transaction() as records:
                consultation = records.consultations.get(cid)
                assert consultation is not None
                return build_record(records, catalog, None, consultation, datetime.now(UTC))

        started = time.perf_counter()
        record()
        print(
            f"first build_record in this process (imports scikit-learn for themes): "
            f"{time.perf_counter() - started:.2f} s"
        )
        build_s, build_peak, built = measure(record)
        print(
            f"build_record (store -> record, summaries and themes included): "
            f"{build_s:.2f} s, peak {build_peak / 2**20:.0f} MiB"
        )
        print(
            f"{'format':<10} {'render s':>9} {'build+render s':>15} "
            f"{'render peak MiB':>16} {'size':>10}"
        )
        for fmt in exports.EXPORTERS:
            seconds, peak, (_, _, content) = measure(lambda fmt=fmt: exports.render(built, fmt, t))
            print(
                f"{fmt:<10} {seconds:>9.2f} {build_s + seconds:>15.2f} "
                f"{peak / 2**20:>16.1f} {len(content) / 1024:>6.0f} KiB"
            )

        def conversation() -> polis.Conversation:
            with store.transaction() as records:
                consultation = records.consultations.get(cid)
                assert consultation is not None
                return build_conversation(records, catalog, consultation, 1)

        read_s, read_peak, talk = measure(conversation)
        seconds, peak, files = measure(lambda: polis.to_polis(talk))
        size = sum(len(content) for content in files.values())
        print(
            f"{'polis':<10} {seconds:>9.2f} {read_s + seconds:>15.2f} "
            f"{peak / 2**20:>16.1f} {size / 1024:>6.0f} KiB"
            f"   (round 1 read from the store: {read_s:.2f} s, peak {read_peak / 2**20:.0f} MiB)"
        )
        engine.dispose()
    # tracemalloc sees Python's allocations, not lxml's or numpy's own: the process's
    # high-water mark bounds them all.
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"max resident memory of the whole run: {rss:.0f} MiB")


if __name__ == "__main__":
    main()
