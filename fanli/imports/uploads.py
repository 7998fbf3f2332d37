"""Uploaded import files, kept between the preview and the import under ``VAR_DIR/uploads``.

A file is stored under the SHA-256 of its content and an extension we chose, never under a
name the client sent, so a path can never be steered elsewhere and the same file is kept once.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from django.conf import settings

from fanli.common.exceptions import NotFound, ValidationFailed

EXTENSIONS = ("csv", "xlsx")
_NAME = re.compile(r"^[0-9a-f]{64}\.(csv|xlsx)$")


def _directory() -> Path:
    folder = Path(settings.VAR_DIR) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def upload_store(*, content: bytes, filename: str) -> str:
    """Keep the file; answer its stored name. Refuses empty, too large or unsupported files."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    errors = []
    if extension not in EXTENSIONS:
        errors.append({"path": "file", "message": f"{filename}: only .csv and .xlsx files can be imported"})
    if not content:
        errors.append({"path": "file", "message": f"{filename} is empty"})
    limit = settings.FANLI_UPLOAD_MAX_BYTES
    if len(content) > limit:
        errors.append({"path": "file", "message": f"{filename} is larger than {limit // (1024 * 1024)} MB"})
    if errors:
        raise ValidationFailed(errors[0]["message"], details={"errors": errors})
    name = f"{hashlib.sha256(content).hexdigest()}.{extension}"
    path = _directory() / name
    if not path.exists():
        partial = path.with_suffix(".part")
        partial.write_bytes(content)
        partial.replace(path)
    return name


def upload_read(name: str) -> bytes:
    if not _NAME.match(name):
        raise NotFound("no such upload")
    path = _directory() / name
    if not path.is_file():
        raise NotFound("the uploaded file is no longer here; upload it again")
    return path.read_bytes()
