"""Static files storage: whitenoise's compressed manifest storage, with each URL made once.

`{% static %}` asks the storage for a URL on every page render (four times on a product
page): parsing the name, looking it up in the manifest and joining it to STATIC_URL,
every time to the same answer, which the manifest fixes for the life of the process.
Names not in the manifest still raise (manifest_strict) and are not remembered.
"""

from __future__ import annotations

from django.conf import settings
from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._urls: dict[tuple[str, bool], str] = {}

    def url(self, name, force=False):
        if force:
            return super().url(name, force)
        key = (name, settings.DEBUG)
        url = self._urls.get(key)
        if url is None:
            url = self._urls[key] = super().url(name)
        return url
