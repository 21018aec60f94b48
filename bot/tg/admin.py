"""Admins keep the knowledge current from Telegram: reload, upload, rollback, export, misses.

The commands and admins' files are reached only through the admin filter built in ``app.py``
(``filters.User(user_id=BOT_ADMIN_IDS)``); everyone else gets ``cmd_refuse`` or
``on_document_refused``. The buttons under admins' messages (``on_confirm``, ``on_triage``)
cannot be filtered that way, since anyone who sees the message can press them: they check the
presser themselves (``_admin_press``). The work itself is ``bot.curation.Curator`` and
``bot.store.Store``, the texts ``bot.tg.render``: no Telegram in the first two, no handler logic
in the last.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import logging
import secrets
from collections.abc import Callable
from typing import cast

from telegram import (
    BotCommandScopeChat,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    Update,
    User,
)
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.curation import EDITABLE, MAX_UPLOAD_BYTES, Curator, Outcome
from bot.tg import render
from bot.tg.commands import ADMIN_COMMANDS, PRIVATE_COMMANDS
from bot.tg.context import BotApplication, Context
from bot.tg.private import cmd_start
from bot.tg.send import send_html

log = logging.getLogger(__name__)

WATCH_EVERY = 2.0  # seconds between looks at the knowledge folder
REFUSED = "Sorry, that is only for the bot's admins."
REFUSED_DOCUMENT = "Only the bot's admins can send files. Please type your question instead."


async def _curate(context: Context, work: Callable[[Curator], Outcome]) -> Outcome | None:
    curator = context.bot_data.curator
    if curator is None:
        return None
    # Validation and evaluation take a moment: off the event loop, one change at a time.
    return await asyncio.to_thread(work, curator)


async def _reply_outcome(
    message: Message,
    outcome: Outcome | None,
    context: Context | None = None,
    *,
    by: User | None = None,
    keyboard: InlineKeyboardMarkup | None = None,
) -> None:
    if outcome is None:
        await send_html(message, render.esc("Knowledge editing is not configured."))
        return
    texts = render.outcome_messages(outcome)
    for i, text in enumerate(texts):
        await message.reply_html(text, reply_markup=keyboard if i == len(texts) - 1 else None)
    by = by or message.from_user
    if outcome.applied and context is not None and by is not None:
        # Every other admin learns of the change, who made it and what it changed: two admins
        # editing in turn see each other's work.
        texts[0] = render.changed_by(by.full_name, texts[0])
        application = cast(BotApplication, context.application)
        await notify_admins(application, texts, skip=by.id)


async def cmd_start_admin(update: Update, context: Context) -> None:
    """/start from an admin: the usual greeting, and the admin commands in their menu.

    The menu is set here, not at startup: Telegram knows an admin's chat only once they have
    started one with the bot (before that it answers "chat not found").
    """
    assert update.message
    await cmd_start(update, context)
    try:
        await context.bot.set_my_commands(
            PRIVATE_COMMANDS + ADMIN_COMMANDS, scope=BotCommandScopeChat(update.message.chat_id)
        )
    except TelegramError as exc:  # the menu is a convenience; the commands work without it
        log.warning("could not set the admin command menu: %s", exc)


async def cmd_reload(update: Update, context: Context) -> None:
    """/reload: re-read the knowledge folder, validate it whole, swap it in; say what changed."""
    assert update.message
    await _reply_outcome(update.message, await _curate(context, lambda c: c.reload()), context)


async def cmd_rollback(update: Update, context: Context) -> None:
    """/rollback: restore the version before the last change."""
    assert update.message
    await _reply_outcome(update.message, await _curate(context, lambda c: c.rollback()), context)


async def cmd_export(update: Update, context: Context) -> None:
    """/export: the knowledge files as served, as documents."""
    assert update.message
    curator = context.bot_data.curator
    if curator is None:
        await send_html(update.message, render.esc("Knowledge editing is not configured."))
        return
    who = update.message.from_user.id if update.message.from_user else None
    for name, content in await asyncio.to_thread(curator.export, who):
        await update.message.reply_document(InputFile(io.BytesIO(content), filename=name))
    store = context.bot_data.store
    wanted = await asyncio.to_thread(store.needing_entries) if store else []
    if wanted:  # the misses an admin kept as needing a new entry
        listing = "".join(f"- {q}\n" for q in wanted).encode("utf-8")
        await update.message.reply_document(InputFile(io.BytesIO(listing), filename=NEEDS_ENTRIES))


async def on_document(update: Update, context: Context) -> None:
    """A knowledge file sent by an admin: validate, evaluate, apply if good; reply with the diff."""
    message = update.message
    assert message and message.document
    document = message.document
    name = document.file_name or ""
    curator = context.bot_data.curator
    files = curator.files() if curator is not None else EDITABLE
    if name not in files:
        await send_html(
            message,
            render.esc(f"Send one of the knowledge files ({', '.join(files)}) to replace it."),
        )
        return
    if document.file_size is not None and document.file_size > MAX_UPLOAD_BYTES:
        await send_html(
            message,
            render.esc(
                f"{name} is larger than {MAX_UPLOAD_BYTES} bytes; knowledge files are much smaller."
            ),
        )
        return
    try:
        file = await document.get_file()
        content = bytes(await file.download_as_bytearray())
    except TelegramError as exc:  # PTB reports a 404 from the file server as InvalidToken
        log.warning("could not download %s from Telegram: %s", name, type(exc).__name__)
        await send_html(
            message,
            render.esc(
                f"Could not download {name} from Telegram; nothing was changed. "
                "Please send it again."
            ),
        )
        return
    await _upload(message, context, message.from_user, name, content, confirmed=False)


async def _upload(
    message: Message,
    context: Context,
    by: User | None,
    name: str,
    content: bytes,
    *,
    confirmed: bool,
) -> None:
    """Apply an admin's file; when it needs their confirmation, keep it and offer a button."""
    curator = context.bot_data.curator
    who = by.id if by else None
    base = curator.base_of(who, name) if curator and who is not None else None
    outcome = await _curate(
        context, lambda c: c.upload(name, content, base=base, confirmed=confirmed, who=who)
    )
    keyboard = None
    if outcome is not None and outcome.confirm and who is not None:
        token = secrets.token_hex(4)
        context.bot_data.pending[who] = (token, name, content)
        keyboard = InlineKeyboardMarkup(
            [[InlineKeyboardButton("\u2705 Apply anyway", callback_data=f"{CONFIRM}:{token}")]]
        )
    elif outcome is not None and outcome.applied and curator and who is not None:
        curator.applied_by(who, name, content)
    await _reply_outcome(message, outcome, context, by=by, keyboard=keyboard)


async def _admin_press(
    update: Update, context: Context
) -> tuple[CallbackQuery, Message | None, User] | None:
    """A button press on an admin's message: the query, its message and who pressed, or None
    (answered as refused) when that is not an admin, whatever the callback data says."""
    query = update.callback_query
    assert query
    if query.from_user.id not in context.bot_data.admin_ids:
        await query.answer(REFUSED)
        return None
    message = query.message if isinstance(query.message, Message) else None
    return query, message, query.from_user


async def on_confirm(update: Update, context: Context) -> None:
    """ "Apply anyway" under a change that needed confirmation: admins only, their own change."""
    pressed = await _admin_press(update, context)
    if pressed is None:
        return
    query, message, user = pressed
    token = (query.data or "").partition(":")[2]
    pending = context.bot_data.pending.get(user.id)
    if message is None or pending is None or pending[0] != token:
        await query.answer("That change is no longer waiting; send the file again.")
        return
    del context.bot_data.pending[user.id]
    await query.answer()
    _, name, content = pending
    await _upload(message, context, user, name, content, confirmed=True)


async def cmd_refuse(update: Update, _context: Context) -> None:
    """An admin command from someone who is not an admin."""
    if update.message:
        await send_html(update.message, render.esc(REFUSED))


async def on_document_refused(update: Update, _context: Context) -> None:
    """A file from a non-admin: refused without downloading it."""
    if update.message:
        await send_html(update.message, render.esc(REFUSED_DOCUMENT))


CONFIRM = "kc"  # callback data of "Apply anyway"
TRIAGE = "ua"  # callback data of the buttons under a miss of /unanswered
TRIAGE_SHOWN = 5  # misses offered with buttons
TRIAGE_CHOICES = 3  # entries offered per miss
NEEDS_ENTRIES = "needs-new-entries.txt"
STATS_UNAVAILABLE = "Statistics are unavailable: their file could not be opened (see the log)."


async def cmd_unanswered(update: Update, context: Context) -> None:
    """/unanswered: the most frequent recent questions the bot abstained on, answered only with
    a related point, clarified, or answered and got a thumbs down for."""
    assert update.message
    store = context.bot_data.store
    misses = await asyncio.to_thread(store.unanswered) if store else []
    if not misses:
        await send_html(update.message, render.esc("No unanswered questions in the last 30 days."))
        return
    for text in render.unanswered_messages(misses):
        await update.message.reply_html(text)
    user = update.message.from_user
    if user is None:
        return
    shown = misses[:TRIAGE_SHOWN]
    offered = [m.question for m in shown]
    context.bot_data.triage[user.id] = offered
    engine = context.bot_data.engine
    for i, miss in enumerate(shown):
        question = miss.question
        # A thumbs down says the entry it got is wrong for it: offer the others.
        likely = [c.entry_id for c in engine.match(question).candidates if c.entry_id != miss.got]
        candidates = likely[:TRIAGE_CHOICES]
        rows = [
            [
                InlineKeyboardButton(
                    f"\u2795 add as a phrasing of: {engine.knowledge.entries[e].title}"[:64],
                    callback_data=f"{TRIAGE}:a:{i}:{e}",
                )
            ]
            for e in candidates
        ]
        rows.append(
            [
                InlineKeyboardButton(
                    "\U0001f195 needs a new entry", callback_data=f"{TRIAGE}:n:{i}"
                ),
                InlineKeyboardButton("\U0001f648 ignore", callback_data=f"{TRIAGE}:i:{i}"),
            ]
        )
        await update.message.reply_html(
            render.quoted_question(question),
            reply_markup=InlineKeyboardMarkup(rows),
        )


async def on_triage(update: Update, context: Context) -> None:
    """A button under a miss of /unanswered: add it as a phrasing, keep it as needing a new
    entry, or ignore it. Admins only, and only their own list."""
    pressed = await _admin_press(update, context)
    if pressed is None:
        return
    query, message, user = pressed
    _, action, index, *rest = ((query.data or "") + ":").split(":")[:4]
    offered = context.bot_data.triage.get(user.id, [])
    store, curator = context.bot_data.store, context.bot_data.curator
    if not index.isdigit() or int(index) >= len(offered) or message is None or store is None:
        await query.answer("That list is out of date; send /unanswered again.")
        return
    question = offered[int(index)]
    if action == "a" and rest and rest[0] and curator is not None:
        entry_id = rest[0]
        await query.answer()
        outcome = await _curate(context, lambda c: c.add_phrasing(entry_id, question))
        if outcome is not None and outcome.applied:
            await asyncio.to_thread(store.triage, question, "added")
            now = context.bot_data.engine.ask(question)
            outcome = dataclasses.replace(
                outcome,
                details=[*outcome.details, f"that question now gets: {now.text.splitlines()[0]}"],
            )
        await _reply_outcome(message, outcome, context, by=user)
    elif action in ("n", "i"):
        chosen = "needs_entry" if action == "n" else "ignored"
        await asyncio.to_thread(store.triage, question, chosen)
        await query.answer(
            "Kept on the list of questions needing a new entry (/export includes it)."
            if action == "n"
            else "Ignored: it leaves /unanswered."
        )
    else:
        await query.answer("That list is out of date; send /unanswered again.")


async def cmd_stats(update: Update, context: Context) -> None:
    """/stats: answered, abstained and clarified; top entries and misses; feedback; by window."""
    assert update.message
    store = context.bot_data.store
    if store is None:
        await send_html(update.message, render.esc(STATS_UNAVAILABLE))
        return
    for text in render.stats_messages(await asyncio.to_thread(store.stats)):
        await update.message.reply_html(text)


# --- watching the folder ---------------------------------------------------------------------


async def watch_knowledge(application: BotApplication) -> None:
    """Pick up edits saved on disk; tell the admins what happened, good or bad."""
    curator = application.bot_data.curator
    if curator is None:
        return
    while True:
        await asyncio.sleep(WATCH_EVERY)
        try:
            outcome = await asyncio.to_thread(curator.changed_on_disk)
        except OSError as exc:  # a folder being rewritten, a permissions slip: try again later
            log.warning("could not check the knowledge folder: %s", exc)
            continue
        except Exception:  # a bug must not silently end the watching: log it, keep watching
            log.exception("the knowledge watcher failed; it keeps watching")
            continue
        if outcome is None:
            continue
        log.log(
            logging.INFO if outcome.applied else logging.WARNING,
            "%s",
            outcome.text().replace("\n", "; "),
        )
        await notify_admins(application, render.outcome_messages(outcome))


async def notify_admins(
    application: BotApplication, messages: list[str], *, skip: int | None = None
) -> None:
    """Tell every admin (but ``skip``); one who never started a chat with the bot cannot be
    told (logged)."""
    for admin in sorted(application.bot_data.admin_ids - {skip}):
        try:
            for text in messages:
                await application.bot.send_message(admin, text, parse_mode=ParseMode.HTML)
        except TelegramError as exc:
            log.warning("could not notify admin %s: %s", admin, exc)
