"""Headless Chromium against the GridFS view: a hostile stored type never runs as HTML (issue 11, item 2)."""

from __future__ import annotations

import io

import pytest
from django.core.files.base import ContentFile

from tests.deploy.test_browser import browser  # noqa: F401  (the Chromium fixture)
from tests.hardening.figures import record

pytestmark = [pytest.mark.browser, pytest.mark.mongo]

PAYLOAD = b"<!doctype html><title>ran</title><p id=payload>x</p><script>document.title = 'ran';</script>"


def stored_by_another_writer(storage, name: str, data: bytes, content_type: str) -> None:
    """A file whose type another GridFS writer chose: exactly what an attacker would store."""
    import gridfs

    bucket = gridfs.GridFSBucket(storage._database(), bucket_name=storage.bucket)
    bucket.upload_from_stream(name, io.BytesIO(data), metadata={"contentType": content_type})


def page_state(driver) -> dict:
    return driver.execute_script(
        "return {title: document.title, payload: !!document.getElementById('payload'),"
        " type: document.contentType, text: document.body ? document.body.innerText : ''};"
    )


def test_a_hostile_stored_type_never_runs_as_html(media, live_server, browser):  # noqa: F811
    from PIL import Image

    stored_by_another_writer(media, "evil", PAYLOAD, "text/plain;,text/html")
    media.save("declared", ContentFile(PAYLOAD, name="declared"))  # what an upload declaring that type stores
    media.files.update_one({"filename": "declared"}, {"$set": {"metadata.contentType": "text/plain;,text/html"}})
    stored_by_another_writer(media, "notes.txt", PAYLOAD, "text/plain")
    picture = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 40, 40)).save(picture, "PNG")
    media.save("pic.png", ContentFile(picture.getvalue()))
    outcomes = {}

    # Plain text is shown as text: the markup is visible, nothing of it runs.
    browser.get(live_server.url + "/media/notes.txt")
    state = page_state(browser)
    assert state["type"] == "text/plain" and "<script>" in state["text"]
    assert state["title"] != "ran" and not state["payload"]
    outcomes["text/plain with markup"] = "shown as text"

    # A type with a second type smuggled after a comma is no type at all: a download, never a page.
    for name in ("evil", "declared"):
        browser.get(live_server.url + "/media/notes.txt")
        browser.get(live_server.url + "/media/" + name)
        state = page_state(browser)
        assert state["title"] != "ran" and not state["payload"], (name, state)
        assert browser.current_url.endswith("/media/notes.txt")  # the navigation became a download
        outcomes[f"{name}: text/plain;,text/html"] = "downloaded, not rendered"

    # The sandboxing policy every such response carries does not stop an image from showing.
    browser.get(live_server.url + "/media/pic.png")
    assert browser.execute_script("return document.images.length && document.images[0].naturalWidth") == 64
    outcomes["image under the sandbox policy"] = "shown"
    record("media_browser", chromium=outcomes)
