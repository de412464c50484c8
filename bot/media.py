"""Attachments for the console, fetched from the channel the child used (`container.media`)."""

from __future__ import annotations


class ChannelMedia:
    def __init__(self) -> None:
        self._fetchers: dict[str, object] = {}

    def register(self, channel: str, fetcher) -> None:
        self._fetchers[channel] = fetcher

    async def fetch(self, channel: str, reference: str) -> tuple[bytes, str]:
        """(bytes, content type); LookupError when the channel cannot give the file."""
        fetcher = self._fetchers.get(channel)
        if fetcher is None:
            raise LookupError(f"no attachments on channel {channel}")
        return await fetcher.fetch(reference)
