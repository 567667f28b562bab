"""Files: drafts people send, downloaded (and decrypted); exports the bot sends, uploaded
(encrypted for an encrypted room) and posted as m.file.

    m.file, in a DM ──> download (decrypt) ──> bytes, for `Inbound.attachment`
    Attachment ──> upload (encrypt) ──> m.file content
"""

from __future__ import annotations

import io
import logging
import os
from typing import Any

from adapters.matrix.client import decrypt_attachment, nio, reason
from adapters.matrix.translate import chat_ref
from bot.events import Attachment, DeliveryError

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 20 * 1024 * 1024  # drafts people send; bigger files are refused


def file_info(event: nio.Event) -> tuple[str, int | None, str]:
    """Name, announced size and media type of an m.file event."""
    content: dict[str, Any] = event.source.get("content") or {}
    info: dict[str, Any] = content["info"] if isinstance(content.get("info"), dict) else {}
    filename = content.get("filename") or content.get("body") or "document"
    size = info.get("size")
    media_type = info.get("mimetype") or "application/octet-stream"
    return (
        os.path.basename(str(filename)) or "document",
        size if isinstance(size, int) else None,
        str(media_type),
    )


async def download(client: nio.AsyncClient, event: nio.Event) -> bytes | None:
    """The file of an m.file event, decrypted if it was; None (logged) if that failed."""
    response = await client.download(mxc=event.url)
    if not isinstance(response, nio.MemoryDownloadResponse):
        log.warning("matrix: a file could not be downloaded (%s)", reason(response))
        return None
    data: bytes = response.body
    if isinstance(event, nio.RoomEncryptedFile):
        try:
            data = decrypt_attachment(data, event.key["k"], event.hashes["sha256"], event.iv)
        except (nio.EncryptionError, KeyError, ValueError) as error:
            log.warning("matrix: a file could not be decrypted (%s)", type(error).__name__)
            return None
    return data


async def upload(client: nio.AsyncClient, room_id: str, attachment: Attachment) -> dict[str, Any]:
    """`attachment` in the media repository (encrypted for an encrypted room), as the
    content of the m.file message that shows it."""
    encrypted = client.rooms[room_id].encrypted
    uploaded, keys = await client.upload(
        io.BytesIO(attachment.data),
        content_type=attachment.media_type,
        filename=attachment.filename,
        encrypt=encrypted,
        filesize=len(attachment.data),
    )
    if not isinstance(uploaded, nio.UploadResponse):
        raise DeliveryError(chat_ref(room_id), f"upload failed: {reason(uploaded)}")
    content: dict[str, Any] = {
        "msgtype": "m.file",
        "body": attachment.filename,
        "filename": attachment.filename,
        "info": {"mimetype": attachment.media_type, "size": len(attachment.data)},
    }
    if encrypted and keys:
        content["file"] = {"url": uploaded.content_uri, "mimetype": attachment.media_type, **keys}
    else:
        content["url"] = uploaded.content_uri
    return content
