"""Text formatting as the Bot API does it: HTML parse mode, automatic entities, lengths.

The HTML parser is a port of tdlib's ``parse_html`` (the code behind the Bot API's
``parse_mode=HTML``): the same accepted tags, the same handling of attributes and HTML
entities, and the same error texts with the same byte offsets, so that a message Telegram
would reject is rejected here with the description Telegram gives.
"""

from __future__ import annotations

import re
from typing import Any

Entity = dict[str, Any]

SUPPORTED_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)

_SPACES = frozenset(b" \t\r\n\v\0")


class EntityParseError(ValueError):
    """The text cannot be parsed; ``str(error)`` is tdlib's message (without the prefix)."""


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Bot API entity offsets and lengths."""
    return len(text.encode("utf-16-le")) // 2


def _utf16_units_of_first_byte(byte: int) -> int:
    """UTF-16 units of the UTF-8 sequence starting with ``byte`` (0 for a continuation byte)."""
    if byte & 0xC0 == 0x80:
        return 0
    return 2 if byte >= 0xF0 else 1


def _decode_html_entity(data: bytes, pos: int) -> tuple[int, int]:
    """Decode the HTML entity at ``data[pos] == '&'``; returns (code point or 0, end position)."""

    def at(k: int) -> int:
        return data[k] if k < len(data) else 0

    end = pos + 1
    code = 0
    if at(pos + 1) == ord("#"):
        end += 1
        if at(pos + 2) == ord("x"):
            end += 1
            while chr(at(end)) in "0123456789abcdefABCDEF" and at(end) != 0:
                code = code * 16 + int(chr(at(end)), 16)
                end += 1
        else:
            while ord("0") <= at(end) <= ord("9"):
                code = code * 10 + at(end) - ord("0")
                end += 1
        if code == 0 or code >= 0x10FFFF or end - pos >= 10:
            return 0, pos
    else:
        while chr(at(end)).isascii() and chr(at(end)).isalpha():
            end += 1
        name = data[pos + 1 : end]
        named = {b"lt": "<", b"gt": ">", b"amp": "&", b"quot": '"'}
        if name not in named:
            return 0, pos
        code = ord(named[name])
    if at(end) == ord(";"):
        end += 1
    return code, end


def _encode_code_point(code: int) -> bytes:
    # surrogates are kept as they are and rejected after parsing, like tdlib does
    return chr(code).encode("utf-8", "surrogatepass")


def _check_link(url: str) -> str | None:
    """A simplified ``LinkManager::get_checked_link``: normalises or drops the URL."""
    url = url.strip()
    if not url or any(c.isspace() for c in url):
        return None
    match = re.match(r"^([a-zA-Z][a-zA-Z0-9+.-]*):", url)
    if match is None:
        url = "http://" + url
    elif match.group(1).lower() not in {"http", "https", "tg", "ton", "tonsite", "mailto"}:
        return None
    parts = re.match(r"^(https?://)([^/?#]+)(.*)$", url, re.IGNORECASE)
    if parts is not None:
        host = parts.group(2)
        if "." not in host and host.lower() != "localhost":
            return None
        rest = parts.group(3)
        if not rest.startswith("/"):
            rest = "/" + rest
        url = parts.group(1).lower() + host.lower() + rest
    return url


def parse_html(html: str) -> tuple[str, list[Entity]]:
    """Parse Bot API HTML into (text, entities); raises :class:`EntityParseError`."""
    data = html.encode("utf-8", "surrogatepass")
    size = len(data)

    def at(k: int) -> int:
        return data[k] if k < size else 0

    out = bytearray()
    entities: list[Entity] = []
    # (tag name, argument, UTF-16 offset, byte position in ``out``)
    stack: list[tuple[str, str, int, int]] = []
    utf16_offset = 0
    i = 0
    while i < size:
        c = data[i]
        if c == ord("&"):
            code, end = _decode_html_entity(data, i)
            if code != 0:
                utf16_offset += 2 if code > 0xFFFF else 1
                out += _encode_code_point(code)
                i = end
                continue
        if c != ord("<"):
            utf16_offset += _utf16_units_of_first_byte(c)
            out.append(c)
            i += 1
            continue

        begin = i
        i += 1
        if at(i) != ord("/"):
            while at(i) not in _SPACES and at(i) != ord(">"):
                i += 1
            if at(i) == 0:
                raise EntityParseError(f"Unclosed start tag at byte offset {begin}")
            tag = data[begin + 1 : i].decode("utf-8", "replace").lower()
            if tag not in SUPPORTED_TAGS:
                raise EntityParseError(f'Unsupported start tag "{tag}" at byte offset {begin}')
            argument = ""
            while at(i) != ord(">"):
                while at(i) != 0 and at(i) in _SPACES:
                    i += 1
                if at(i) == ord(">"):
                    break
                attr_begin = i
                while at(i) not in _SPACES and at(i) not in (ord("="), ord(">")):
                    i += 1
                attr_name = data[attr_begin:i].decode("utf-8", "replace")
                if not attr_name:
                    raise EntityParseError(
                        f'Empty attribute name in the tag "{tag}" at byte offset {begin}'
                    )
                while at(i) != 0 and at(i) in _SPACES:
                    i += 1
                if at(i) != ord("="):
                    if tag == "blockquote" and attr_name.lower() == "expandable":
                        argument = "expandable"
                        continue
                    raise EntityParseError(
                        "Expected equal sign in declaration of an attribute of the tag "
                        f'"{tag}" at byte offset {begin}'
                    )
                i += 1
                while at(i) != 0 and at(i) in _SPACES:
                    i += 1
                if at(i) == 0:
                    raise EntityParseError(f'Unclosed start tag "{tag}" at byte offset {begin}')
                value = bytearray()
                if at(i) not in (ord("'"), ord('"')):
                    token_begin = i
                    while chr(at(i)).isascii() and (chr(at(i)).isalnum() or at(i) in b".-"):
                        i += 1
                    value += data[token_begin:i].lower()
                    if at(i) not in _SPACES and at(i) != ord(">"):
                        raise EntityParseError(
                            f"Unexpected end of name token at byte offset {token_begin}"
                        )
                else:
                    quote = at(i)
                    i += 1
                    while at(i) != quote and at(i) != 0:
                        if at(i) == ord("&"):
                            code, end = _decode_html_entity(data, i)
                            if code != 0:
                                value += _encode_code_point(code)
                                i = end
                                continue
                        value.append(at(i))
                        i += 1
                    if at(i) == quote:
                        i += 1
                if at(i) == 0:
                    raise EntityParseError(f"Unclosed start tag at byte offset {begin}")
                text_value = value.decode("utf-8", "replace")
                if tag == "a" and attr_name == "href":
                    argument = text_value
                elif tag == "code" and attr_name == "class" and text_value.startswith("language-"):
                    argument = text_value[len("language-") :]
                elif tag == "span" and attr_name == "class" and text_value.startswith("tg-"):
                    argument = text_value[len("tg-") :]
                elif tag == "tg-emoji" and attr_name == "emoji-id":
                    argument = text_value
            if tag == "span" and argument != "spoiler":
                raise EntityParseError(
                    f'Tag "span" must have class "tg-spoiler" at byte offset {begin}'
                )
            stack.append((tag, argument, utf16_offset, len(out)))
            i += 1  # skip '>'
            continue

        # an end tag
        if not stack:
            raise EntityParseError(f"Unexpected end tag at byte offset {begin}")
        while at(i) not in _SPACES and at(i) != ord(">"):
            i += 1
        end_tag = data[begin + 2 : i].decode("utf-8", "replace").lower()
        while at(i) in _SPACES and at(i) != 0:
            i += 1
        if at(i) != ord(">"):
            raise EntityParseError(f"Unclosed end tag at byte offset {begin}")
        i += 1
        tag, argument, entity_offset, entity_begin = stack.pop()
        if end_tag and end_tag != tag:
            raise EntityParseError(
                f'Unmatched end tag at byte offset {begin}, expected "</{tag}>", '
                f'found "</{end_tag}>"'
            )
        length = utf16_offset - entity_offset
        if length <= 0:
            continue
        entity: Entity | None = None
        if tag in ("i", "em"):
            entity = {"type": "italic"}
        elif tag in ("b", "strong"):
            entity = {"type": "bold"}
        elif tag in ("s", "strike", "del"):
            entity = {"type": "strikethrough"}
        elif tag in ("u", "ins"):
            entity = {"type": "underline"}
        elif tag in ("tg-spoiler", "span"):
            entity = {"type": "spoiler"}
        elif tag == "tg-emoji":
            if not argument.isdigit() or int(argument) == 0:
                raise EntityParseError("Invalid custom emoji identifier specified")
            entity = {"type": "custom_emoji", "custom_emoji_id": argument}
        elif tag == "a":
            url = argument or out[entity_begin:].decode("utf-8", "replace")
            user = re.match(r"^tg:(?://)?user/?\?(?:.*&)?id=(\d+)", url, re.IGNORECASE)
            if user is not None:
                entity = {"type": "text_mention", "user": {"id": int(user.group(1))}}
            else:
                checked = _check_link(url)
                if checked is not None:
                    entity = {"type": "text_link", "url": checked}
        elif tag == "pre":
            last = entities[-1] if entities else None
            if (
                last is not None
                and last["type"] == "code"
                and last["offset"] == entity_offset
                and last["length"] == length
                and last.get("language")
            ):
                last["type"] = "pre"
            else:
                entity = {"type": "pre"}
        elif tag == "code":
            last = entities[-1] if entities else None
            if (
                last is not None
                and last["type"] == "pre"
                and last["offset"] == entity_offset
                and last["length"] == length
                and argument
            ):
                last["language"] = argument
            else:
                entity = {"type": "code"}
                if argument:
                    entity["language"] = argument
        elif tag == "blockquote":
            entity = {"type": "expandable_blockquote" if argument else "blockquote"}
        if entity is not None:
            entity["offset"] = entity_offset
            entity["length"] = length
            entities.append(entity)

    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    for entity in entities:
        if entity["type"] == "code":
            entity.pop("language", None)
    try:
        text = bytes(out).decode("utf-8")
    except UnicodeDecodeError:
        raise EntityParseError(
            "Text contains invalid Unicode characters after decoding HTML entities, "
            "check for unmatched surrogate code units"
        ) from None
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return text, entities


_BOT_COMMAND = re.compile(r"(?<![\w/<>])/([a-zA-Z0-9_]{1,64})(?:@([a-zA-Z0-9_]{3,32}))?(?![\w/<>])")
_MENTION = re.compile(r"(?<!\w)@([a-zA-Z0-9_]{2,32})(?!\w)")
_HASHTAG = re.compile(r"(?<![\w#])#(\w{1,256})(?![\w#])")


def detect_entities(text: str) -> list[Entity]:
    """Entities Telegram adds to a user's text: ``bot_command``, ``mention`` and ``hashtag``."""
    found: list[Entity] = []
    for kind, pattern in (
        ("bot_command", _BOT_COMMAND),
        ("mention", _MENTION),
        ("hashtag", _HASHTAG),
    ):
        for match in pattern.finditer(text):
            if kind == "hashtag" and not any(ch.isalpha() for ch in match.group(1)):
                continue
            found.append(
                {
                    "type": kind,
                    "offset": utf16_len(text[: match.start()]),
                    "length": utf16_len(match.group(0)),
                }
            )
    found.sort(key=lambda e: e["offset"])
    return found


def strip_text(text: str, entities: list[Entity]) -> tuple[str, list[Entity]]:
    """Trim leading and trailing whitespace like Telegram, moving and clipping entities."""
    stripped_left = text.lstrip()
    shift = utf16_len(text) - utf16_len(stripped_left)
    stripped = stripped_left.rstrip()
    limit = utf16_len(stripped)
    result: list[Entity] = []
    for entity in entities:
        start = max(entity["offset"] - shift, 0)
        end = min(entity["offset"] + entity["length"] - shift, limit)
        if end > start:
            result.append({**entity, "offset": start, "length": end - start})
    return stripped, result
