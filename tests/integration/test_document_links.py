"""The links of documents sent to callers (``ccswitch.document_desk``): kept as the store's expiring records, so
with Redis a link issued before a restart, or by another controller, still opens; an expired one is refused and
forgotten. Uploads are removed once their links have expired."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from ccswitch.chat.messages import Attachment
from ccswitch.config.model import StoreConfig
from ccswitch.document_desk import DocumentLinks, Link, prune_uploads
from ccswitch.store.expiring import MemoryRecords, open_records

PDF = Attachment("a1", "offer.pdf", "application/pdf", 42)


def test_a_link_reads_back_until_it_expires_then_is_forgotten() -> None:
    records = MemoryRecords()
    links = DocumentLinks(records)
    links.put("token", Link(Path("/uploads/call/a1"), PDF, 1100.0), now=1000.0)
    assert links.get("token", 1099.0) == Link(Path("/uploads/call/a1"), PDF, 1100.0)
    assert links.get("token", 1100.0) is None
    assert records.get("token") is None  # forgotten, not only refused
    assert links.get("another", 1000.0) is None


def test_with_redis_a_link_outlives_the_controller_that_issued_it(redis_url: str) -> None:
    store = StoreConfig("redis", redis_url, f"test:{uuid.uuid4().hex}:")
    DocumentLinks(open_records(store, "document-link", "a link")).put(
        "token", Link(Path("/uploads/call/a1"), PDF, 1100.0), now=1000.0)
    restarted = DocumentLinks(open_records(store, "document-link", "a link"))
    assert restarted.get("token", 1050.0) == Link(Path("/uploads/call/a1"), PDF, 1100.0)
    restarted.delete("token")
    assert DocumentLinks(open_records(store, "document-link", "a link")).get("token", 1050.0) is None


def test_uploads_older_than_their_links_are_removed_with_their_emptied_folders(tmp_path: Path) -> None:
    def upload(call: str, name: str, written_at: float) -> Path:
        path = tmp_path / call / name
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(b"%PDF")
        os.utime(path, (written_at, written_at))
        return path

    old = [upload("call-1", "a1", 100.0), upload("call-1", "a1.json", 100.0)]
    mixed_old, mixed_new = upload("call-2", "b1", 100.0), upload("call-2", "b2", 500.0)
    assert prune_uploads(tmp_path, older_than=200.0) == 3
    assert not any(path.exists() for path in [*old, mixed_old])
    assert not (tmp_path / "call-1").exists()
    assert mixed_new.exists()
    assert prune_uploads(tmp_path / "never-written", older_than=200.0) == 0
