"""Every text the bot shows people, in one catalog.

Keys are stable ids; values are English templates with `{named}` placeholders. Other
languages are gettext catalogs made from this one (bot/i18n.py, bot/locale/: msgctxt is
the key, msgid the English text); a missing key or placeholder is a bug that the tests
catch, never a crash in front of a delegate: English stands in for it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from bot import i18n
from bot.styled import Styled
from consultations.schedule import UnknownZone, show, zone

log = logging.getLogger(__name__)

ENGLISH: dict[str, i18n.English] = {
    # joining and getting around
    "start.welcome": "Welcome to consultbot. It collects input on draft joint statements, paragraph by paragraph.\nTo join a consultation, send /start followed by the invite code you were given.",
    "start.bad_code": (
        "That invite code is not valid: it may be mistyped, used up or expired. "
        "Ask the facilitator for a new one."
    ),
    "start.joined": "You have joined “{title}” as {role} ({group}).\nAttribution: {attribution}\nSend /help to see what you can do.",
    "start.throttled": (
        "Too many wrong invite codes. Wait {count} minute, then try again with the code you were given.",
        "Too many wrong invite codes. Wait {count} minutes, then try again with the code you were given.",
    ),
    "link.code": "To link another account (Telegram or Matrix) to this one, send this from it within 10 minutes:\n/link {code}",
    "link.done": "This account is now linked to your other one. Your consultations and input are the same on both.",
    "link.bad_code": "That link code is not valid or has expired. Send /link on your other account for a new one.",
    "link.same": "This account is already that person.",
    "link.busy": "This account already takes part in a consultation, so it cannot be merged. Link from an account that has not joined yet.",
    "help.link": "link your Telegram and Matrix accounts (send /link, then /link CODE on the other)",
    "policy.current": "Attribution: {attribution}\nErasure on request: {erasure}\nRetention after the last round (days): {retention}",
    "policy.usage": "Set one of: {names}. For example: /policy attribution organisation.",
    "policy.set": "Policy {name} is now {value}.",
    "consent.current": "This consultation's attribution: {policy}. Your agreement to be named: {consent}. Change it with /consent yes or /consent no.",
    "consent.set": "Your agreement to be named is now: {consent}. It applies to everything shown from now on.",
    "consent.True": "yes",
    "consent.False": "no (you are shown by stakeholder group)",
    "start.ask_consent": "This consultation may show contributions by organisation or name. Send /consent yes to agree; otherwise you are shown only as a member of your group.",
    "moderation.unknown": "#{id} is not a submission in this consultation.",
    "moderation.hidden": "#{id} is hidden: it no longer appears in summaries, quotes or exports. /unhide {id} reverses it.",
    "moderation.unhidden": "#{id} is shown again.",
    "moderation.already_hidden": "#{id} is already hidden.",
    "moderation.not_hidden": "#{id} is not hidden.",
    "moderation.flagged": "Thank you: #{id} has been flagged to the facilitators.",
    "moderation.flag_notice": "#{id} in “{title}” was flagged by a participant. Reason: {reason}. Use /hide {id} REASON if it should not be shown.",
    "help.policy": "show or set attribution, erasure and retention",
    "help.consent": "agree (or not) to be named where the policy allows",
    "help.hide": "hide a submission from summaries and exports",
    "help.unhide": "show a hidden submission again",
    "help.flag": "report a quote you were shown",
    "start.ask_organisation": "Which organisation do you represent? Reply with its name.",
    "start.organisation_saved": "Thank you. Your organisation is recorded as “{organisation}”.",
    "start.round_open": (
        "Round {number} is open: {count} paragraph of version {version} to review. It closes {closes} ({left} left). Send /review to begin.",
        "Round {number} is open: {count} paragraphs of version {version} to review. It closes {closes} ({left} left). Send /review to begin.",
    ),
    "start.round_scheduled": "Round {number} opens {opens} and closes {closes}. You will be told when it opens.",
    "help.header": "Commands you can use:",
    "help.current": "Current consultation: {title} (id {id}). Switch with /use ID.",
    "consultations.header": "Your consultations:",
    "consultations.none": "You are not part of any consultation yet. Join one with /start CODE.",
    "consultations.unknown": "There is no consultation {id} that you are part of. Send /consultations to list yours.",
    "consultations.switched": "Now working on “{title}”.",
    "cancelled": "Cancelled.",
    "cancel.nothing": "There was nothing to cancel.",
    "cancel.review": "Review stopped at paragraph {number}.",
    "cancel.comment": "Your comment on paragraph {number} was not sent.",
    "cancel.amendment": "Your proposed text for paragraph {number} was not sent.",
    "cancel.reason": "No reason added for paragraph {number}.",
    "cancel.kept": (
        "Your {count} answer in round {round} stays recorded: /mine shows it, /review goes on.",
        "Your {count} answers in round {round} stay recorded: /mine shows them, /review goes on.",
    ),
    "forget.ask": (
        "This erases your name, organisation and chat accounts from consultbot. Your input stays "
        "as that of “a member of” your stakeholder group, or is deleted where the consultation's "
        "policy says so. This cannot be undone."
    ),
    "forget.button_yes": "Erase my data",
    "forget.done": (
        "Your personal data has been erased ({count} submission deleted). Goodbye.",
        "Your personal data has been erased ({count} submissions deleted). Goodbye.",
    ),
    "button.cancel": "Cancel",
    "role.stakeholder": "stakeholder",
    "role.facilitator": "facilitator",
    "role.secretariat": "secretariat",
    "group.unknown": "an unknown group",
    "attribution.group": "a member of {group}",
    "attribution.organisation": "{organisation} ({group})",
    "attribution.name": "{name} ({group})",
    "attribution.policy.group": (
        "by stakeholder group only (Chatham House): others see “a member of” your group, never your name"
    ),
    "attribution.policy.organisation": "by organisation: others see your organisation's name",
    "attribution.policy.name": "by name: others see your name and organisation",
    # help for each command
    "help.start": "join a consultation with an invite code",
    "help.help": "this list",
    "help.consultations": "the consultations you are part of",
    "help.use": "switch to another consultation",
    "help.cancel": "stop what the bot is waiting for",
    "help.forget": "erase your personal data",
    "help.review": "review the open round's paragraphs one by one, from the first you have not answered",
    "help.support": "support paragraph N",
    "help.oppose": "oppose paragraph N",
    "help.abstain": "abstain on paragraph N",
    "help.comment": "comment on paragraph N",
    "help.amend": "propose new text for paragraph N",
    "help.mine": "your own submissions",
    "help.withdraw": "take back one of your submissions while the round is open",
    "help.new": "create a consultation; send the draft next",
    "help.invite": "invite codes for a stakeholder group (or facilitator, secretariat)",
    "help.round_open": "open a round for DURATION (e.g. 72h, 3d, 1w)",
    "help.round_extend": "move the open round's close by DURATION",
    "help.round_close": "close the open round now",
    "help.remind": "nudge those who have not answered every paragraph (of GROUP, if given)",
    "help.status": "who has answered every paragraph, some or none, per group",
    "help.amendments": "the amendments of the latest round",
    "help.accept": "accept an amendment (one made on a translation: with its wording in the master language)",
    "help.reject": "reject an amendment, giving a reason",
    "help.publish": "cut the next version from the accepted amendments",
    "help.summary": "the latest round's summary (or paragraph N's)",
    "help.diff": "changes between two versions (the last two, or A and B)",
    "help.versions": "the versions of the draft",
    "help.read": "the current text of the draft (or paragraph N), with what changed since you last reviewed",
    "help.review_all": "review every paragraph again, from the first",
    "help.export": "the record as a file",
    "help.endorse": "back another stakeholder's amendment or comment",
    "help.merge": "write paragraph N's text combining its accepted amendments",
    # routing
    "unknown_command": "There is no command “{name}”. Send /help to see the commands you can use.",
    "not_allowed": "You are not allowed to use “{name}” in this consultation. Send /help to see what you can do.",
    "no_consultation": "You are not working on any consultation. Join one with /start CODE, or pick one with /consultations and /use ID.",
    "usage": "Usage: {usage}",
    "usage.extra": "“{extra}” is more than this command takes.",
    "usage.bad_value": "“{value}” is not a valid {name}.",
    # argument names in usage lines ("comment N TEXT..."), as people read them
    "arg.a": "A",
    "arg.at": "WORDS",
    "arg.answer": "ANSWER",
    "arg.b": "B",
    "arg.code": "CODE",
    "arg.confirm": "CONFIRM",
    "arg.duration": "DURATION",
    "arg.expiry": "EXPIRY",
    "arg.format": "FORMAT",
    "arg.group": "GROUP",
    "arg.id": "ID",
    "arg.language": "LANGUAGE",
    "arg.m": "M",
    "arg.n": "N",
    "arg.name": "NAME",
    "arg.note": "NOTE",
    "arg.reason": "REASON",
    "arg.text": "TEXT",
    "arg.times": "TIMES",
    "arg.title": "TITLE",
    "arg.uses": "USES",
    "arg.value": "VALUE",
    "arg.version": "VERSION",
    "arg.when": "WHEN",
    "arg.zone": "ZONE",
    "not_understood": "I did not understand that. Send /help to see the commands you can use.",
    "group.use_private": (
        "To keep your position private, I only take input in a private chat. Write to me directly."
    ),
    "button.stale": "That button belongs to an earlier step. Send /review to continue where you are.",
    "choice.prompt": "Reply with a number:",
    "choice.out_of_range": (
        "There is only one choice: reply with {count} to take it.",
        "Reply with a number from 1 to {count}.",
    ),
    "internal_error": "Something went wrong on my side and nothing was recorded. Please try again.",
    # drafts and consultations
    "new.no_title": "Give the consultation a title: /new TITLE.",
    "new.created": (
        "Consultation “{title}” created (id {id}).\nNow send the draft: a .md, .txt or .docx file, "
        "or paste its text in one message (paragraphs separated by blank lines)."
    ),
    "new.send_draft_again": "Send the draft again, or /cancel.",
    "draft.none": "This consultation has no draft yet. Send /draft load, then the draft as a file or pasted text.",
    # the draft as a document: loading, its outline, fixing its split (bot/handlers/drafting.py)
    "help.draft": "the draft's structure: sections, numbered paragraphs, notes",
    "help.draft_load": "load the draft, or replace it before the first round; send it next",
    "help.draft_exclude": "paragraph N is not reviewed: it stays as a note",
    "help.draft_include": "note N becomes a paragraph to review",
    "help.draft_merge": "paragraphs N to M become one",
    "help.draft_split": "paragraph N becomes two, the second starting at the words AT",
    "help.draft_edit": "paragraph N reads TEXT instead",
    "draft.send": "Send the draft: a .md, .txt or .docx file, or its text in one message (or /cancel).",
    "draft.loaded": (
        "Draft version {version} loaded with {count} paragraph to review{sections}{notes}. Master language: {name}.",
        "Draft version {version} loaded with {count} paragraphs to review{sections}{notes}. Master language: {name}.",
    ),
    "draft.loaded_sections": (" in {count} section ({names})", " in {count} sections ({names})"),
    "draft.loaded_notes": (
        ", and {count} note nobody votes on ({kinds})",
        ", and {count} notes nobody votes on ({kinds})",
    ),
    "draft.opening": "Statement",
    "note.date": "date",
    "note.reference": "reference",
    "note.signature": "signature",
    "note.link": "link",
    "note.table": "table",
    "note.footnote": "footnote",
    "note.text": "excluded text",
    "count.notes": ("{count} note", "{count} notes"),
    "count.groups": ("{count} group", "{count} groups"),
    "draft.remark.tracked_changes": "The Word file has tracked changes: I took its text with every change accepted.",
    "draft.remark.comments": "Comments in the Word file were left out.",
    "draft.remark.images": (
        "{count} picture was left out: delegates review the text only.",
        "{count} pictures were left out: delegates review the text only.",
    ),
    "draft.remark.right_to_left": "Right-to-left text is kept as written.",
    "draft.remark.numbering_restarts": "The typed numbers start again at paragraph {number} ({label}). I number the paragraphs 1 to the end and keep the typed numbers as labels.",
    "draft.translations_stale": "Translations loaded for the earlier text are out of date where it changed: load them again with /translate LANG.",
    "draft.outline_header": "“{title}”, version {version}: {paragraphs} to review, {notes}. It can be changed until a round opens on it.",
    "draft.outline_frozen": "“{title}”, version {version}: {paragraphs}, {notes}. A round has opened on it, so changes are amendments now.",
    "draft.outline_heading": "§ {text}",
    "draft.outline_paragraph": "  {number}. {text}",
    "draft.outline_note": "  · note {number} ({kind}): {text}",
    "draft.fix_hint": "To fix the split: /draft exclude N, /draft include N (a note), /draft merge N M, /draft split N WORDS, /draft edit N TEXT; /draft load replaces the whole draft.",
    "draft.frozen": "Round {round} has opened on version {version}, so its text no longer changes: changes are amendments now, decided and then published.",
    "draft.load_published": "Version {version} was cut from accepted amendments, so it is not replaced: fix a paragraph with /draft edit N TEXT.",
    "draft.now": "The draft now has {paragraphs} to review and {notes}.",
    "draft.excluded": "Paragraph {number} is no longer reviewed: it stays in the text as note {note}.",
    "draft.included": "Note {note} is now paragraph {number}, to review.",
    "draft.merged": "Paragraphs {first} to {last} are now one: paragraph {first}.",
    "draft.split": "Paragraph {number} is now two; the second, paragraph {next}, starts at “{text}”.",
    "draft.edited": "Paragraph {number} now reads:\n{text}",
    "draft.edit_refused": "That change cannot be made to the draft.",
    "draft.unknown_note": "There is no note {number}: the draft has notes 1 to {last}. Send /draft to see them.",
    "draft.last_paragraph": "That is the only paragraph to review; a draft needs at least one. Load another with /draft load.",
    "draft.include_table": "Note {number} is a table, which cannot be reviewed as one paragraph. Write the words to review with /draft edit, or load the draft again.",
    "draft.merge_order": "Give the first paragraph, then a later one (/draft merge {first} {last} would merge nothing).",
    "draft.merge_sections": "Paragraphs {first} to {last} are not all in one section, so they cannot become one paragraph.",
    "draft.split_not_found": "Paragraph {number} has no “{text}” after its first words. Give the words the new paragraph starts with, as they are written.",
    "error.draft_nothing_to_review": "That draft has headings and notes (dates, references, links) but no paragraph to review. Send the statement's text, paragraphs separated by blank lines.",
    # putting a consultation away (bot/handlers/archive.py)
    "help.consultation_archive": "hide a consultation from every list (nothing is lost)",
    "help.consultation_delete": "delete a consultation that never had a round",
    "consultation.unknown": "There is no consultation {id} that you facilitate. Send /consultations to list yours.",
    "consultation.already_archived": "Consultation {id} is already archived.",
    "consultation.round_live": "Round {number} is {state}. Close it before archiving the consultation.",
    "consultation.archived": "“{title}” (id {id}) is archived: it no longer appears in anybody's consultations. Nothing in it is lost; /use {id} still opens it.",
    "consultation.has_rounds": "Consultation {id} has had rounds (the last, round {number}), so its record stays. Archive it instead: /consultation archive {id}.",
    "consultation.ask_delete": "Delete “{title}” (id {id}), with its draft, invites and members? This cannot be undone.",
    "consultation.button_delete": "Delete it",
    "consultation.deleted": "“{title}” (id {id}) is deleted.",
    "error.draft": "The draft could not be read.",
    "error.draft_empty": "I found no paragraphs in that draft. Send text with paragraphs separated by blank lines.",
    "error.draft_unsupported": "{filename} is not a format I can read. Send one of: {accepted}.",
    "error.draft_unreadable": "{filename} could not be read ({reason}). Send it again as .md, .txt or .docx.",
    "error.file_too_large": "That file is too large: I can take files up to {megabytes} MB. Send a smaller file, or paste the text in a message.",
    "error.generic": "That could not be done.",
    "error.round": "The round does not allow that now.",
    "error.round_transition": "A round that is {state} cannot be asked to {action}.",
    "error.submission": "That input could not be recorded.",
    "error.unknown_paragraph": (
        "There is no paragraph {number}: the draft has {count} paragraph.",
        "There is no paragraph {number}: the draft has paragraphs 1 to {count}.",
    ),
    "error.empty_text": "The text is empty. Write your comment or proposed text after the paragraph number.",
    "error.text_too_long": (
        "That text has {count} character; the limit is {limit}. Shorten it and send it again.",
        "That text has {count} characters; the limit is {limit}. Shorten it and send it again.",
    ),
    "error.amendment_unchanged": "The proposed text is the same as the paragraph. Send the text as you want it to read.",
    "error.amendment_conflict": "Paragraph {number} has more than one accepted amendment ({ids}). Reject all but one, then /publish.",
    "error.nothing_to_publish": "No accepted amendment is waiting to be published. Accept some with /accept ID first.",
    # rounds
    "round.none_yet": "No round has been opened in this consultation yet.",
    "round.not_yet_open": "Round {number} has not opened yet. You will be told when it does.",
    "round.closed_for_input": "Round {number} is closed, so input is no longer taken. Your earlier input is kept.",
    "round.already_open": "Round {number} is already open. Close it before opening another.",
    "round.no_open_round": "There is no open round. Open one with /round open DURATION.",
    "round.opened": (
        "Round {number} is open on version {version}; it closes {closes} ({left} left). {count} stakeholder has been told.",
        "Round {number} is open on version {version}; it closes {closes} ({left} left). {count} stakeholders have been told.",
    ),
    "round.announce": (
        "Round {number} of “{title}” is open: {count} paragraph of version {version} to review. It closes {closes} ({left} left).\nSend /review to begin.",
        "Round {number} of “{title}” is open: {count} paragraphs of version {version} to review. It closes {closes} ({left} left).\nSend /review to begin.",
    ),
    "round.extended": "Round {number} extended: it now closes {closes} ({left} left).",
    "round.extended_notice": "Round {number} of “{title}” has been extended: it now closes {closes} ({left} left).",
    "round.closed": "Round {number} is closed.",
    "round.closed_notice": "Round {number} of “{title}” is closed. Thank you for your input.",
    "round.summary_notice": "Round {number} of “{title}” has closed. Summary:\n{summary}",
    "remind.sent": (
        "Reminder sent to {count} stakeholder who has not answered every paragraph.",
        "Reminder sent to {count} stakeholders who have not answered every paragraph.",
    ),
    "round.scheduled": "Round {number} will open {opens} and close {closes} ({length}). Stakeholders will be told when it opens, and so will you.",
    "round.scheduled_notice": "Round {number} of “{title}” will open {opens} and close {closes}. You will be told when it opens.",
    "timezone.set": "Your time zone is now {zone}. Times are shown to you in it.",
    "timezone.current": "Your time zone is {zone}. Change it with /timezone ZONE, e.g. /timezone Europe/Zurich.",
    "error.schedule": "That schedule could not be understood.",
    "error.unknown_zone": "“{zone}” is not a time zone I know. Did you mean {suggestion}?",
    "error.bad_time": "“{text}” is not a time I can read. Write e.g. /round schedule 2026-12-01 09:00 2026-12-04 17:00 Europe/Zurich, or a start and a duration such as 72h.",
    "error.ambiguous_time": "{when} happens twice in {zone} (clocks go back that night). Pick a time an hour earlier or later.",
    "error.nonexistent_time": "{when} does not exist in {zone} (clocks go forward that night). Pick another time.",
    "error.past_time": "{when} is already past. Give a time in the future.",
    "error.too_far": "A round may last at most {limit} and open at most {ahead} from now. Give dates within those limits.",
    "error.end_before_start": "The round must close after it opens.",
    "when.today": "today at {time}",
    "when.tomorrow": "tomorrow at {time}",
    "when.day": "on {date} at {time}",
    "help.round_reminders": "show or set when the round reminds those who have not answered: TIMES before it closes (e.g. 24h 2h), or off",
    "reminders.off": "Round {number} sends no reminders; /remind nudges by hand. /round reminders TIMES sets some (before the close, e.g. 24h 2h).",
    "reminders.list": "Reminders to those who have not answered every paragraph of round {number}: {times}. Change them with /round reminders TIMES (before the close, e.g. 24h 2h) or /round reminders off.",
    "reminders.at": "{at} ({left} before the close)",
    "reminders.no_round": "There is no open or scheduled round to remind for. Open or schedule one first.",
    "reminders.bad": "“{text}” is not a time before the close. Give times such as 24h 2h 30m, shorter than the round, or off.",
    "help.round_schedule": "open and close a round at given times (START END [ZONE], or START DURATION)",
    "help.timezone": "show or set your time zone",
    "remind.notice": "Reminder: round {number} of “{title}” closes {closes} ({left} left) and we have not heard from you yet. Send /review to begin.",
    "remind.notice_some": (
        "Reminder: round {number} of “{title}” closes {closes} ({left} left). You have answered {answered} of its {count} paragraph; send /review to go on from the first you have not answered.",
        "Reminder: round {number} of “{title}” closes {closes} ({left} left). You have answered {answered} of its {count} paragraphs; send /review to go on from the first you have not answered.",
    ),
    "remind.none": "Every stakeholder has answered every paragraph: nobody to remind.",
    "round.opened_notice": (
        "Round {number} of “{title}” opened as scheduled on version {version}: {count} stakeholder told. It closes {closes} ({left} left).",
        "Round {number} of “{title}” opened as scheduled on version {version}: {count} stakeholders told. It closes {closes} ({left} left).",
    ),
    "state.scheduled": "scheduled",
    "state.open": "open",
    "state.closed": "closed",
    "state.cancelled": "cancelled",
    "status.header": "“{title}”, round {number} ({state}):",
    "status.closes": "It closes {closes} ({left} left).",
    "status.group": "{group}: every paragraph {all}, some {some}, none {none} (of {invited})",
    "status.all": "  every paragraph: {names}",
    "status.some": "  some: {names}",
    "status.none": "  none yet: {names}",
    "status.progress": "{name} ({answered}/{total})",
    "status.unnamed": (
        "{count} person not named",
        "{count} people not named",
    ),
    "status.nobody_invited": "No stakeholder has joined yet. Create codes with /invite GROUP.",
    # invites
    "invite.unknown_group": "“{group}” is not a stakeholder group here. Use one of: {groups} (or facilitator, secretariat).",
    "invite.created": (
        "Invite code for {who} ({count} use, until {expires}):\n{code}\n{links}",
        "Invite code for {who} ({count} uses, until {expires}):\n{code}\n{links}",
    ),
    # review and input
    "review.intro": "Review of “{title}”, version {version}, round {round}: it closes {closes} ({left} left).\nAttribution: {attribution}.",
    "review.progress": (
        "You have answered {answered} of {count} paragraph.",
        "You have answered {answered} of {count} paragraphs.",
    ),
    "review.resume": "Going on from paragraph {number}, the first you have not answered (/review all starts again from paragraph 1).",
    "review.all_answered": "You have answered every paragraph. Send /review all to go through them again (a new answer replaces your stance), or /mine to see your input.",
    "review.changed_offer": (
        "Since version {old}, which you reviewed, {count} paragraph has changed: {numbers}. Review only that one, or all of them?",
        "Since version {old}, which you reviewed, {count} paragraphs have changed: {numbers}. Review only those, or all of them?",
    ),
    "review.changed": "Changed since version {version} by amendment {sources}:",
    "review.changed_by_facilitator": "Changed since version {version}:",
    "review.ask_reason": "Why do you oppose paragraph {number}? A reason helps the drafters: reply with it, or skip.",
    "review.paragraph": "Paragraph {number} of {total}:\n\n{text}",
    "review.chosen": "Paragraph {number}: {choice} (#{id})\n\n{text}",
    "review.ask_comment": "Your comment on paragraph {number}? Reply with its text (or /cancel).",
    "review.ask_amend": "Your proposed text for paragraph {number}? Reply with the whole paragraph as you want it to read (or /cancel). It now reads:\n{text}",
    "review.done": (
        "You have answered the draft's {count} paragraph. Thank you! Send /mine to see your input.",
        "You have answered all {count} paragraphs. Thank you! Send /mine to see your input.",
    ),
    "review.done_partly": (
        "End of the review: you have answered {answered} of {count} paragraph. Send /review to go back to the first you have not answered.",
        "End of the review: you have answered {answered} of {count} paragraphs. Send /review to go back to the first you have not answered.",
    ),
    "review.done_changed": (
        "End of the changed paragraphs. You have answered {answered} of {count} paragraph; /review all goes through every one.",
        "End of the changed paragraphs. You have answered {answered} of {count} paragraphs; /review all goes through every one.",
    ),
    "button.support": "Support",
    "button.oppose": "Oppose",
    "button.comment": "Comment",
    "button.amend": "Amend",
    "button.skip": "Skip",
    "button.back": "Back",
    "button.changed_only": "Only the changed paragraphs",
    "button.all_paragraphs": "All paragraphs",
    "button.skip_reason": "Skip",
    "kind.support": "support",
    "kind.oppose": "oppose",
    "kind.abstain": "abstain",
    "kind.comment": "comment",
    "kind.amendment": "amendment",
    "kind.endorsement": "endorsement",
    "input.recorded": "Recorded #{id}: {kind} on paragraph {number}. Send /withdraw {id} to take it back.",
    "input.reason_hint": "To say why, send /comment {number} followed by your reason.",
    "mine.header": "Your input on “{title}”:",
    "mine.line": "#{id} · round {round} · paragraph {number} · {kind}{text}{status}",
    "mine.none": "You have not given any input in this consultation yet. Send /review to begin.",
    "mine.withdrawn": "withdrawn",
    "mine.superseded": "replaced by a later stance",
    "mine.hidden": "hidden by a facilitator",
    "mine.accepted": "accepted",
    "mine.rejected": "rejected",
    "withdraw.not_yours": "#{id} is not one of your submissions. Send /mine to see yours.",
    "withdraw.already": "#{id} was already withdrawn.",
    "withdraw.closed": "#{id} belongs to a closed round, so it stays in the record.",
    "withdraw.done": "#{id} withdrawn.",
    "endorse.done": "Recorded #{endorsement}: you endorse #{id} on paragraph {number}. Send /withdraw {endorsement} to take it back.",
    "endorse.unknown": "#{id} is not an amendment or comment of the open round. Ask the facilitator for its number.",
    "endorse.own": "#{id} is your own; endorse what others propose.",
    "endorse.already": "You already endorse #{id} (#{endorsement}). Send /withdraw {endorsement} to take it back.",
    # amendments and versions
    "amendments.header": "Amendments of round {number}:",
    "amendments.line": "#{id} · paragraph {number} · {author} · {state}\n  “{text}”",
    "amendments.open": "open",
    "amendments.none": "Round {number} has no amendments.",
    "decide.unknown": "#{id} is not an amendment in this consultation. Send /amendments to list them.",
    "decide.round_open": "Round {number} is still open. Close it before deciding amendments.",
    "decide.already": "#{id} has already been decided.",
    "decide.accepted": "Amendment #{id} accepted. Send /publish to cut the next version.",
    "decide.rejected": "Amendment #{id} rejected.",
    "amendments.paragraph": "¶{number}",
    "amendments.support": "  Endorsed by {groups}",
    "amendments.no_support": "  No endorsements",
    "amendments.conflict": (
        "  ⚠ {count} accepted amendment ({ids}): write the combined text with /merge {number} TEXT (paste one of them to keep it as it is).",
        "  ⚠ {count} accepted amendments ({ids}): write the combined text with /merge {number} TEXT (paste one of them to keep it as it is).",
    ),
    "amendments.merged": "  Merged text for publishing, from {ids}: “{text}”",
    "merge.round_open": "Round {number} is still open. Close it and decide the amendments first.",
    "merge.nothing": "Paragraph {number} has no accepted amendment waiting to be published. Accept amendments first.",
    "merge.done": "Paragraph {number} will read as your text, recorded as merging {ids}. Send /publish to cut the next version.",
    "publish.conflict": "Paragraph {number} has more than one accepted amendment ({ids}). Write the text that combines them with /merge {number} TEXT, then /publish.",
    "amendments.language": "  Made on the {name} version: accepting it needs its {master} wording (/accept {id} TEXT).",
    "amendments.wording": "  To publish, in {master}: “{text}”",
    "decide.ask_wording": "Amendment #{id} was made on the {name} version: “{text}”\nThe next version takes only {master} text. Send paragraph {number} as it should read in {master} with this amendment (or /cancel). It now reads:\n{current}",
    "decide.send_wording_again": "Send the wording again, or /cancel.",
    "decide.wording_taken": "Paragraph {number} will read:\n{text}\nIts {name} version will be out of date once published, until you load it again with /translate {code}.",
    "publish.needs_wording": "Amendment #{id} was made on the {name} version and has no wording in the master language yet. Write paragraph {number}'s next text with /merge {number} TEXT, then /publish.",
    "publish.translation_stale": "The {name} version is out of date at ¶{numbers}: delegates see the original there until you load it again with /translate {code}.",
    "review.stale": "(The {name} version of this paragraph is being updated; this is the original text.)",
    "translate.master": "The draft is written in {name}: that is its master text, not a translation.",
    "decide.notice_accepted": "Your amendment #{id} to “{title}” was accepted. Note: {note}",
    "decide.notice_rejected": "Your amendment #{id} to “{title}” was rejected. Reason: {note}",
    "publish.round_open": "Round {number} is still open. Close it before publishing.",
    "publish.done": (
        "Version {version} published with {count} accepted amendment.",
        "Version {version} published with {count} accepted amendments.",
    ),
    "publish.notice": (
        "Version {version} of “{title}” has been published ({count} amendment accepted). Send /read to read it, /diff to see what changed.",
        "Version {version} of “{title}” has been published ({count} amendments accepted). Send /read to read it, /diff to see what changed.",
    ),
    "versions.header": "Versions of “{title}”:",
    "versions.line": "v{number} · {at} · {paragraphs} · {changed}",
    "versions.changed": (
        "{count} changed by an amendment",
        "{count} changed by amendments",
    ),
    "count.paragraphs": ("{count} paragraph", "{count} paragraphs"),
    "versions.paragraph": "  ¶{number} from {sources}",
    "diff.header": (
        "Changes from version {a} to version {b} ({count} paragraph):",
        "Changes from version {a} to version {b} ({count} paragraphs):",
    ),
    "diff.paragraph": "¶{number}: {diff}",
    "diff.none": "Versions {a} and {b} have the same text.",
    "diff.only_one": "There is only one version so far; nothing to compare.",
    "diff.unknown": "There is no version {a} or {b}; the latest is {latest}.",
    "diff.sources": "  From amendment {sources}",
    "read.header": "“{title}”, version {version} of {at}:",
    "read.round_open": "Round {number} is open: it closes {closes} ({left} left). Send /review to give your input.",
    "read.changes_reviewed": (
        "{count} paragraph changed since version {version}, which you reviewed: {numbers}.",
        "{count} paragraphs changed since version {version}, which you reviewed: {numbers}.",
    ),
    "read.changes": (
        "{count} paragraph changed since version {version}: {numbers}.",
        "{count} paragraphs changed since version {version}: {numbers}.",
    ),
    "read.paragraph": "¶{number} {text}",
    "read.changed_by": "  (changed by amendment {sources})",
    "read.changed_by_facilitator": "  (changed by the facilitator)",
    # summaries
    "summary.header": "Summary of “{title}”, round {number}",
    "summary.participation": "Answered: {groups}",
    "summary.participation_group": "{group} {answered}/{invited}",
    "summary.paragraph": "¶{number} “{text}”",
    "summary.votes": "  {group}: {support} support, {oppose} oppose, {abstain} abstain",
    "summary.too_few_to_count": "(too few votes to count)",
    "summary.consensus": "  Consensus {value}",
    "summary.unheard": "  Not heard: {groups}",
    "summary.quote": "  #{id} {author}: “{text}”",
    "summary.raised_by": (
        "(raised by {count} delegate from {groups})",
        "(raised by {count} delegates from {groups})",
    ),
    "summary.raised_by_group": (
        "(raised by {count} delegate of {group})",
        "(raised by {count} delegates of {group})",
    ),
    "summary.more_comments": (
        "  … and {count} more comment",
        "  … and {count} more comments",
    ),
    "summary.too_few_for_themes": (
        "  {count} comment, too few for themes; as it was written:",
        "  {count} comments, too few for themes; as they were written:",
    ),
    "summary.amendment": "  Amendment #{id} by {author}: “{text}”",
    "summary.amendment_support": "    Endorsed by {groups}",
    "summary.amendment_no_support": "    No endorsements yet",
    "summary.theme": (
        "  Theme “{label}”: {count} comment ({groups})",
        "  Theme “{label}”: {count} comments ({groups})",
    ),
    "summary.not_heard_groups": "No answer yet from: {groups}",
    "summary.position.support": (
        "{group} {count} of {votes} support",
        "{group} {count} of {votes} support",
    ),
    "summary.position.oppose": (
        "{group} {count} of {votes} oppose",
        "{group} {count} of {votes} oppose",
    ),
    "summary.position.split": "{group} split ({support} support, {oppose} oppose, {abstain} abstain)",
    "summary.position.too_few": "{group} too few votes to tell ({votes} of {members})",
    "summary.position.unheard": "{group} not heard",
    "summary.standing.common_ground": "common ground",
    "summary.standing.divided": "groups divided",
    "summary.standing.opposed": "opposed by every group heard",
    "summary.standing.contested": "contested",
    "summary.standing.open": "too few groups heard to tell",
    "summary.positions_rule": "How to read it: a group supports (or opposes) a paragraph when at least {threshold}% of its votes do, abstentions counted; a large group needs votes from half its members, {min_votes} at most, to count. Common ground: every group heard supports. Groups divided: some support while others oppose.",
    "summary.consensus_rule": (
        "Consensus (Pol.is's group-informed consensus, from 0 to 1, near 1 when every group supports) is shown only where every group cast at least {count} vote: with fewer it would measure little.",
        "Consensus (Pol.is's group-informed consensus, from 0 to 1, near 1 when every group supports) is shown only where every group cast at least {count} votes: with fewer it would measure little.",
    ),
    "summary.digest.common_ground": (
        "Common ground, keep as it is ({count}): {paragraphs}",
        "Common ground, keep as it is ({count}): {paragraphs}",
    ),
    "summary.digest.groups_unheard": "(not heard: {groups})",
    "summary.digest.no_common_ground": "Common ground: none yet.",
    "summary.digest.disputed": (
        "In dispute ({count}):",
        "In dispute ({count}):",
    ),
    "summary.digest.dispute": "¶{number} {standing}: {positions}",
    "summary.digest.no_dispute": "In dispute: none.",
    "summary.digest.open": "Too few groups heard to tell: {paragraphs}",
    "summary.digest.silent": "Nobody said anything on: {paragraphs}",
    "summary.digest.amendments": "Amendments, most backed across groups first:",
    "summary.digest.amendment": "#{id} ¶{number} by {author}; {backing}: “{text}”",
    "summary.digest.backing": (
        "endorsed by {groups}; groups behind it: {count}",
        "endorsed by {groups}; groups behind it: {count}",
    ),
    "summary.digest.no_backing": "no endorsements yet",
    "summary.digest.more": (
        "… and {count} more in the attached file",
        "… and {count} more in the attached file",
    ),
    "summary.digest.unheard": "Not heard on some paragraphs: {groups}",
    "summary.digest.unheard_on": "{group} on {paragraphs}",
    "summary.digest.said": "What delegates wrote:",
    "summary.digest.themes": (
        "¶{number} · {count} comment; themes: {themes}",
        "¶{number} · {count} comments; themes: {themes}",
    ),
    "summary.digest.few": (
        "¶{number} · {count} comment, too few for themes",
        "¶{number} · {count} comments, too few for themes",
    ),
    "summary.method.tfidf": "Method: extractive; themes by TF-IDF keywords within each language, quotes verbatim with their ids.",
    "summary.method.embeddings": "Method: extractive; themes by sentence embeddings (all-MiniLM-L6-v2) within each language, quotes verbatim with their ids.",
    "summary.method.abstractive": "Method: abstractive, written by {model} from the extractive summary and checked to cite only submissions that exist. The extractive summary is attached.",
    "summary.embeddings_unavailable": "Sentence embeddings are configured but unavailable ({reason}); themes by TF-IDF instead.",
    "summary.abstractive_failed": "The abstractive summary was not used ({reason}); this is the extractive summary.",
    "summary.md.digest": "What to act on",
    "summary.md.prose": "Summary in prose",
    "summary.md.participation": "Who answered",
    "summary.md.answered": "Answered / invited",
    "summary.md.agreement": "Support share",
    "summary.md.position": "Position",
    "summary.md.position.support": "supports",
    "summary.md.position.oppose": "opposes",
    "summary.md.position.split": "split",
    "summary.md.position.too_few": "too few votes to tell",
    "summary.md.position.unheard": "not heard",
    "summary.md.divergence": (
        "Divergence: {count} point between the most and the least supportive group.",
        "Divergence: {count} points between the most and the least supportive group.",
    ),
    "summary.md.divergence_rule": "Divergence: the gap in support share between the most and the least supportive group, among the groups that have a position.",
    "summary.md.themes": "Themes",
    "summary.md.comments": "All comments",
    "summary.md.same_point": "the same point, also made in {ids}",
    "summary.md.variant": "#{id} in other words: “{text}”",
    "summary.md.amendments": "Amendments",
    # Delphi feedback: delegates see what the groups said and what was decided
    "help.feedback": "whether delegates receive what the groups said after a round (Delphi feedback), and what they would read",
    "help.feedback_on": "send delegates what the groups said, with your decisions, when you publish",
    "help.feedback_off": "stop sending delegates the digest of each round",
    "help.feedback_send": "send delegates the latest closed round's digest now",
    "feedback.on": "Delphi feedback is on: when you publish the next version, every delegate receives what the groups said in the round, with your decisions and reasons (or send it now with /feedback send). Turn it off with /feedback off.",
    "feedback.off": "Delphi feedback is off: delegates do not receive what the groups said. Turn it on with /feedback on.",
    "feedback.is_off": "Delphi feedback is off for this consultation. Turn it on with /feedback on, then send it.",
    "feedback.round_not_closed": "Round {number} is not closed yet. Close it and decide its amendments, then send the feedback.",
    "feedback.already_sent": "Delegates already received the digest of round {number}.",
    "feedback.sent": (
        "The digest of round {number} has been sent to {count} delegate.",
        "The digest of round {number} has been sent to {count} delegates.",
    ),
    "feedback.reminder": "Delphi feedback is on: delegates will receive this round's digest, with your decisions, when you publish (or now with /feedback send).",
    "feedback.digest": "{digest}",
    "feedback.header": "What the groups said in round {number} of “{title}”, and what the facilitator decided:",
    "feedback.standing": "  {standing}: {positions}",
    "feedback.no_votes": "  Nobody voted on it.",
    "feedback.amendment.accepted": "  Amendment #{id} by {author}, “{text}”: accepted. {note}",
    "feedback.amendment.rejected": "  Amendment #{id} by {author}, “{text}”: rejected. Reason: {note}",
    "feedback.amendment.open": "  Amendment #{id} by {author}, “{text}”: not decided yet.",
    "feedback.footer": "Attribution: {attribution}. You can react in the next round: send /review when it opens.",
    # languages and language versions of the draft
    "help.language": "show or change the language I write to you in",
    "help.translate": "load the draft in another language (en, fr or es); send it next",
    "language.current": "I write to you in {name} ({code}). Available: {available}. Change it with /language CODE, e.g. /language fr.",
    "language.set": "From now on I write to you in {name}.",
    "language.unknown": "“{code}” is not a language I speak. Use one of: {available}.",
    "translate.send": (
        "Send version {version} of the draft in {name}: a .md, .txt or .docx file, or its text in one message, with the same {count} paragraph (or /cancel).",
        "Send version {version} of the draft in {name}: a .md, .txt or .docx file, or its text in one message, with the same {count} paragraphs in the same order (or /cancel).",
    ),
    "translate.send_again": "Send the {name} text again, or /cancel.",
    "translate.count_mismatch": (
        "Version {version} has {expected} and this text has {count} paragraph. Paragraphs are matched by position, so the text must have as many, in the same order.",
        "Version {version} has {expected} and this text has {count} paragraphs. Paragraphs are matched by position, so the text must have as many, in the same order.",
    ),
    "translate.loaded": (
        "Version {version} in {name} loaded ({count} paragraph); stakeholders who read {name} now review this text:\n{preview}",
        "Version {version} in {name} loaded ({count} paragraphs); stakeholders who read {name} now review this text:\n{preview}",
    ),
    # exports
    "export.unknown_format": "“{format}” is not an export format. Use one of: {formats}.",
    "export.ready": "Here is {filename}.",
    "export.generated": "Record generated {at}. Attribution: {attribution}.",
    "export.current_version": "Draft position, version {number}",
    "export.from_amendments": "from amendment {ids}",
    "export.round": "Round {number} (on version {version})",
    "export.round_times": "Opened {opened}, closed {closed} ({state}).",
    "export.paragraph": "Paragraph {number}",
    "export.group": "Group",
    "export.decisions": "Decisions on amendments",
    "export.applied_in": "(in version {number})",
    "export.history": "Version history",
    "export.unknown_version": "There is no version {number}; the latest is version {latest}.",
    "export.no_draft": "There is no draft yet.",
    "export.language": "en",
    "export.contents": "Contents",
    "export.tracked_against": "Changes from version {parent} appear as tracked changes, each attributed to the stakeholder group whose amendment made it.",
    "export.revision_author": "{groups} (amendment {ids})",
    "export.revision_authors": "{groups} (amendments {ids})",
    "export.revision_facilitator": "Facilitator",
    "export.annex": "Annex: what the stakeholder groups said",
    "export.amendment": "Amendment",
    "export.paragraph_short": "Paragraph",
    "export.author": "Proposed by",
    "export.decision": "Decision",
    "export.note": "Note and text",
    "export.total": "Total",
    "export.abstain": "Abstain",
    "export.common_ground": "Common ground",
    "export.standing": "Where the groups stand",
    "export.consensus": "Consensus",
    "export.divergence_label": "Divergence",
    "export.divergence": "divergence {value}",
    "export.themes": "Themes",
    "export.theme_size": ("{count} comment", "{count} comments"),
    "export.comments": "Comments",
    "export.amendments": "Amendments",
    "export.participation": "Participation by group: answered, of those invited",
    "export.participation_over_time": "Input by group over the round",
    "export.consensus_divergence": "Consensus and divergence by paragraph",
    "export.votes_chart": "Support, oppose and abstain by group on paragraph {number}",
}


# A language's texts by key, as a test may give them: a template, or a counted message's
# forms in the order of the language's plural forms.
Table = Mapping[str, i18n.English | Sequence[str]]


class Catalog:
    """Texts by key and language; English is the reference every other language follows.

    Other languages come from the gettext catalogs in bot/locale (`bot.i18n`); a table
    given for a language here takes precedence (tests use it). Anything a language lacks,
    or a translation that does not fit its values, is said in English instead.

    A counted message (a pair of English forms in `ENGLISH`) takes its form from the
    `count` value, in each language by that language's plural rule. Values are written
    for the reader: a `timedelta` as a duration ('3 days'), a `LocalTime` or a `Deadline`
    in their language. A command in a template is written `/review`; `command_prefix`
    puts the prefix of the reader's platform in its place (`!review` on Matrix).
    """

    def __init__(self, languages: Mapping[str, Table] | None = None) -> None:
        self.languages: dict[str, Table] = {"en": ENGLISH, **(languages or {})}

    def template(self, key: str, language: str | None = None, count: int = 1) -> str:
        english = ENGLISH[key]
        table = self.languages.get(i18n.base(language) or "en")
        if table is None:
            return i18n.template_for(key, english, language, count)
        found = table.get(key) or english
        if isinstance(found, str):
            return found
        if table is ENGLISH:
            return i18n.template_for(key, english, None, count)
        return found[min(i18n.plural_index(language, count), len(found) - 1)]

    def text(
        self, key: str, language: str | None = None, *, command_prefix: str = "/", **values: Any
    ) -> str:
        """The message in `language`; a styled value is written out plain."""
        plain = {k: v.plain() if isinstance(v, Styled) else v for k, v in values.items()}
        return self._format(key, language, command_prefix, plain)

    def styled(
        self, key: str, language: str | None = None, *, command_prefix: str = "/", **values: Any
    ) -> Styled:
        """The message in `language`, keeping the marks of its styled values (a diff)."""
        pieces: dict[str, Styled] = {}
        for name, value in values.items():
            if isinstance(value, Styled):
                token = f"\x00{len(pieces)}\x00"
                pieces[token] = value
                values[name] = token
        text = self._format(key, language, command_prefix, values)
        if not pieces:
            return Styled.of(text)
        return Styled.join("", (pieces.get(part, part) for part in _TOKENS.split(text)))

    def _format(
        self, key: str, language: str | None, prefix: str, values: Mapping[str, Any]
    ) -> str:
        english = ENGLISH[key]
        count = _count(key, english, values)
        code = i18n.supported(language)
        template = _for_reader(self.template(key, language, count), code, prefix)
        shown = {k: self._shown(v, code) for k, v in values.items()}
        try:
            return template.format(**shown)
        except (KeyError, IndexError, ValueError):
            fallback = i18n.template_for(key, english, None, count)
            if template == fallback:
                raise  # a bug in the caller, not in a translation
            log.warning("translation does not fit its values key=%s language=%s", key, code)
            return fallback.format(**shown)

    def _shown(self, value: Any, language: str) -> Any:
        """A value as the reader reads it."""
        if isinstance(value, Localised):
            return value.render(language)
        if isinstance(value, timedelta):
            return i18n.format_duration(value, language)
        if isinstance(value, Deadline):
            return self._deadline(value, language)
        return value

    def _deadline(self, deadline: Deadline, language: str) -> str:
        tz = _zone_or_utc(deadline.zone)
        at, today = deadline.at.astimezone(tz), deadline.now.astimezone(tz).date()
        clock = i18n.format_clock(at, language)
        if at.date() == today:
            return self._format("when.today", language, "/", {"time": clock})
        if at.date() == today + timedelta(days=1):
            return self._format("when.tomorrow", language, "/", {"time": clock})
        day = i18n.format_day(at, language, with_year=at.year != today.year)
        return self._format("when.day", language, "/", {"date": day, "time": clock})


_TOKENS = re.compile(r"(\x00\d+\x00)")  # where `Catalog.styled` puts its styled values
# A command in a template: '/' before a lower-case word, at the start or after a space or
# an opening mark (not in 'and/or', '{answered}/{invited}' or https://).
_COMMAND = re.compile(r"(?<![^\s(“«\"'‘¿¡\u00a0\u202f])/(?=[a-z])")


@lru_cache(maxsize=4096)  # a few hundred templates, each in a few languages and prefixes
def _for_reader(template: str, language: str, prefix: str) -> str:
    """A template with its language's typography, and commands in the platform's form."""
    template = i18n.typography(template, language)
    return template if prefix == "/" else _COMMAND.sub(prefix, template)


def _count(key: str, english: i18n.English, values: Mapping[str, Any]) -> int:
    """The count that chooses a counted message's form (1 for any other message)."""
    if isinstance(english, str):
        return 1
    count = values.get(i18n.COUNT)
    if not isinstance(count, int):
        raise TypeError(f"{key} is a counted message: give count=<int>, not {count!r}")
    return count


def _zone_or_utc(name: str | None) -> ZoneInfo:
    try:
        return zone(name) if name else ZoneInfo("UTC")
    except UnknownZone:
        return ZoneInfo("UTC")


@dataclass(frozen=True)
class Deadline:
    """When something will happen, as the reader says it, from `now`: 'today at 17:00 CET',
    'tomorrow at 09:00 CET', 'on Fri, Dec 4 at 17:00 CET'. In the reader's zone (which
    `localise` gives it) unless it names one."""

    at: datetime
    now: datetime
    zone: str | None = None


class Localised(str):
    """A value written for each reader's language: as a string its English form, and
    `render(language)` for the reader's, which `Catalog.text` calls."""

    def render(self, language: str) -> str:
        return str(self)


class LocalTime(Localised):
    """An instant as one person reads it, in their time zone.

    As a string it is the English form, '2026-12-04 17:00 Europe/Zurich'; `Catalog.text`
    renders it for the reader's language ('4 déc. 2026, 17:00 Europe/Zurich').
    """

    at: datetime
    zone: str

    def __new__(cls, when: datetime, zone_name: str | None) -> LocalTime:
        tz = _zone_or_utc(zone_name)
        made = super().__new__(cls, show(when, tz.key))
        made.at = when.astimezone(tz)
        made.zone = tz.key
        return made

    def render(self, language: str) -> str:
        if language == i18n.SOURCE:
            return str(self)
        return i18n.format_instant(self.at, language, self.zone)


def localise(values: Mapping[str, Any], zone: str | None) -> dict[str, Any]:
    """Values as one person reads them: instants and deadlines in their time zone (UTC if
    none), which `Catalog.text` then writes in the person's language."""
    return {k: _in_zone(v, zone) for k, v in values.items()}


def _in_zone(value: Any, zone: str | None) -> Any:
    if isinstance(value, datetime):
        return LocalTime(value, zone)
    if isinstance(value, Deadline) and value.zone is None:
        return replace(value, zone=zone)
    return value
