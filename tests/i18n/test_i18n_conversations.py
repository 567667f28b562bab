"""The same conversations in English, French and Spanish; choosing one's language."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from adapters.memory import MemoryAdapter
from storage.records import Store
from storage.tables import Person, Submission
from tests.conversation.scenario import FACILITATOR, consultation, invite, open_round

# What each language says at the distinctive points of a review.
SAYS = {
    "en": {
        "joined": "You have joined",
        "buttons": ("Support", "Oppose", "Comment", "Amend", "Skip", "Back"),
        "paragraph": "Paragraph 1 of 3",
        "chosen": "Paragraph 1: Support (#",
        "ask_comment": "Your comment on paragraph 2?",
        "recorded": "Recorded #",
        "kind": "comment on paragraph 2",
        "done": "You have answered all 3 paragraphs",
        "why": "Why do you oppose paragraph 3?",
        "usage": "\n/comment N TEXT... — ",
        "mine": "paragraph 3 · oppose",
        "help": "Commands you can use:",
        "closed": "is closed, so input is no longer taken",
    },
    "fr": {
        "joined": "Vous avez rejoint",
        "buttons": ("Soutenir", "S'opposer", "Commenter", "Amender", "Passer", "Retour"),
        "paragraph": "Paragraphe 1 sur 3",
        "chosen": "Paragraphe 1\u202f: Soutenir (#",
        "ask_comment": "Votre commentaire sur le paragraphe 2\u202f?",
        "recorded": "Enregistré #",
        "kind": "commentaire sur le paragraphe 2",
        "done": "Vous avez répondu aux 3 paragraphes",
        "why": "Pourquoi vous opposez-vous au paragraphe 3\u202f?",
        "usage": "\n/comment N TEXTE... — ",
        "mine": "paragraphe 3 · opposition",
        "help": "Commandes à votre disposition",
        "closed": "les contributions ne sont plus acceptées",
    },
    "es": {
        "joined": "Se ha unido a",
        "buttons": ("Apoyar", "Oponerse", "Comentar", "Enmendar", "Omitir", "Atrás"),
        "paragraph": "Párrafo 1 de 3",
        "chosen": "Párrafo 1: Apoyar (#",
        "ask_comment": "¿Su comentario sobre el párrafo 2?",
        "recorded": "Registrado #",
        "kind": "comentario sobre el párrafo 2",
        "done": "Ha respondido a los 3 párrafos",
        "why": "¿Por qué se opone al párrafo 3?",
        "usage": "\n/comment N TEXTO... — ",
        "mine": "párrafo 3 · oposición",
        "help": "Comandos a su disposición",
        "closed": "ya no se admiten aportaciones",
    },
}


@pytest.mark.parametrize("language", sorted(SAYS))
async def test_the_same_review_in_each_language(chat: MemoryAdapter, language: str) -> None:
    """Telegram says the person's language on each message; the bot answers in it."""
    says = SAYS[language]
    await consultation(chat)
    code = await invite(chat, "government")
    await chat.say("ana", f"/start {code}", language=language)
    assert says["joined"] in chat.messages("ana")[0]
    await chat.say("ana", "Ana Org", language=language)
    await chat.say(FACILITATOR, "/round open 3d")
    chat.take("ana")

    await chat.say("ana", "/review", language=language)
    assert says["paragraph"] in chat.last("ana")
    assert "intrusion software" in chat.last("ana")  # the draft stays as it was written
    buttons = [c.label for row in chat.inbox[chat.chat_of("ana")][-1].message.choices for c in row]
    assert tuple(buttons) == says["buttons"]
    support, oppose, comment, _, skip, back = says["buttons"]
    await chat.press("ana", support)
    assert chat.messages("ana")[-2].startswith(says["chosen"])
    await chat.press("ana", comment)
    assert says["ask_comment"] in chat.last("ana")
    await chat.say("ana", "Clear risk is too weak a test.", language=language)
    assert chat.last("ana").startswith(says["recorded"])
    assert says["kind"] in chat.last("ana")
    await chat.press("ana", back)
    await chat.press("ana", skip)
    await chat.press("ana", oppose)
    assert says["why"] in chat.last("ana")
    await chat.press("ana", skip)
    assert says["done"] in chat.last("ana")
    await chat.say("ana", "/mine", language=language)
    assert says["mine"] in chat.last("ana")
    await chat.say("ana", "/help", language=language)
    help_text = chat.last("ana")
    assert help_text.startswith(says["help"])
    # Command names stay; the names of their arguments are in the person's language.
    assert "\n/review — " in help_text and says["usage"] in help_text
    await chat.say(FACILITATOR, "/round close")
    await chat.say("ana", "/support 1", language=language)
    assert says["closed"] in chat.last("ana")


async def test_notices_are_in_each_recipients_language(chat: MemoryAdapter) -> None:
    await consultation(chat, {"ana": "government", "ben": "civil-society", "cy": "academia"})
    await chat.say("ben", "/language fr")
    await chat.say("cy", "/language es")
    await chat.say(FACILITATOR, "/round open 3d")
    assert "Round 1 of “Spyware statement” is open" in chat.last("ana")
    assert "It closes on Fri, Dec 4 at 09:00 UTC (3 days left)." in chat.last("ana")
    assert "Le tour 1 de «\u202fSpyware statement\u202f» est ouvert" in chat.last("ben")
    assert "Il se clôture le ven. 4 déc. à 09:00 UTC (encore 3\u00a0jours)." in chat.last("ben")
    assert "La ronda 1 de «Spyware statement» está abierta" in chat.last("cy")
    assert "Se cierra el vie, 4 dic a las 09:00 UTC (dentro de 3 días)." in chat.last("cy")
    assert "Round 1 is open" in chat.last(FACILITATOR)


async def test_dates_follow_the_persons_language_and_time_zone(chat: MemoryAdapter) -> None:
    await consultation(chat, {"ana": "government"})
    await chat.say("ana", "/timezone Europe/Zurich")
    await chat.say("ana", "/language fr")
    await chat.say(FACILITATOR, "/round schedule 2026-12-02 09:00 2026-12-04 17:00 Europe/Zurich")
    assert "open tomorrow at 09:00 CET" in chat.last(FACILITATOR)
    assert "s'ouvrira demain à 09:00 CET et se clôturera le ven. 4 déc. à 17:00 CET" in (
        chat.last("ana")
    )
    await chat.say("ana", "/timezone Asia/Kolkata")
    await chat.say("ana", "/language es")
    await chat.say(FACILITATOR, "/round schedule 2026-12-02 23:00 3d Europe/Zurich")
    assert "se abrirá el jue, 3 dic a las 03:30 IST" in chat.last("ana")


async def test_the_language_command(chat: MemoryAdapter, sqlite_store: Store) -> None:
    await chat.say("ana", "/language")
    assert chat.last("ana") == (
        "I write to you in English (en). Available: en (English), fr (français), "
        "es (español). Change it with /language CODE, e.g. /language fr."
    )
    await chat.say("ana", "/language es")
    assert chat.last("ana") == "A partir de ahora le escribo en español."
    await chat.say("ana", "/language")
    assert chat.last("ana").startswith("Le escribo en español (es). Idiomas disponibles: en")
    await chat.say("ana", "/language xx")
    assert chat.last("ana") == (
        "«xx» no es un idioma que yo hable. Utilice uno de los siguientes: "
        "en (English), fr (français), es (español)."
    )
    await chat.say("ana", "/language FR")
    assert chat.last("ana") == "Désormais, je vous écris en français."
    await chat.say("ana", "/language klingon")
    assert "n'est pas une langue que je parle" in chat.last("ana")
    assert "en (English), fr (français), es (español)" in chat.last("ana")
    await chat.say("ana", "/language fr extra")
    assert "Utilisation\u202f: /language [CODE]" in chat.last("ana")
    await chat.say("ana", "/language en")
    assert chat.last("ana") == "From now on I write to you in English."
    await chat.say("ana", "/help")
    assert "/language [CODE] — show or change the language I write to you in" in chat.last("ana")


async def test_the_platform_language_is_followed_until_one_is_chosen(
    chat: MemoryAdapter, sqlite_store: Store
) -> None:
    await chat.say("ana", "/start", language="pt-BR")
    assert chat.last("ana").startswith("Welcome to consultbot")  # not ours: English
    await chat.say("ana", "/start", language="es-MX")
    assert chat.last("ana").startswith("Bienvenido a consultbot")
    await chat.say("ana", "/start", language="fr")  # the app's language changed: followed
    assert chat.last("ana").startswith("Bienvenue sur consultbot")
    await chat.say("ana", "/start")  # a message without a language changes nothing
    assert chat.last("ana").startswith("Bienvenue sur consultbot")
    await chat.say("ana", "/language en", language="fr")
    await chat.say("ana", "/start", language="fr")  # her choice stands from now on
    assert chat.last("ana").startswith("Welcome to consultbot")
    with sqlite_store.transaction() as records:
        person = records.session.get(Person, 1)
        assert person is not None
        assert (person.language, person.language_chosen) == ("en", True)


async def test_submissions_record_the_language_they_were_made_in(
    chat: MemoryAdapter, sqlite_store: Store
) -> None:
    await open_round(chat, {"ana": "government", "ben": "civil-society"})
    await chat.say("ana", "/comment 1 Trop faible.", language="fr")
    await chat.say("ben", "/comment 1 Too weak.")
    await chat.say("ben", "/language es")
    await chat.say("ben", "/support 2")
    with sqlite_store.transaction() as records:
        rows = records.session.exec(select(Submission).order_by(col(Submission.id))).all()
        assert [(s.text, s.language) for s in rows] == [
            ("Trop faible.", "fr"),
            ("Too weak.", "en"),
            (None, "es"),
        ]
