"""Static files that come inside installed Python packages (the chart library), found like our
own: served by every web process (WhiteNoise, in production as in development) and copied by
``collectstatic``, so the product works offline and never loads a script from a CDN."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage

# URL path under STATIC_URL -> (package, file inside the package)
PACKAGE_ASSETS = {"vendor/plotly.min.js": ("plotly", "package_data/plotly.min.js")}


def _source(package: str, inner: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / inner
    return path if path.is_file() else None


class PackageAssetFinder(BaseFinder):
    def find(self, path: str, find_all: bool = False, **kwargs: Any) -> Any:
        found = []
        if path in PACKAGE_ASSETS:
            source = _source(*PACKAGE_ASSETS[path])
            if source is not None:
                found.append(str(source))
        if find_all or kwargs.get("all"):
            return found
        return found[0] if found else []

    def list(self, ignore_patterns: Any) -> Iterator[tuple[str, FileSystemStorage]]:
        for path, (package, inner) in PACKAGE_ASSETS.items():
            source = _source(package, inner)
            if source is None:
                continue
            storage = FileSystemStorage(location=str(source.parent))
            storage.prefix = str(Path(path).parent)  # type: ignore[attr-defined]
            yield source.name, storage

    def check(self, **kwargs: Any) -> Any:
        return []
