"""Files as they cross the bus: base64 text in RPC payloads (uploads in, downloads out)."""
from __future__ import annotations

import base64
import binascii

from shared.errors import ServiceError


def encode_file(content: bytes) -> str:
    return base64.b64encode(content).decode("ascii")


def decode_upload(content_b64: str | None) -> bytes:
    """The uploaded file's bytes; MALFORMED_REQUEST when the text is not base64."""
    try:
        return base64.b64decode(content_b64 or "", validate=True)
    except (binascii.Error, ValueError) as error:
        raise ServiceError("MALFORMED_REQUEST", "the file could not be decoded") from error


def download(filename: str, content_type: str, content: bytes) -> dict:
    """The answer a gateway turns into a file download (see services/gateway/http.py)."""
    return {"filename": filename, "content_type": content_type, "content_b64": encode_file(content)}


def downloaded(answer: dict) -> bytes:
    return base64.b64decode(answer["content_b64"])
