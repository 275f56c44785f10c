"""Leads CSV and do-not-call files: numbers normalised, duplicates skipped, every bad line named by number."""

from __future__ import annotations

from pathlib import Path

import pytest

from ccswitch.dialer import Lead, normalise_phone, on_list, parse_do_not_call, parse_leads, read_do_not_call, read_leads
from ccswitch.dialer.leads import LeadReader, check_leads_file, file_stamp, read_leads_header
from ccswitch.errors import DataFileError

BAD_PHONE = "(3-15 digits, optionally after '+'; spaces, dashes, dots and brackets are ignored)"


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("+7 (916) 123-45-67", "+79161234567"),
        ("8.916.123.45.67", "89161234567"),
        ("\u00a0+44 7700 900001\t", "+447700900001"),  # a no-break space, as spreadsheets export
        ("112", "112"),
        ("123456789012345", "123456789012345"),
    ],
)
def test_normalise_phone_keeps_digits_and_a_leading_plus(text: str, phone: str) -> None:
    assert normalise_phone(text) == phone


@pytest.mark.parametrize(
    "text", ["", "+", "12", "abc", "++79161234567", "7916+1234567", "1234567890123456", "7916/1234567", "٧٩١٦١٢٣"]
)
def test_normalise_phone_rejects_anything_else(text: str) -> None:
    with pytest.raises(ValueError, match="bad phone number"):
        normalise_phone(text)


def test_csv_gives_leads_with_their_custom_fields_in_order() -> None:
    text = (
        "\ufeffPhone, Name ,TimeZone,city,plan\n"
        "+7 (916) 123-45-67,Анна Петрова,Asia/Vladivostok,Владивосток,basic\n"
        "\n"
        "+7 495 765 43 21,,,Moscow\n"
    )

    result = parse_leads("promo", text)

    assert result.leads == (
        Lead("promo", "+79161234567", name="Анна Петрова", timezone="Asia/Vladivostok",
             extra=(("city", "Владивосток"), ("plan", "basic"))),
        Lead("promo", "+74957654321", extra=(("city", "Moscow"), ("plan", ""))),
    )
    assert result.duplicates == ()


def test_a_number_met_again_is_skipped_and_its_line_reported() -> None:
    text = "phone,name\n+79161234567,first\n8 916 000 00 00,other\n+7 916 123-45-67,again\n+79161234567,thrice\n"

    result = parse_leads("promo", text)

    assert [(lead.phone, lead.name) for lead in result.leads] == [("+79161234567", "first"), ("89160000000", "other")]
    assert result.duplicates == (4, 5)


def test_every_bad_row_is_reported_with_its_line_number() -> None:
    text = (
        "phone,name,timezone\n"
        "+79161234567,ok,Europe/Moscow\n"
        "abc,bad number,\n"
        ",no number,\n"
        '"+7 916\n000 00 00",a number over two lines,Europe/Moscow,one field too many\n'
        "+79160000001,bad zone,Europe/Mosow\n"
    )

    with pytest.raises(DataFileError) as caught:
        parse_leads("promo", text, "leads.csv")

    assert caught.value.problems == (
        (3, f"bad phone number 'abc' {BAD_PHONE}"),
        (4, "no phone number"),
        (5, "4 fields, but the header names 3 columns"),
        (7, "unknown time zone 'Europe/Mosow' (use an IANA name such as Europe/Moscow)"),
    )
    assert str(caught.value).splitlines()[0] == f"leads.csv: line 3: bad phone number 'abc' {BAD_PHONE}"
    assert caught.value.error_id == "data_file_invalid"


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        ("", [(1, "no header row: expected column names, one of them 'phone'")]),
        ("name,number\nAnna,+79161234567\n", [(1, "no 'phone' column (columns: name, number)")]),
        ("phone,name,Name\n", [(1, "column 'name' named twice")]),
        ("phone,,city\n", [(1, "column 2 has no name")]),
    ],
)
def test_header_problems(text: str, problems: list[tuple[int, str]]) -> None:
    with pytest.raises(DataFileError) as caught:
        parse_leads("promo", text)

    assert list(caught.value.problems) == problems


def test_a_wholly_wrong_file_lists_twenty_lines_and_counts_the_rest() -> None:
    text = "phone\n" + "x\n" * 25

    with pytest.raises(DataFileError) as caught:
        parse_leads("promo", text)

    assert [line for line, _ in caught.value.problems] == [*range(2, 22), 0]
    assert caught.value.problems[-1] == (0, "... and 5 more bad lines")


def test_do_not_call_list_skips_comments_and_drops_the_plus() -> None:
    text = "# opted out\n\n+7 (916) 123-45-67  # 2026-10-02\n  74957654321\n"

    numbers = parse_do_not_call(text)

    assert numbers == frozenset({"79161234567", "74957654321"})
    assert on_list(numbers, "+79161234567") and on_list(numbers, "74957654321") and on_list(numbers, "+74957654321")
    assert not on_list(numbers, "89161234567")  # a national form is another number


def test_do_not_call_bad_line_is_reported_with_its_number() -> None:
    with pytest.raises(DataFileError) as caught:
        parse_do_not_call("+79161234567\n# fine\nnot a number # oops\n", "dnc.txt")

    assert str(caught.value) == f"dnc.txt: line 3: bad phone number 'not a number' {BAD_PHONE}"


def test_files_are_read_as_utf8(tmp_path: Path) -> None:
    leads_file, dnc_file = tmp_path / "leads.csv", tmp_path / "dnc.txt"
    leads_file.write_text("phone,name\n+79161234567,Анна\n", encoding="utf-8")
    dnc_file.write_text("+79161234567\n", encoding="utf-8")

    assert read_leads("promo", leads_file).leads == (Lead("promo", "+79161234567", name="Анна"),)
    assert read_do_not_call(dnc_file) == frozenset({"79161234567"})


def test_unreadable_files(tmp_path: Path) -> None:
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("phone,name\n+79161234567,Jos\xe9\n".encode("latin-1"))

    with pytest.raises(DataFileError, match=r"latin1.csv: not UTF-8 text: invalid continuation byte at byte 27"):
        read_leads("promo", latin1)
    with pytest.raises(DataFileError, match=r"missing.txt: cannot read file: No such file or directory"):
        read_do_not_call(tmp_path / "missing.txt")


# -- streaming a file a batch at a time --------------------------------------------------------------------------


def test_a_reader_gives_a_files_leads_a_batch_at_a_time_as_read_leads_does(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text("phone,name\n" + "".join(f"+7916000{n:04},Lead {n}\n" for n in range(25)) + "+79160000003,again\n")

    with LeadReader("promo", path, skip_duplicates=True) as reader:
        batches = []
        while not reader.done:
            batches.append(reader.read(10))
            assert reader.rows == min(26, 10 * len(batches))

    assert [len(batch) for batch in batches] == [10, 10, 5]  # the last: 6 rows, one a duplicate
    assert tuple(lead for batch in batches for lead in batch) == read_leads("promo", path).leads
    assert reader.duplicates == 1 and len(reader.problems) == 0


def test_the_digest_is_of_the_bytes_and_the_stamp_of_size_and_time(tmp_path: Path) -> None:
    path, copy = tmp_path / "leads.csv", tmp_path / "copy.csv"
    path.write_text("phone\n+79161234567\n")
    copy.write_bytes(path.read_bytes())

    def digest(file: Path) -> str:
        with LeadReader("promo", file) as reader:
            reader.read(100)
            return reader.digest

    assert digest(path) == digest(copy)
    path.write_text("phone\n+79161234568\n")
    assert digest(path) != digest(copy)
    assert file_stamp(path).size == path.stat().st_size and file_stamp(path).mtime_ns == path.stat().st_mtime_ns


def test_crlf_and_cr_line_ends_and_a_bom_read_as_in_a_text_file(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_bytes("\ufeffphone,name\r\n+79161234567,Анна\r\n+79160000000,Bob\r+79160000001,\"Two\r\nlines\"\r\n".encode())

    with LeadReader("promo", path) as reader:
        leads = reader.read(10)

    assert leads == list(read_leads("promo", path).leads)
    assert [lead.name for lead in leads] == ["Анна", "Bob", "Two\nlines"]


def test_the_header_alone_is_read_and_checked(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_bytes(b"Phone,Name,city\n+79161234567,Jos\xe9,Leeds\nnot a number,,\n")

    assert read_leads_header(path) == ("phone", "name", "city")
    path.write_bytes(b"number,name\n+79161234567,Anna\n")
    with pytest.raises(DataFileError, match="line 1: no 'phone' column"):
        read_leads_header(path)
    with pytest.raises(DataFileError, match="cannot read file: No such file or directory"):
        read_leads_header(tmp_path / "missing.csv")


def test_a_check_streams_every_row_and_reports_as_read_leads(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text("phone\n" + "+79161234567\n" * 15_000 + "x\n" * 25)

    with pytest.raises(DataFileError) as caught:
        check_leads_file("promo", path)
    with pytest.raises(DataFileError) as whole:
        read_leads("promo", path)

    assert caught.value.problems == whole.value.problems
    assert caught.value.problems[0] == (15_002, f"bad phone number 'x' {BAD_PHONE}")
    assert caught.value.problems[-1] == (0, "... and 5 more bad lines")


def test_a_check_names_the_byte_that_is_not_utf8(tmp_path: Path) -> None:
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("phone,name\n+79161234567,Jos\xe9\n".encode("latin-1"))

    with pytest.raises(DataFileError, match=r"latin1.csv: not UTF-8 text: invalid continuation byte at byte 27"):
        check_leads_file("promo", latin1)
