"""The GridFS view and storage against hostile stored fields, headers and names (issue 11, items 2, 14,
15, 16 and 18). Stored documents are written straight into the bucket, as any other GridFS writer (or
a damaged database) could."""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from bson import ObjectId
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.http import http_date

from django_static_pipe.backends.gridfs_document import CorruptFileError
from tests.hardening.figures import record

pytestmark = pytest.mark.mongo

WHEN = datetime(2030, 5, 17, 12, 0, 0, 100_000, tzinfo=UTC)


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def put(storage, name: str, data: bytes, *, chunk_size: int = 4, chunks: list[bytes] | None = None, **fields):
    """A file document and its chunks written directly, with any field overridden (or removed with None)."""
    file_id = fields.pop("_id", ObjectId())
    pieces = chunks if chunks is not None else [data[i : i + chunk_size] for i in range(0, len(data), chunk_size)]
    if pieces:
        storage.chunks.insert_many([{"files_id": file_id, "n": n, "data": piece} for n, piece in enumerate(pieces)])
    document = {"_id": file_id, "filename": name, "length": len(data), "chunkSize": chunk_size, "uploadDate": WHEN,
                "metadata": {"contentType": "text/plain", "sha256": hashlib.sha256(data).hexdigest()}}  # fmt: skip
    for key, value in fields.items():
        if value is None:
            document.pop(key, None)
        else:
            document[key] = value
    storage.files.insert_one(document)
    return file_id


# -- item 2: the stored Content-Type is never sent as it is --------------------------------------------


@pytest.mark.parametrize(
    ("stored", "content_type", "inline"),
    [
        ("text/plain;,text/html", "application/octet-stream", False),
        ("text/plain, text/html", "application/octet-stream", False),
        ("text/plain\r\nX-Injected: 1", "application/octet-stream", False),
        ('text/plain; x="a,text/html"', "text/plain", True),
        ("TEXT/Plain; Charset=UTF-8", "text/plain; charset=utf-8", True),
        ("text/plain; charset=utf-7", "text/plain", True),
        ("text/csv; charset=windows-1252; header=present", "text/csv; charset=windows-1252", True),
        ("image/png; charset=utf-8", "image/png", True),
        ("image/svg+xml", "image/svg+xml", False),
        ("text/html; charset=utf-8", "text/html", False),
        ("application/x-shockwave-flash", "application/octet-stream", False),
        (12345, "application/octet-stream", False),
        ("", "application/octet-stream", False),
        ("text/plain" + " " * 300, "application/octet-stream", False),
    ],
)
def test_a_stored_type_is_parsed_before_it_is_served(media, client, stored, content_type, inline):
    put(media, "file", b"<script>document.title='ran'</script>", metadata={"contentType": stored})
    response = client.get("/media/file")
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    if inline:
        assert "Content-Disposition" not in response
    else:
        assert response["Content-Disposition"] == 'attachment; filename="file"'


def test_a_pdf_is_inline_without_a_sandbox_chromium_would_refuse(media, client):
    put(media, "paper.pdf", b"%PDF-1.4", metadata={"contentType": "application/pdf"})
    response = client.get("/media/paper.pdf")
    assert response["Content-Type"] == "application/pdf" and "Content-Disposition" not in response
    assert "Content-Security-Policy" not in response


@pytest.mark.parametrize(
    ("declared", "stored"),
    [
        ("text/plain;,text/html", "application/octet-stream"),
        ("Text/Plain; charset=UTF-8; x=y", "text/plain; charset=utf-8"),
        ("image/png\n", "application/octet-stream"),
        ("image/png\nX: y", "application/octet-stream"),
    ],
)
def test_save_stores_only_a_normalised_type(storage, declared, stored):
    name = storage.save("noextension", SimpleUploadedFile("noextension", b"x", content_type=declared))
    assert storage.file_document(name)["metadata"]["contentType"] == stored


# -- item 14: Range headers with non-ASCII digits and overlong numbers --------------------------------


@pytest.mark.parametrize(
    ("header", "status", "content_range"),
    [
        ("bytes=١-٣", 200, None),  # Arabic-Indic digits: not a range
        ("bytes=０-１", 200, None),  # fullwidth digits
        ("bytes=\u20030-1", 200, None),  # an em space is not whitespace in HTTP
        ("ｂytes=0-1", 200, None),
        ("bytes=0-" + "9" * 5000, 416, "bytes */10"),  # more digits than int() will convert
        ("bytes=" + "9" * 5000 + "-", 416, "bytes */10"),
        ("bytes=-" + "9" * 5000, 416, "bytes */10"),
        ("bytes=0-99999999999999999999", 416, "bytes */10"),  # 20 digits: longer than any file size
        ("bytes=" + "0" * 5000 + "1-2", 206, "bytes 1-2/10"),  # leading zeros are only zeros
        ("bytes=\t1-2 ", 206, "bytes 1-2/10"),
    ],
)
def test_range_numbers_are_ascii_and_bounded(media, client, header, status, content_range):
    media.save("ten.txt", ContentFile(b"0123456789"))
    response = client.get("/media/ten.txt", headers={"Range": header})
    assert response.status_code == status
    assert response.get("Content-Range") == content_range
    if status == 200:
        assert body(response) == b"0123456789"


# -- item 15: corrupt documents and chunks -------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "why"),
    [
        ({"length": -5}, "impossible length -5"),
        ({"length": "10"}, "no valid 'length'"),
        ({"length": 2.5}, "fractional 'length'"),
        ({"length": True}, "no valid 'length'"),
        ({"chunkSize": 0}, "impossible chunkSize 0"),
        ({"chunkSize": None}, "no valid 'chunkSize'"),
        ({"uploadDate": None}, "no valid uploadDate"),
        ({"uploadDate": "yesterday"}, "no valid uploadDate"),
    ],
)
def test_a_corrupt_document_is_a_logged_404_not_a_500(media, client, caplog, fields, why):
    put(media, "bad.txt", b"0123456789", **fields)
    with caplog.at_level(logging.ERROR, logger="django_static_pipe"):
        response = client.get("/media/bad.txt")
        head = client.head("/media/bad.txt")
    assert (response.status_code, head.status_code) == (404, 404)
    assert response["Cache-Control"] == "no-store"
    assert why in caplog.text
    with pytest.raises(CorruptFileError, match=why):
        media.open("bad.txt")


@pytest.mark.parametrize(
    ("chunks", "why"),
    [
        ([b"012345", b"6789"], "chunk 0 holds 6 bytes where the document's length and chunkSize say 4"),
        ([b"012", b"3456", b"789"], "chunk 0 holds 3 bytes"),
        ([], "ends 10 bytes before its recorded length"),
        (["0123", "4567", "89"], "without binary data"),
    ],
)
def test_chunks_that_do_not_fit_the_document_are_a_503_before_the_first_byte(media, client, caplog, chunks, why):
    put(media, "bad.txt", b"0123456789", chunks=chunks)
    with caplog.at_level(logging.ERROR, logger="django_static_pipe"):
        response = client.get("/media/bad.txt")
    assert response.status_code == 503
    assert (response["Cache-Control"], response["Retry-After"]) == ("no-store", "5")
    assert why in caplog.text


def test_damage_found_part_way_cuts_the_body_off(media, client, caplog):
    """A chunk of the wrong size after the first cursor batch: the 200 is already sent, so the body stops
    short of its Content-Length (the server drops the connection; no client or cache keeps it whole)."""
    data = bytes(range(40))
    chunks = [data[i : i + 4] for i in range(0, 40, 4)]
    chunks[6] = b"XXXXXX"  # six bytes where four belong
    put(media, "late.bin", data, chunks=chunks)
    response = client.get("/media/late.bin")
    assert response.status_code == 200 and response["Content-Length"] == "40"
    received = b""
    with caplog.at_level(logging.ERROR, logger="django_static_pipe"), pytest.raises(CorruptFileError):
        for piece in response.streaming_content:
            received += piece
    assert received == data[:24]  # every byte sent was right
    assert "stopped serving a corrupt GridFS file part-way" in caplog.text


def test_a_body_that_does_not_match_its_digest_never_completes(media, client):
    data = b"0123456789"
    put(media, "swapped.txt", data, chunks=[b"0123", b"4567", b"98"])  # right sizes, wrong bytes
    response = client.get("/media/swapped.txt")
    received = b""
    with pytest.raises(CorruptFileError, match="does not match its stored sha256"):
        for piece in response.streaming_content:
            received += piece
    assert received == b"01234567"  # the last piece, where the digest is known, was held back
    ranged = client.get("/media/swapped.txt", headers={"Range": "bytes=0-3"})
    assert (ranged.status_code, body(ranged)) == (206, b"0123")  # a range cannot be checked; it is right here


def test_odd_but_harmless_fields_are_served_safely(media, client):
    put(media, "a.txt", b"abc", metadata="not a dict")
    put(media, "b.txt", b"abc", metadata={"sha256": 'x"\r\nSet-Cookie: a=b'})
    string_id = put(media, "c.txt", b"abc", _id='id"with quotes', metadata={})
    put(media, "d.txt", b"abc", length=3.0, chunkSize=4.0)  # a whole double, as JavaScript drivers write
    put(media, "empty.txt", b"", chunkSize=None)
    for name in ("a.txt", "b.txt", "c.txt", "d.txt", "empty.txt"):
        response = client.get("/media/" + name)
        assert response.status_code == 200, name
        assert body(response) == (b"" if name == "empty.txt" else b"abc")
        assert response["ETag"].startswith('"') and "\r" not in response["ETag"]
    assert client.get("/media/c.txt")["ETag"].startswith('"id-') and string_id


# -- item 16: a date is a weak validator ---------------------------------------------------------------


def test_if_range_with_a_date_never_gets_a_range_of_other_bytes(media, client):
    put(media, "same-second.txt", b"old bytes!", metadata={}, uploadDate=WHEN)
    first = client.get("/media/same-second.txt")
    last_modified, old_etag = first["Last-Modified"], first["ETag"]
    put(media, "same-second.txt", b"NEW BYTES!", metadata={}, uploadDate=WHEN + timedelta(milliseconds=800))
    fresh = client.get("/media/same-second.txt")
    assert fresh["Last-Modified"] == last_modified == http_date(WHEN.timestamp())  # one second, two files
    assert fresh["ETag"] != old_etag
    by_date = client.get("/media/same-second.txt", headers={"Range": "bytes=0-2", "If-Range": last_modified})
    assert (by_date.status_code, body(by_date)) == (200, b"NEW BYTES!")
    by_old_tag = client.get("/media/same-second.txt", headers={"Range": "bytes=0-2", "If-Range": old_etag})
    assert (by_old_tag.status_code, body(by_old_tag)) == (200, b"NEW BYTES!")
    by_tag = client.get("/media/same-second.txt", headers={"Range": "bytes=0-2", "If-Range": fresh["ETag"]})
    assert (by_tag.status_code, body(by_tag)) == (206, b"NEW")


# -- item 18: the storage accepts exactly the names its view serves ------------------------------------

CANDIDATE_NAMES = [
    "plain.txt", "dir/sub/deep.txt", "sp ace.txt", "ü-ñ.txt", "emoji-😀.txt", "pct%41.txt", "q?.txt", "h#.txt",
    "semi;colon.txt", 'quote".txt', "amp&.txt", "plus+.txt", "zw\u200dj.txt", "a" * 250 + ".txt",
    "new\nline.txt", "carriage\rreturn.txt", "tab\t.txt", "del\x7f.txt", "nul\x00.txt", "esc\x1b.txt",
    "c1\x85.txt", "line\u2028sep.txt", "para\u2029sep.txt", "rlo\u202egnp.exe", "isolate\u2066.txt",
    "surrogate\ud800.txt", "é" * 501 + ".txt",
]  # fmt: skip


def test_every_name_the_storage_accepts_is_served_and_every_other_is_refused_by_both(media, client):
    saved, refused = [], []
    for name in CANDIDATE_NAMES:
        try:
            stored = media.save(name, ContentFile(name.encode("utf-8", "surrogatepass")))
        except SuspiciousFileOperation:
            refused.append(name)
            assert client.get("/media/" + quote(name, errors="surrogatepass")).status_code == 404
            continue
        saved.append(stored)
        assert stored == name
        response = client.get(media.url(stored))
        assert response.status_code == 200, name
        assert body(response) == name.encode()
    assert media.files.count_documents({}) == len(saved)
    assert len(refused) == 13 and all(not name.isprintable() or len(name) > 500 or "\u202e" in name or "\u2066" in name
                                      for name in refused)  # fmt: skip
    record("media_names", candidates=len(CANDIDATE_NAMES), stored_and_served=len(saved), refused_by_both=len(refused))


def test_save_without_a_name_raises_as_django_does(storage):
    with pytest.raises(TypeError, match="needs a file name"):
        storage.save(None, ContentFile(b"x"))
    assert storage.files.count_documents({}) == 0
    assert storage.save(None, ContentFile(b"x", name="given.txt")) == "given.txt"


@pytest.mark.parametrize("path", ["/media/dir//x.txt", "/media/dir/./x.txt", "/media/dir\\x.txt", "/media/./dir/x.txt"])
def test_a_second_spelling_of_a_name_is_404(media, client, path):
    media.save("dir/x.txt", ContentFile(b"x"))
    assert client.get("/media/dir/x.txt").status_code == 200
    assert client.get(path).status_code == 404
