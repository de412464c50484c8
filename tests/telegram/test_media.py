"""A child's photo reaches the counsellor: kept as a reference, fetched from Telegram on demand."""

from __future__ import annotations

import pytest

from bot.channels.telegram.media import media_type
from tests.telegram.driver import Child


async def test_a_photo_is_fetched_from_telegram_for_the_console(service_factory, stack):
    service = await service_factory(stack)
    service.fake.files["AgACphoto1"] = ("photos/file_7.jpg", b"\xff\xd8jpeg-bytes")
    child = Child(service)
    await child.deliver(
        child.message(
            photo=[{"file_id": "AgACphoto1", "file_unique_id": "p1", "width": 90, "height": 90}]
        )
    )
    content, kind = await service.container.media.fetch("telegram", "AgACphoto1")
    assert (content, kind) == (b"\xff\xd8jpeg-bytes", "image/jpeg")


async def test_a_file_telegram_no_longer_has_is_a_lookup_error(service_factory, stack):
    service = await service_factory(stack)
    with pytest.raises(LookupError):
        await service.container.media.fetch("telegram", "gone")
    with pytest.raises(LookupError):
        await service.container.media.fetch("webchat", "anything")


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("voice/file_1.oga", "audio/ogg"),
        ("photos/a.jpg", "image/jpeg"),
        ("x", "application/octet-stream"),
    ],
)
def test_media_types(path, expected):
    assert media_type(path) == expected
