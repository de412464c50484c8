from store.backends.base import Backend, LockTimeout, Subscription
from store.backends.keys import KeyBuilder
from store.backends.memory import MemoryBackend

__all__ = ["Backend", "KeyBuilder", "LockTimeout", "MemoryBackend", "Subscription", "build_backend"]


def build_backend(redis_url: str | None, *, prefix: str = "helpline") -> Backend:
    """Redis when a URL is set, otherwise the in-process backend."""
    if not redis_url:
        return MemoryBackend()
    from store.backends.redis import RedisBackend  # imported only when Redis is configured

    return RedisBackend.from_url(redis_url, prefix=prefix)
