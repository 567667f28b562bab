"""Matrix events and ours: sync events in as `Inbound` events, our texts out as room
message contents. Pure functions over nio's objects, no calls to the homeserver.

    m.text / m.emote ────────> Inbound(text, reply_to=the event replied to)
    m.reaction (annotation) ─> Inbound(reaction, reply_to=the annotated event)
    m.notice, edits, own ────> nothing
    Outbound text ──> m.text (plain body + escaped HTML), parts under EVENT_BYTES
                 │    (styled: <del>deleted</del>, <ins><b>inserted</b></ins> in the
                 │     HTML; the body writes the changes out: [old → new])
                 └──> m.replace (edit_of)
"""

from __future__ import annotations

import html
from dataclasses import replace
from typing import Any

from adapters import kit
from adapters.matrix.client import nio
from bot.events import ChatId, Inbound, Mark, MessageId, Outbound, PlatformId, Styled

PLATFORM = "matrix"
HTML_FORMAT = "org.matrix.custom.html"
EVENT_BYTES = 24_000  # text per event: body and HTML stay well below the 64 KiB event limit
MARKS_BYTES = 64  # at most what one change's marks add: tags in the HTML, brackets in the body


# ---- platform thing in, our thing out ---------------------------------------------------


def chat_ref(room_id: str) -> ChatId:
    return ChatId(f"{PLATFORM}:{room_id}")


def person_ref(user_id: str) -> PlatformId:
    return PlatformId(f"{PLATFORM}:{user_id}")


def relation(event: nio.Event) -> dict[str, Any]:
    content = event.source.get("content")
    related = content.get("m.relates_to") if isinstance(content, dict) else None
    return related if isinstance(related, dict) else {}


def is_edit(event: nio.Event) -> bool:
    """An m.replace edit: the original was handled already; a changed text is not new input."""
    return relation(event).get("rel_type") == "m.replace"


def replied_to(event: nio.Event) -> MessageId | None:
    """The event a reply answers (not a thread's fallback to its latest message)."""
    related = relation(event)
    if related.get("rel_type") == "m.thread" and related.get("is_falling_back"):
        return None
    reply = related.get("m.in_reply_to")
    event_id = reply.get("event_id") if isinstance(reply, dict) else None
    return MessageId(event_id) if isinstance(event_id, str) else None


def strip_reply_fallback(body: str) -> str:
    """A reply's body may start by quoting what it answers: '> <@bot:x> …' lines, a blank line."""
    lines = body.split("\n")
    quoted = 0
    while quoted < len(lines) and lines[quoted].startswith(">"):
        quoted += 1
    if quoted == 0:
        return body
    rest = lines[quoted:]
    if rest and not rest[0].strip():
        rest = rest[1:]
    return "\n".join(rest)


def joined_members(room: nio.MatrixRoom) -> set[str]:
    return {user_id for user_id, user in room.users.items() if not user.invited}


def is_private(room: nio.MatrixRoom) -> bool:
    """A one-to-one chat: the bot and one person joined, nobody else invited."""
    members = joined_members(room)
    return len(members) == 2 and room.own_user_id in members and not room.invited_users


def arrival(event: nio.Event, user_id: str) -> bool:
    """`user_id` invited into the room, or joining it (not a profile change of a member)."""
    return (
        isinstance(event, nio.RoomMemberEvent)
        and event.state_key == user_id
        and (
            event.membership == "invite"
            or (event.membership == "join" and event.prev_membership not in ("join", "invite"))
        )
    )


def since_arrival(events: list[nio.Event], user_id: str) -> list[nio.Event]:
    """The events after the bot was invited (or joined): a newly joined room's timeline
    also shows older history, which was not addressed to the bot."""
    for index in range(len(events) - 1, -1, -1):
        if arrival(events[index], user_id):
            return events[index + 1 :]
    return events


def display_name(room: nio.MatrixRoom, user_id: str) -> str | None:
    user = room.users.get(user_id)
    return user.display_name if user is not None and user.display_name else None


def message_event(room: nio.MatrixRoom, event: nio.Event, *, own_user: str) -> Inbound | None:
    """A person's text message or reaction as an event; None when it is not for the bot.

    Files are translated by the adapter (they need a download); this covers the rest.
    """
    if event.sender == own_user:
        return None
    base = Inbound(
        sender=person_ref(event.sender),
        chat=chat_ref(room.room_id),
        message_id=MessageId(event.event_id),
        private=is_private(room),
        display_name=display_name(room, event.sender),
    )
    if isinstance(event, nio.ReactionEvent):
        related = relation(event)
        if related.get("rel_type") != "m.annotation":
            return None
        return replace(base, reaction=event.key, reply_to=MessageId(event.reacts_to))
    if isinstance(event, (nio.RoomMessageText, nio.RoomMessageEmote)) and not is_edit(event):
        reply = replied_to(event)
        text = strip_reply_fallback(event.body) if reply else event.body
        if not text.strip():
            return None
        return replace(base, text=text.strip(), reply_to=reply)
    return None  # notices (bots), edits, stickers, images, state: nothing the bot reads


# ---- our thing in, platform thing out ---------------------------------------------------


# <ins> is not among the tags the spec suggests clients render (Element drops it and keeps
# its text), so the bold inside is what shows an insertion there.
TAGS = {
    Mark.DELETED: ("<del>", "</del>"),
    Mark.INSERTED: ("<ins><b>", "</b></ins>"),
    Mark.CODE: ("<pre><code>", "</code></pre>"),  # a copy to edit and send back
}
Part = str | Styled  # what one event says


def html_body(text: str | Styled) -> str:
    """The text as HTML: escaped, line breaks as <br>, marks as <del> and <ins>."""
    if isinstance(text, str):
        return html.escape(text, quote=False).replace("\n", "<br>")
    out = []
    for span in text.spans:
        escaped = html_body(span.text)
        if span.mark is None:
            out.append(escaped)
        else:
            opening, closing = TAGS[span.mark]
            out.append(f"{opening}{escaped}{closing}")
    return "".join(out)


def body(text: Part) -> str:
    return text if isinstance(text, str) else text.plain()


def text_content(text: Part, msgtype: str = "m.text") -> dict[str, Any]:
    """A message with a plain-text body and the same text as (escaped) HTML."""
    return {
        "msgtype": msgtype,
        "body": body(text),
        "format": HTML_FORMAT,
        "formatted_body": html_body(text),
    }


def edit_content(text: Part, original: str) -> dict[str, Any]:
    """An m.replace edit of `original`; clients without edits show the '* '-prefixed fallback."""
    fallback = text_content("* " + text)
    return {
        **fallback,
        "m.new_content": text_content(text),
        "m.relates_to": {"rel_type": "m.replace", "event_id": original},
    }


def event_size(text: Part) -> int:
    return len(body(text).encode()) + len(html_body(text).encode())


def split_text(text: str, limit: int = EVENT_BYTES) -> list[str]:
    """`text` in parts whose body and HTML together stay under `limit` bytes: at
    paragraphs, else lines, else words, else characters."""
    return kit.split_text(text, limit, event_size)


def split_styled(styled: Styled, limit: int = EVENT_BYTES) -> list[Styled]:
    """`styled` in parts under `limit` bytes, as `split_text` cuts. A part is cut by
    what it shows, then cut finer if its marks (written out in the body, tags in the
    HTML) took it over the limit."""
    parts = []
    for part in kit.split_styled(styled, limit, event_size):
        if event_size(part) <= EVENT_BYTES or limit < 2 * MARKS_BYTES:
            parts.append(part)
        else:
            parts.extend(split_styled(part, limit // 2))
    return parts


def message_parts(message: Outbound) -> list[Part]:
    """The events a message takes: its styled text, or else its text, in parts."""
    if message.styled is not None:
        return list(split_styled(message.styled))
    return list(split_text(message.text))
