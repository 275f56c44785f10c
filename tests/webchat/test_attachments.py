"""The attachment store: what it takes, how it names and keeps files, and to whom it gives them back."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ccswitch.chat.messages import Attachment
from ccswitch.errors import StoreError
from ccswitch.webchat.attachments import (
    MAX_NAME,
    AttachmentRefused,
    AttachmentStore,
    clean_name,
    is_safe_id,
    sniff,
)

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
FILES = {
    "image/png": PNG,
    "image/jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 50,
    "image/gif": b"GIF89a" + b"\x01\x00" * 20,
    "image/webp": b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 30,
    "application/pdf": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n",
}


@pytest.fixture
def store(tmp_path: Path) -> AttachmentStore:
    return AttachmentStore(tmp_path / "chat-files", max_bytes=1000)


@pytest.mark.parametrize("media_type", sorted(FILES))
def test_each_allowed_type_is_known_by_its_bytes_whatever_its_name(store: AttachmentStore, media_type: str) -> None:
    saved = store.save("c1", "named-wrongly.txt", FILES[media_type])
    assert saved.media_type == media_type
    opened = store.open("c1", saved.id)
    assert opened is not None
    attachment, path = opened
    assert attachment == saved == Attachment(saved.id, "named-wrongly.txt", media_type, len(FILES[media_type]))
    assert path.read_bytes() == FILES[media_type]


@pytest.mark.parametrize(("data", "said"), [
    (b"<html><script>alert(1)</script></html>", "none of the types that may be sent (GIF, JPEG, PDF, PNG, WebP)"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "none of the types"),
    (b"MZ\x90\x00\x03\x00\x00\x00", "none of the types"),
    (b"RIFF\x24\x00\x00\x00WAVEfmt ", "none of the types"),  # RIFF, but a sound, not WebP
    (b"\x89PNG", "none of the types"),  # the start of a PNG signature only
])
def test_a_file_of_another_type_is_refused_whatever_its_name(store: AttachmentStore, data: bytes,
                                                             said: str) -> None:
    with pytest.raises(AttachmentRefused, match=re.escape(said)) as refused:
        store.save("c1", "photo.png", data)
    assert refused.value.kind == "type_not_allowed"


def test_a_type_left_out_of_allowed_is_refused_naming_what_it_is(tmp_path: Path) -> None:
    images_only = AttachmentStore(tmp_path, allowed=frozenset({"image/png", "image/jpeg"}))
    with pytest.raises(AttachmentRefused, match=r"the file is a PDF; only JPEG, PNG may be sent"):
        images_only.save("c1", "contract.pdf", FILES["application/pdf"])
    with pytest.raises(ValueError, match="image/svg"):
        AttachmentStore(tmp_path, allowed=frozenset({"image/png", "image/svg+xml"}))


def test_size_limit_and_empty_files(store: AttachmentStore, tmp_path: Path) -> None:
    assert store.save("c1", "exact.png", PNG + b"\x00" * (1000 - len(PNG))).size == 1000
    with pytest.raises(AttachmentRefused, match=r"the file is 1001 bytes; at most 1000 bytes may be sent") as big:
        store.save("c1", "big.png", PNG + b"\x00" * (1001 - len(PNG)))
    assert big.value.kind == "too_large"
    with pytest.raises(AttachmentRefused, match=r"at most 10\.0 MB may be sent"):
        AttachmentStore(tmp_path).save("c1", "huge.png", PNG + bytes(10 * 2**20))
    with pytest.raises(AttachmentRefused, match="empty") as empty:
        store.save("c1", "nothing.png", b"")
    assert empty.value.kind == "empty"


def test_a_file_is_given_back_only_to_its_own_conversation(store: AttachmentStore) -> None:
    saved = store.save("c1", "a.png", PNG)
    assert store.open("c1", saved.id) is not None
    assert store.open("c2", saved.id) is None
    assert store.open("c1", "x" * 22) is None


@pytest.mark.parametrize(("conversation", "attachment_id"), [
    ("c1", "../c2/{id}"), ("..", "c2/{id}"), ("c1/../c2", "{id}"), ("c2", "{id}.json"), ("c2", "./{id}"),
    ("", "{id}"), ("c2", ""), ("c2\n", "{id}"), ("c2", "/{id}"),
])
def test_ids_that_would_leave_the_conversation_folder_are_refused(store: AttachmentStore, conversation: str,
                                                                   attachment_id: str) -> None:
    other = store.save("c2", "secret.png", PNG)
    assert store.open(conversation, attachment_id.format(id=other.id)) is None


@pytest.mark.parametrize("conversation", ["..", "../c2", "c1/x", "/tmp", "", "c1\n", "c1.x", "c" * 129])
def test_a_file_for_a_conversation_id_that_is_not_one_is_refused(store: AttachmentStore, conversation: str) -> None:
    with pytest.raises(ValueError, match="not a conversation id"):
        store.save(conversation, "x.png", PNG)
    assert not store.folder.exists()


def test_files_stay_inside_the_folder_under_their_conversation_and_no_temporary_file_is_left(
        store: AttachmentStore, tmp_path: Path) -> None:
    saved = [store.save("c1", "../../../etc/passwd.png", PNG), store.save("c2", "b.png", PNG)]
    kept = sorted(path.relative_to(tmp_path).as_posix() for path in tmp_path.rglob("*") if path.is_file())
    assert kept == sorted([f"chat-files/c1/{saved[0].id}", f"chat-files/c1/{saved[0].id}.json",
                           f"chat-files/c2/{saved[1].id}", f"chat-files/c2/{saved[1].id}.json"])
    assert saved[0].name == "passwd.png"


def test_a_file_whose_description_was_never_written_is_not_served(store: AttachmentStore) -> None:
    """A crash between the bytes and the description leaves a file that is not there."""
    saved = store.save("c1", "a.png", PNG)
    (store.folder / "c1" / f"{saved.id}.json").unlink()
    assert store.open("c1", saved.id) is None


def test_ids_are_random_and_url_safe(store: AttachmentStore) -> None:
    ids = {store.save("c1", "a.png", PNG).id for _ in range(20)}
    assert len(ids) == 20
    assert all(len(id_) >= 22 and is_safe_id(id_) for id_ in ids)


def test_a_disk_that_cannot_be_written_is_a_store_error(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("a file where the folder should be")
    with pytest.raises(StoreError, match="cannot keep a file of conversation c1"):
        AttachmentStore(tmp_path / "taken").save("c1", "a.png", PNG)


@pytest.mark.parametrize(("given", "shown"), [
    ("photo.png", "photo.png"),
    ("C:\\Users\\ivan\\Desktop\\photo.png", "photo.png"),
    ("/etc/passwd", "passwd"),
    ("..", "attachment"),
    ("", "attachment"),
    ("   ", "attachment"),
    ("receipt\r\n\tMarch\x00.pdf", "receipt March.pdf"),
    ("invoice\u202egnp.exe", "invoicegnp.exe"),  # a right-to-left override would show it as "invoiceexe.png"
    ("Счёт «март».pdf", "Счёт «март».pdf"),
    ("a" * 200 + ".pdf", "a" * (MAX_NAME - 4) + ".pdf"),
    ("a" * 200, "a" * MAX_NAME),
    ("a" * 200 + ".not-really-a-suffix", ("a" * 200 + ".not-really-a-suffix")[:MAX_NAME]),
])
def test_names_are_cleaned_for_showing(given: str, shown: str) -> None:
    assert clean_name(given) == shown


def test_sniff_knows_only_the_five_types() -> None:
    assert {sniff(data) for data in FILES.values()} == set(FILES)
    assert sniff(b"") is None
    assert sniff(b"PK\x03\x04") is None
