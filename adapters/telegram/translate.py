"""Telegram's things and ours: updates in as `Inbound` events, our texts and buttons out as
what the Bot API takes. Pure functions, no calls to Telegram.

    Update ── message ─────────> Inbound(text | attachment, reply_to, private, language)
           ├─ callback_query ──> Inbound(button=data, reply_to=<message with the keyboard>)
           └─ inline_query ────> one result that sends the query's text back as a message
                                 (the text a prefill button put in the input field, edited)
    Outbound text ──> HTML parts under 4,096 UTF-16 units (styled: <s>deleted</s>,
                      <b>inserted</b>, <code>to copy</code>) · choices ──> an inline
                      keyboard (a prefill: switch_inline_query_current_chat)
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from telegram import (
    BotCommand,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQuery,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Message,
    Update,
)
from telegram.constants import ChatType

from adapters import kit
from bot.events import (
    Attachment,
    ChatId,
    Choice,
    Inbound,
    Mark,
    MessageId,
    Outbound,
    PlatformId,
    Styled,
    local_part,
    platform_of,
)

PLATFORM = "telegram"
MESSAGE_LIMIT = 4096  # UTF-16 code units of text, after entity parsing
CAPTION_LIMIT = 1024
ALLOWED_UPDATES = ("message", "callback_query", "inline_query")
INLINE_QUERY_LIMIT = 256  # characters of an inline query, so of a text put in the input field
COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")


# ---- platform thing in, our thing out ---------------------------------------------------


def chat_ref(chat_id: int) -> ChatId:
    return ChatId(f"{PLATFORM}:{chat_id}")


def person_ref(user_id: int) -> PlatformId:
    return PlatformId(f"{PLATFORM}:{user_id}")


def message_ref(message_id: int) -> MessageId:
    return MessageId(str(message_id))


def chat_number(ref: str) -> int | None:
    """Telegram's own id in `telegram:-100123`, or None if it is not one of ours."""
    if platform_of(ref) != PLATFORM:
        return None
    try:
        return int(local_part(ref))
    except (ValueError, IndexError):
        return None


def addressed_to_another_bot(text: str, username: str | None) -> bool:
    """`/cmd@otherbot` in a group is for that bot, not for us."""
    if not text.startswith("/"):
        return False
    head = text.split(maxsplit=1)[0]
    _, at, name = head.partition("@")
    return bool(at) and username is not None and name.lower() != username.lower()


def message_event(
    message: Message,
    *,
    bot_id: int | None,
    attachment: Attachment | None = None,
    username: str | None = None,
) -> Inbound | None:
    """A person's message as an event, or None when it is not for the bot."""
    user = message.from_user
    if user is None or user.is_bot:
        return None  # channel posts, anonymous admins, other bots
    private = message.chat.type == ChatType.PRIVATE
    text = message.text or message.caption or ""
    if not private and not text.startswith("/"):
        return None  # plain talk in a group is not for the bot (Telegram's privacy mode)
    if private and username and text.startswith(f"@{username} "):
        # the text a prefill button put in the input field, sent as typed, not as the
        # inline result: the bot's name before it is Telegram's, not the person's
        text = text[len(username) + 2 :]
    if not text and attachment is None and message.document is None:
        return None  # stickers, photos, service messages: nothing the bot reads
    reply = message.reply_to_message
    reply_to = None
    if reply is not None and reply.from_user is not None and reply.from_user.id == bot_id:
        reply_to = message_ref(reply.message_id)
    return Inbound(
        sender=person_ref(user.id),
        chat=chat_ref(message.chat.id),
        message_id=message_ref(message.message_id),
        text=text,
        attachment=attachment,
        private=private,
        display_name=user.full_name or None,
        language=user.language_code,
        reply_to=reply_to,
    )


def button_event(query: CallbackQuery) -> Inbound | None:
    """A pressed inline button as an event; `reply_to` is the message carrying the keyboard."""
    message = query.message
    if message is None or query.data is None:
        return None  # inline-mode messages and games: not ours
    return Inbound(
        sender=person_ref(query.from_user.id),
        chat=chat_ref(message.chat.id),
        message_id=MessageId(
            f"cb{query.id}"
        ),  # callback query ids are unique, so redeliveries match
        button=query.data,
        private=message.chat.type == ChatType.PRIVATE,
        display_name=query.from_user.full_name or None,
        language=query.from_user.language_code,
        reply_to=message_ref(message.message_id),
    )


def inline_answer(query: InlineQuery, title: str) -> list[InlineQueryResultArticle]:
    """What the inline query made by a prefill button offers: its text, as edited, to
    send as a message in the chat (none while the text is empty)."""
    text = query.query.strip()
    if not text:
        return []
    content = InputTextMessageContent(text)  # plain text: nothing in it is markup
    return [InlineQueryResultArticle("edited", title, content, description=text[:200])]


def update_chat(update: Update) -> int | None:
    """The chat an update belongs to: its updates are handled in order (an inline query
    is one person's, as their private chat is)."""
    if update.inline_query is not None:
        return update.inline_query.from_user.id
    if update.callback_query is not None and update.callback_query.message is not None:
        return update.callback_query.message.chat.id
    if update.message is not None:
        return update.message.chat.id
    return None


# ---- our thing in, platform thing out ---------------------------------------------------


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """`text` in parts of at most `limit` UTF-16 units: at paragraphs, else lines, else words."""
    return kit.split_text(text, limit, utf16_len)


TAGS = {Mark.DELETED: "s", Mark.INSERTED: "b", Mark.CODE: "code"}  # struck, bold, tap to copy


def styled_html(styled: Styled) -> str:
    """Styled text as the Bot API's HTML: each span escaped, marks as <s> and <b>."""
    out = []
    for span in styled.spans:
        text = html.escape(span.text, quote=False)
        out.append(f"<{TAGS[span.mark]}>{text}</{TAGS[span.mark]}>" if span.mark else text)
    return "".join(out)


def html_parts(message: Outbound, limit: int = MESSAGE_LIMIT) -> list[str]:
    """The message's text as HTML, in parts under `limit` UTF-16 units as the reader sees
    them (tags do not count: the limit applies after the entities are parsed)."""
    if message.styled is None:
        return [html.escape(part, quote=False) for part in split_text(message.text, limit)]
    return [styled_html(part) for part in kit.split_styled(message.styled, limit, utf16_len)]


def keyboard(choices: Sequence[Sequence[Choice]]) -> InlineKeyboardMarkup | None:
    """The inline keyboard; a prefill button puts its text in the input field (after the
    bot's name) through inline mode, and is left out when the text is over the inline
    query's limit: the message shows it as code, which one tap copies."""
    rows = [[button for c in row if (button := _button(c))] for row in choices]
    rows = [row for row in rows if row]
    return InlineKeyboardMarkup(rows) if rows else None


def _button(choice: Choice) -> InlineKeyboardButton | None:
    if choice.prefill is None:
        return InlineKeyboardButton(choice.label, callback_data=choice.data)
    if len(choice.prefill) > INLINE_QUERY_LIMIT:
        return None
    return InlineKeyboardButton(choice.label, switch_inline_query_current_chat=choice.prefill)


def menu_commands(commands: Sequence[tuple[str, str]]) -> list[BotCommand]:
    """Telegram's menu: one entry per first word (`round open` and `round close` -> `round`;
    `review` and `review all` -> `review`, with the help of `review`)."""
    families: dict[str, list[tuple[str, str]]] = {}
    for name, help_text in commands:
        first, _, rest = name.strip().lower().partition(" ")
        if COMMAND_NAME.match(first):
            families.setdefault(first, []).append((rest.strip(), help_text))
    menu = []
    for name, members in families.items():
        bare = [help_text for sub, help_text in members if not sub]
        # a family without a command of its own: name its subcommands
        description = bare[0] if bare else ", ".join(sub for sub, _ in members)
        menu.append(BotCommand(name, (description.strip() or name)[:256]))
    return menu[:100]
