"""The shell tests render against the project's real URLs (they began with stand-ins, before the
apps existed)."""

from zhujian.urls import urlpatterns

__all__ = ["urlpatterns"]
