"""The PDF helper: same input, same bytes; dates only from the build time; one reader.

The files are read back with pikepdf (the helper's own library) for their
structure and with pypdf, a reader the helper does not use, for their text.
"""

from __future__ import annotations

import datetime as dt
import io

import pikepdf
import pytest
from pypdf import PdfReader

from safepassage.lib.pdf import (
    PRODUCER,
    Background,
    EncryptedPdf,
    Resources,
    UnreadablePdf,
    check_readable,
    first_page,
    html_to_pdf,
    local_only_fetcher,
    merge,
    on_backgrounds,
    page_count,
    page_size,
)

BUILT = dt.datetime(2026, 9, 1, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=9)))
PAGE_BREAKS = "<style>p { break-after: page }</style>"


def pages_pdf(*words: str, title: str = "Pages") -> bytes:
    paragraphs = "".join(f"<p>{word}</p>" for word in words)
    return html_to_pdf(f"<title>{title}</title>{PAGE_BREAKS}{paragraphs}")


def info(pdf: bytes) -> dict[str, str]:
    with pikepdf.open(io.BytesIO(pdf)) as document:
        return {str(key): str(value) for key, value in document.docinfo.items()}


def texts(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def test_html_gives_the_same_bytes_and_dates_only_from_the_build_time():
    html = (
        '<meta name="dcterms.created" content="2001-01-01T00:00:00Z">'
        "<title>Reading</title><p>Kim Chol-su</p>"
    )
    plain = html_to_pdf(html)
    assert html_to_pdf(html) == plain
    assert "/CreationDate" not in info(plain) and b"ModDate" not in plain

    built = html_to_pdf(html, built_at=BUILT)
    assert html_to_pdf(html, built_at=BUILT) == built != plain
    assert info(built)["/CreationDate"] == info(built)["/ModDate"] == "D:20260901003000Z"
    assert info(built)["/Title"] == "Reading"
    assert html_to_pdf(html.replace("Kim", "Ri")) != plain


def test_only_the_resources_handed_in_are_loaded():
    resources = Resources()
    url = resources.add_bytes("logo", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml")
    fetcher = local_only_fetcher(resources)
    html = f'<img src="{url}"><img src="file:///etc/hostname"><img src="data:image/png;base64,AA">'
    assert html_to_pdf(html, resources, fetcher=fetcher).startswith(b"%PDF-")
    assert fetcher.refused == ["file:///etc/hostname", "data:image/png;base64,AA"]


def test_merging_keeps_the_pages_and_writes_only_title_and_producer():
    first, second = pages_pdf("One", "Two", title="First"), pages_pdf("Three")
    merged, pages = merge([first, second], title="Packet", built_at=None)
    assert pages == page_count(merged) == 3
    assert merge([first, second], title="Packet") == (merged, 3)
    assert info(merged) == {"/Title": "Packet", "/Producer": PRODUCER}
    assert [text.strip() for text in texts(merged)] == ["One", "Two", "Three"]
    with pikepdf.open(io.BytesIO(merged)) as document:
        identifier = document.trailer.ID
        assert identifier[0] == identifier[1]
    dated, _pages = merge([first], title="Packet", built_at=BUILT)
    assert info(dated)["/CreationDate"] == "D:20260901003000Z"


def test_the_first_page_alone_keeps_the_title():
    cut = first_page(pages_pdf("One", "Two", title="Flyer"))
    assert page_count(cut) == 1 and texts(cut)[0].strip() == "One"
    assert info(cut) == {"/Title": "Flyer", "/Producer": PRODUCER}


def test_backgrounds_go_under_the_first_and_the_later_pages_the_same_way_every_time():
    letterhead = pages_pdf("FIRSTHEAD", "LATERHEAD")
    letter = html_to_pdf(f"{PAGE_BREAKS}<p>Page one</p><p>Page two</p><p>Page three</p>")
    assert page_size(letterhead) == pytest.approx(page_size(letter))
    laid = on_backgrounds(
        letter, Background(letterhead), Background(letterhead, page=1), title="Letter"
    )
    again = on_backgrounds(
        letter, Background(letterhead), Background(letterhead, page=1), title="Letter"
    )
    assert laid == again
    pages = texts(laid)
    assert "FIRSTHEAD" in pages[0] and "Page one" in pages[0] and "LATERHEAD" not in pages[0]
    assert all("LATERHEAD" in page and "FIRSTHEAD" not in page for page in pages[1:])
    alone = texts(on_backgrounds(letter, Background(letterhead), None, title="Letter"))
    assert "FIRSTHEAD" in alone[0] and all("HEAD" not in page for page in alone[1:])


def test_unreadable_and_encrypted_uploads_are_told_apart():
    good = pages_pdf("One", "Two")
    assert check_readable(good) == 2
    assert check_readable(good, max_pages=1) == 2
    for broken in (b"not a pdf", good[: len(good) // 3]):
        with pytest.raises(UnreadablePdf) as excinfo:
            check_readable(broken)
        assert not isinstance(excinfo.value, EncryptedPdf)
    with pikepdf.open(io.BytesIO(good)) as document:
        for user in ("", "secret"):
            out = io.BytesIO()
            document.save(out, encryption=pikepdf.Encryption(user=user, owner="owner"))
            with pytest.raises(EncryptedPdf):
                check_readable(out.getvalue())
