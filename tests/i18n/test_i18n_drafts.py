"""A draft in more than one language: loaded with `translate`, reviewed in one's language."""

from __future__ import annotations

import re

from adapters.memory import MemoryAdapter
from bot.events import Attachment
from tests.conversation.scenario import FACILITATOR, consultation

FRENCH = """# Déclaration sur les logiciels espions

Nous sommes préoccupés par l'utilisation abusive des logiciels d'intrusion.

Nous refuserons les licences d'exportation s'il existe un risque manifeste d'abus.

Nous appelons les entreprises à respecter les droits humains.
"""
SPANISH_SHORT = """Nos preocupa el uso indebido del software de intrusión.

Pedimos a las empresas que respeten los derechos humanos.
"""
MEMBERS = {"ana": "government", "ben": "civil-society"}


async def test_a_french_stakeholder_reviews_in_french_and_is_quoted_as_french(
    chat: MemoryAdapter,
) -> None:
    await consultation(chat, MEMBERS)
    await chat.say(FACILITATOR, "/translate fr")
    assert chat.last(FACILITATOR) == (
        "Send version 1 of the draft in French: a .md, .txt or .docx file, or its text in one "
        "message, with the same 3 paragraphs in the same order (or /cancel)."
    )
    await chat.say(FACILITATOR, FRENCH, language=None)
    assert chat.last(FACILITATOR).startswith("Version 1 in French loaded (3 paragraphs)")
    assert "1. Nous sommes préoccupés" in chat.last(FACILITATOR)
    await chat.say(FACILITATOR, "/round open 3d")

    # Ana works in French (her Telegram says so): the draft and the bot both speak French.
    await chat.say("ana", "/review", language="fr")
    assert "Paragraphe 1 sur 3" in chat.last("ana")
    assert "l'utilisation abusive des logiciels d'intrusion" in chat.last("ana")
    await chat.press("ana", "Soutenir")
    assert "Nous refuserons les licences d'exportation" in chat.last("ana")
    await chat.press("ana", "Commenter")
    await chat.say("ana", "Le critère du risque manifeste est trop faible.", language="fr")
    assert chat.last("ana").startswith("Enregistré #")
    await chat.press("ana", "Amender")
    assert "copiez le paragraphe" in chat.last("ana")  # her version, to edit
    assert "Nous appelons les entreprises à respecter les droits humains." in chat.last("ana")
    await chat.say(
        "ana", "Nous appelons les entreprises à respecter les droits humains.", language="fr"
    )
    assert "Le texte proposé est identique au paragraphe" in chat.last("ana")  # as she read it
    await chat.say("ana", "Nous appelons les États à respecter les droits humains.", language="fr")
    preview = chat.last("ana")
    assert "[entreprises → États]" in preview  # the change to the French text she edited
    assert "le texte en français" in preview  # and it says it is made on that version
    await chat.press("ana", "L'enregistrer")
    assert "amendement sur le paragraphe 3" in chat.last("ana")
    await chat.say(FACILITATOR, "/amendments")
    listing = chat.last(FACILITATOR)
    assert "[entreprises → États]" in listing and "Made on the French version" in listing

    # Ben reads English, the original.
    await chat.say("ben", "/review")
    assert "Paragraph 1 of 3" in chat.last("ben")
    assert "We are concerned about the misuse of intrusion software." in chat.last("ben")
    await chat.say("ben", "/comment 2 Clear risk is too weak a test.")

    await chat.say(FACILITATOR, "/round close")
    await chat.say(FACILITATOR, "/summary 2")
    summary = chat.last(FACILITATOR)
    assert "“Le critère du risque manifeste est trop faible.” (fr)" in summary
    assert "“Clear risk is too weak a test.”\n" in summary + "\n"  # same language: unmarked
    markdown = chat.files(FACILITATOR)[-1].data.decode()
    assert "Le critère du risque manifeste est trop faible.” (fr)" in markdown

    # Read by a French facilitator, the English quote is the one marked.
    await chat.say(FACILITATOR, "/language fr")
    await chat.say(FACILITATOR, "/summary 2")
    summary = chat.last(FACILITATOR)
    assert "«\u202fClear risk is too weak a test.\u202f» (en)" in summary
    assert "«\u202fLe critère du risque manifeste est trop faible.\u202f»\n" in summary + "\n"


async def test_a_translation_must_have_the_same_paragraphs(chat: MemoryAdapter) -> None:
    await consultation(chat, MEMBERS)
    await chat.say(FACILITATOR, "/translate es")
    await chat.say(FACILITATOR, SPANISH_SHORT)
    assert chat.messages(FACILITATOR)[-2] == (
        "Version 1 has 3 paragraphs and this text has 2 paragraphs. Paragraphs are matched by "
        "position, "
        "so the text must have as many, in the same order."
    )
    assert chat.last(FACILITATOR) == "Send the Spanish text again, or /cancel."
    await chat.say(FACILITATOR, "/translate de")
    assert chat.last(FACILITATOR) == (
        "“de” is not a language I speak. Use one of: en (English), fr (français), es (español)."
    )
    await chat.say("ana", "/translate fr")
    assert "not allowed" in chat.last("ana")
    await chat.say(FACILITATOR, "/translate")
    assert chat.last(FACILITATOR) == "Usage: /translate LANGUAGE"

    # Still waiting for the Spanish text: a file does as well as pasted text.
    await chat.say(FACILITATOR, "/translate es")
    spanish = SPANISH_SHORT.replace(
        "\n\nPedimos", "\n\nDenegaremos las licencias de exportación.\n\nPedimos"
    )
    await chat.say(FACILITATOR, "", attachment=Attachment("es.md", spanish.encode()))
    assert chat.last(FACILITATOR).startswith("Version 1 in Spanish loaded (3 paragraphs)")
    await chat.say(FACILITATOR, "/round open 3d")
    await chat.say("ben", "/review", language="es")
    assert "Párrafo 1 de 3:\n\nNos preocupa el uso indebido" in chat.last("ben")


async def test_translate_needs_a_draft(chat: MemoryAdapter) -> None:
    await chat.say(FACILITATOR, "/new Statement without a draft yet")
    await chat.say(FACILITATOR, "/translate fr")
    assert "has no draft yet" in chat.last(FACILITATOR)


async def test_unchanged_paragraphs_keep_their_translation_in_the_next_version(
    chat: MemoryAdapter,
) -> None:
    await consultation(chat, MEMBERS)
    await chat.say(FACILITATOR, "/translate fr")
    await chat.say(FACILITATOR, FRENCH)
    await chat.say(FACILITATOR, "/round open 3d")
    await chat.say(
        "ben", "/amend 2 We will refuse export licences where there is any risk of misuse."
    )
    amendment = chat.last("ben").split("#", 1)[1].split(":", 1)[0]
    await chat.say(FACILITATOR, "/round close")
    await chat.say(FACILITATOR, f"/accept {amendment}")
    await chat.say(FACILITATOR, "/publish")
    published, _, stale = chat.messages(FACILITATOR)[-3:]
    assert "Version 2 published" in published
    assert stale == (
        "The French version is out of date at ¶2: delegates see the original there "
        "until you load it again with /translate fr."
    )
    await chat.say(FACILITATOR, "/round open 3d")

    await chat.say("ana", "/review", language="fr")
    assert "Paragraphe 1 sur 3\u202f:\n\nNous sommes préoccupés" in chat.last("ana")
    await chat.press("ana", "Passer")
    assert "where there is any risk of misuse" in chat.last("ana")  # changed: the new original
    assert "La version en français de ce paragraphe est en cours de mise à jour" in chat.last("ana")
    await chat.press("ana", "Passer")
    assert "Nous appelons les entreprises" in chat.last("ana")


async def test_exports_and_summaries_have_headings_in_the_readers_language(
    chat: MemoryAdapter,
) -> None:
    await consultation(chat, MEMBERS)
    await chat.say(FACILITATOR, "/round open 3d")
    await chat.say("ana", "/comment 1 Trop faible.", language="fr")
    await chat.say(FACILITATOR, "/round close")
    await chat.say(FACILITATOR, "/language fr")
    await chat.say(FACILITATOR, "/export md")
    assert re.match(r"Voici spyware-statement-v1-\d{4}-\d\d-\d\d\.md", chat.last(FACILITATOR))
    record = chat.files(FACILITATOR)[-1].data.decode()
    assert "## Projet de position, version 1" in record
    assert "Tour 1 (sur la version 1)" in record
    await chat.say(FACILITATOR, "/export html")
    assert '<html lang="fr">' in chat.files(FACILITATOR)[-1].data.decode()
    await chat.say(FACILITATOR, "/language es")
    await chat.say(FACILITATOR, "/summary")
    assert chat.last(FACILITATOR).startswith("Resumen de «Spyware statement», ronda 1")
    assert "Han respondido: Government 1/1; Civil society 0/1" in chat.last(FACILITATOR)


async def test_a_french_amendment_cannot_reach_the_english_master_text_unnoticed(
    chat: MemoryAdapter,
) -> None:
    await consultation(chat, {**MEMBERS, "cho": "industry"})
    await chat.say(FACILITATOR, "/translate fr")
    await chat.say(FACILITATOR, FRENCH)
    await chat.say(FACILITATOR, "/round open 3d")
    # Ana reviews the French version and amends it in French.
    await chat.say(
        "ana", "/amend 2 La Coalition refusera toute licence d'exportation.", language="fr"
    )
    french = re.findall(r"#(\d+)", chat.last("ana"))[0]
    # Cho's app speaks Spanish, but there is no Spanish version: he amends the English.
    await chat.say(
        "cho", "/amend 3 We call on companies to respect and promote human rights.", language="es"
    )
    english = re.findall(r"#(\d+)", chat.last("cho"))[0]
    await chat.say(FACILITATOR, "/round close")

    await chat.say(FACILITATOR, "/amendments")
    listing = chat.last(FACILITATOR)
    assert (
        f"  Made on the French version: accepting it needs its English wording (/accept {french} "
        "TEXT)."
    ) in listing
    assert listing.count("Made on the") == 1  # Cho's was made on the English text

    await chat.say(FACILITATOR, f"/accept {french}")
    assert chat.last(FACILITATOR) == (
        f"Amendment #{french} was made on the French version: “La Coalition refusera toute "
        "licence d'exportation.”\nThe next version takes only English text. Send paragraph 2 "
        "as it should read in English with this amendment (or /cancel). It now reads:\n"
        "We will refuse export licences where there is a clear risk of misuse."
    )
    await chat.say(
        FACILITATOR, "We will refuse export licences where there is a clear risk of misuse."
    )
    assert chat.messages(FACILITATOR)[-2:] == [
        "The proposed text is the same as the paragraph. Send the text as you want it to read.",
        "Send the wording again, or /cancel.",
    ]
    await chat.say(FACILITATOR, "The Coalition will refuse every export licence.")
    assert (
        chat.messages(FACILITATOR)[-2]
        == f"Amendment #{french} accepted. Send /publish to cut the next version."
    )
    assert chat.last(FACILITATOR) == (
        "Paragraph 2 will read:\nThe Coalition will refuse every export licence.\nIts French "
        "version will be out of date once published, until you load it again with /translate fr."
    )
    await chat.say(FACILITATOR, "/amendments")
    assert "  To publish, in English: “The Coalition will refuse every export licence.”" in (
        chat.last(FACILITATOR)
    )
    await chat.say(FACILITATOR, f"/accept {english} Agreed.")
    assert (
        chat.last(FACILITATOR)
        == f"Amendment #{english} accepted. Send /publish to cut the next version."
    )
    await chat.say(FACILITATOR, "/publish")
    assert "The French version is out of date at ¶2, 3" in chat.last(FACILITATOR)
    await chat.say(FACILITATOR, "/round open 3d")

    # The English text is English throughout; the French readers are told, not misled.
    await chat.say("ben", "/review")
    await chat.press("ben", "Skip")
    assert chat.last("ben") == (
        "Paragraph 2 of 3:\n\nThe Coalition will refuse every export licence."
    )
    await chat.say("ana", "/review", language="fr")
    await chat.press("ana", "Tous les paragraphes")  # she reviewed round 1: offered a choice
    await chat.press("ana", "Passer")
    # the English text, marked with what changed since she reviewed, and why it is English
    assert "Modifié depuis la version 1 par l'amendement" in chat.last("ana")
    assert "The Coalition" in chat.last("ana")
    assert "(La version en français de ce paragraphe est en cours de mise à jour" in chat.last(
        "ana"
    )
    await chat.say(FACILITATOR, "/export json")
    record = chat.files(FACILITATOR)[-1].data.decode()
    assert "La Coalition refusera" not in record.split('"rounds"')[0]  # not in any version
