"""Word drafts read in a child process, with a time and a memory limit.

A .docx is a zip of XML that python-docx and lxml build into trees: a file under every
size limit can still take minutes and gigabytes. So the dispatcher reads one before its
event reaches the writer (`Dispatcher.handle`): in a child process started fresh
(`spawn`: nothing of the parent's state, threads or connections), whose address space
is limited with `setrlimit` and which is killed when its time is up. Everybody else's
replies go on meanwhile; the facilitator is told the file could not be read, and why.

    parse_isolated(filename, data) -> Document, or raises the ConsultationError the
    reader raised (rebuilt from its class and values), or UnreadableDraftFile for time
    or memory.
"""

from __future__ import annotations

import multiprocessing
import resource
from multiprocessing.connection import Connection
from typing import Any

from consultations.document import Document
from consultations.drafts import parse_draft_file
from consultations.errors import ConsultationError, UnreadableDraftFile

PARSE_SECONDS = 30.0  # a long real draft reads in well under a second
# Bytes of address space the reading may take beyond what the child holds once its
# libraries are loaded: the tree of a long real draft takes some tens of megabytes.
PARSE_MEMORY = 512 << 20
TOO_SLOW = "reading it took more than {seconds} seconds"
TOO_LARGE = "reading it needed more memory than a draft may"


def parse_isolated(
    filename: str, data: bytes, *, seconds: float = PARSE_SECONDS, memory: int = PARSE_MEMORY
) -> Document:
    """The draft in `data`, read in a child process within `seconds` and `memory`."""
    context = multiprocessing.get_context("spawn")
    receiving, sending = context.Pipe(duplex=False)
    child = context.Process(
        target=_read, args=(sending, filename, data, memory), name="draft-reader", daemon=True
    )
    child.start()
    sending.close()  # the child holds the other end: its death ends the pipe
    try:
        if not receiving.poll(seconds):
            raise UnreadableDraftFile(
                filename=filename, reason=TOO_SLOW.format(seconds=int(seconds))
            )
        outcome, payload = receiving.recv()
    except EOFError:  # killed by its memory limit before it could answer
        raise UnreadableDraftFile(filename=filename, reason=TOO_LARGE) from None
    finally:
        receiving.close()
        if child.is_alive():
            child.kill()
        child.join()
    if outcome == "read":
        assert isinstance(payload, Document)
        return payload
    kind, values = payload
    raise kind(**values)


def _out_of_memory(error: BaseException) -> bool:
    cause = error.__cause__
    while cause is not None:
        said = str(cause).lower()
        if isinstance(cause, MemoryError) or "memory" in said or "error -4" in said:  # zlib
            return True
        cause = cause.__cause__ or cause.__context__
    return False


def _read(connection: Connection, filename: str, data: bytes, memory: int) -> None:
    """In the child: load the readers, limit the address space to what it holds now and
    `memory` more, read, send back the document or the error."""
    import docx  # noqa: F401  (python-docx and lxml: loaded before the limit, not counted)

    with open("/proc/self/statm") as statm:  # Linux: the pages of address space held
        held = int(statm.read().split()[0]) * resource.getpagesize()
    resource.setrlimit(resource.RLIMIT_AS, (held + memory, held + memory))
    outcome: tuple[str, Any]
    too_large = ("refused", (UnreadableDraftFile, {"filename": filename, "reason": TOO_LARGE}))
    try:
        outcome = ("read", parse_draft_file(filename, data))
    except MemoryError:
        outcome = too_large
    except ConsultationError as error:
        # lxml reports running out of memory as a damaged file: say what it was
        outcome = too_large if _out_of_memory(error) else ("refused", (type(error), error.values))
    try:
        connection.send(outcome)
    finally:
        connection.close()
