"""A storage workload that ``test_crash.py`` kills at random: it says what it promised on stdout.

Usage: ``python tests/storage/crash_child.py DATA_DIR SEED``. Each user's
conversation goes ask -> submitting -> done; ``case <draft id> <number>`` is
printed (and flushed) only after ``create_case`` returned, so every printed
number is a promise the storage must keep. On start, conversations left in
``submitting`` are submitted again, as a user would press submit again after
the bot came back.
"""

from __future__ import annotations

import random
import sys
import time
import uuid
from pathlib import Path

from flows.identity import UserKey
from flows.record import ConversationRecord
from storage.records import CaseChange, CaseDraft, CaseStatus, EvidenceRef
from storage.tinydb_store import TinyDBStorage


def draft_for(record: ConversationRecord) -> CaseDraft:
    answers = record.answers
    return CaseDraft(
        draft_id=record.draft_id,
        user_id=record.user_id,
        lang=record.lang,
        policy_id="kakao_1015",
        reporter_type=answers["reporter_type"],
        service="kakaotalk_channel",
        paid=False,
        monetary=True,
        tier="cash_30000",
        amount=answers["amount"],
        description="예약 문의를 받지 못했습니다 " * 3,
        answers=dict(answers),
    )


def submit(store: TinyDBStorage, record: ConversationRecord) -> str:
    case = store.create_case(draft_for(record), now=time.time())
    print(f"case {record.draft_id} {case.case_number}", flush=True)
    record.case_number = case.case_number
    record.state = "done"
    record.updated_at = time.time()
    store.save_conversation(record)
    return case.case_number


def main(data_dir: Path, seed: int) -> None:
    rng = random.Random(seed)
    store = TinyDBStorage(data_dir)
    numbers = [row.case_number for row in store.list_cases()]
    for record in list(store.iter_conversations()):
        if record.state == "submitting" and record.case_number is None:
            numbers.append(submit(store, record))
    print("ready", flush=True)
    update_id = int(time.time() * 1000)
    while True:
        now = time.time()
        record = ConversationRecord(
            user_id=UserKey.telegram(rng.randrange(1, 400)),
            state="ask",
            draft_id=uuid.uuid4().hex,
            answers={"reporter_type": rng.choice(["general", "small_business"])},
            created_at=now,
            updated_at=now,
        )
        store.save_conversation(record)
        record.answers["amount"] = rng.randrange(10_000, 900_000)
        record.state = "submitting"
        record.updated_at = time.time()
        store.save_conversation(record)
        numbers.append(submit(store, record))
        update_id += 1
        store.mark_request("telegram", str(update_id))
        roll = rng.random()
        if roll < 0.2:
            store.update_case(
                rng.choice(numbers),
                CaseChange(
                    actor="staff:1",
                    now=time.time(),
                    status=rng.choice(list(CaseStatus)),
                    final_amount=rng.randrange(0, 50_000),
                ),
            )
        elif roll < 0.3:
            data = rng.randbytes(rng.randrange(1, 4000))
            sha = store.put_evidence(data)
            ref = EvidenceRef(sha256=sha, name="shot.png", mime="image/png", size=len(data))
            store.update_case(
                rng.choice(numbers),
                CaseChange(actor="user:1", now=time.time(), add_evidence=(ref,)),
            )
        elif roll < 0.35:
            store.delete_conversation(record.user_id)


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]))
