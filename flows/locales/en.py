"""Every word a user or staff member reads, in English.

The same keys as ``flows/locales/ko.py`` with the same ``str.format`` placeholders
(``tests/flows/test_texts.py``); see ``flows/locales/__init__.py`` for the namespaces.
"""

from __future__ import annotations

MESSAGES: dict[str, str] = {
    # == the conversation (flows.texts.t) ===========================================
    "consent": (
        "Hello. I'll help you report damage from the Kakao service outage.\n\n"
        "First we need your consent to collect and use personal data.\n"
        "• Purpose: taking your report, checking support eligibility, telling you the result\n"
        "• Items: {account}, reporter type, affected service, loss amount, "
        "business registration number (small businesses only), evidence you send\n"
        "• Retention: deleted one year after the support programme ends\n"
        "• You may refuse. Without consent, though, we cannot take your report.\n\n"
        "We never ask for your resident registration number. Do you agree?"
    ),
    # How the channel knows the person ({account} above and in "privacy"): a channel
    # names its own under "<channel>.account" (telegram.account, console.account).
    "account": "your messenger account ID",
    "consent.yes": "I agree",
    "consent.no": "I don't agree",
    "declined": "Understood. Nothing was stored.\nSend /start whenever you want to report.",
    "reporter_type": "Who are you reporting as?",
    "service": "Which service caused the damage?",
    "service_other": "Please type the name of the service. (e.g. Kakao Webtoon)",
    "paid": "How did you use {service}?",
    "paid.yes": "Paid",
    "paid.no": "Free",
    "monetary": "Did the outage cost you money (lost sales, failed payments, …)?",
    "monetary.yes": "Yes, I lost money",
    "monetary.no": "No, a question or opinion",
    "description": "Please write your question or opinion. (up to {max} characters)",
    "description.loss": (
        "In a few words, what happened because of the outage? (up to {max} characters)\n"
        "e.g. I couldn't take booking requests and lost customers.\n"
        "Nothing to add? Tap 'Skip'."
    ),
    "description.skip": "Skip",
    "amount": "How much did you lose?\ne.g. 350,000 won or 35만 원",
    "amount_confirm": "Is {amount} right?",
    "amount_confirm.yes": "Yes, that's right",
    "amount_confirm.no": "Let me re-enter it",
    "business_number": "Please type your 10-digit business registration number.\ne.g. 214-86-18379",
    "channel": "Do you run a KakaoTalk Channel?",
    "channel.yes": "Yes",
    "channel.no": "No",
    "evidence.optional": (
        "If you have evidence, please send it (receipts, sales records, screenshots).\n"
        "You can send several photos or files. Tap 'Done' when finished, "
        "or 'Skip' if you have none."
    ),
    "evidence.required": (
        "The review needs these documents:\n"
        "{documents}\n"
        "Send what you have now as photos or files, then tap 'Done'.\n"
        "Don't have them at hand? Tap 'Send later' and submit now; afterwards you can send "
        "them with the 'Send documents' button."
    ),
    "evidence.count": "Received so far: {count}",
    "evidence.done": "Done",
    "evidence.skip": "Skip",
    "evidence.later": "Send later",
    "current_answer": "Current answer: {answer}",
    "current_answer.keep": "Type a new answer to change it, or tap the button to keep it.",
    "keep": "Keep it",
    "tier.header": "Here is your tentative support.",
    "tier.package": "Also for you: {package}",
    "tier.substitutes": (
        "Note: substitutes existed for this service ({substitutes}); the review takes that into "
        "account."
    ),
    "tier.footer": "The final support is confirmed after review.",
    # A tier named in one line (summaries, case lists, staff pages).
    "tier.kind.cash": "Cash {amount}",
    "tier.kind.review": "Committee review",
    "tier.kind.terms": "Under the service's terms",
    "tier.kind.package": "All-user package",
    "tier.with_channel_cash": "{tier} + Channel cash {amount}",
    "summary": "Please check your report.\n\n{lines}\n\nSubmit it as it is?",
    "summary.submit": "Submit",
    "summary.edit": "Edit",
    "summary.cancel": "Cancel",
    "field.reporter_type": "Reporter type",
    "field.service": "Service",
    "field.service_other": "Service name",
    "field.paid": "Paid or free",
    "field.monetary": "Monetary loss",
    "field.description": "Question / opinion",
    "field.description_loss": "What happened",
    "field.amount": "Loss amount",
    "field.business_number": "Business registration no.",
    "field.channel": "KakaoTalk Channel",
    "field.evidence": "Evidence",
    "field.tier": "Tentative support",
    "value.paid": "Paid",
    "value.free": "Free",
    "value.yes_loss": "Yes",
    "value.no_loss": "No (question / opinion)",
    "value.runs_channel": "Runs one",
    "value.no_channel": "Does not run one",
    "value.files": "{count} files",
    "value.files.one": "{count} file",
    "value.no_files": "No files",
    "value.files_later": "To send after submitting",
    "value.no_description": "Not given",
    "edit_menu": "Which answer do you want to change?",
    "edit_menu.back": "← Back to the summary",
    "submitted": (
        "Your report is submitted. Thank you for your patience.\n\n"
        "Case number: {case_number}\n"
        "Tentative support: {tier}\n"
        "{package}\n\n"
        "Check progress any time with /status. Please note the case number.\n"
        "Questions? Write them here and we'll pass them on to staff."
    ),
    "submitted.documents": (
        "The review is waiting for your documents. When you have them, tap 'Send documents' "
        "below and send photos or files.\n"
        "{documents}\n"
        "If nothing arrives in 3 days, I'll remind you once."
    ),
    "documents.reminder": (
        "The documents for case {case_number} haven't arrived yet.\n"
        "Needed: {documents}\n"
        "When you have them, tap 'Send documents' below and send photos or files."
    ),
    "already_submitted": (
        "Your report is submitted (case number {case_number}).\n"
        "If you have a question or more to send, write it here or send photos or files: "
        "we pass it on to staff.\n"
        "Send /start to file a new report."
    ),
    "resume": "You have a report in progress. Continue it or start over?",
    "resume.continue": "Continue",
    "resume.restart": "Start over",
    "cancelled": "Report cancelled and your draft deleted.\nSend /start to report again.",
    "back.first": "This is the first question; there is nothing before it.",
    "hint.use_buttons": "Please choose one of the buttons below.",
    "hint.stale_button": "That button belongs to an earlier question. Please answer the current one.",
    "hint.empty": "Please type something.",
    "hint.too_long": "Up to {max} characters, please. Could you shorten it?",
    "hint.no_files_here": "No files at this step. I'll ask for evidence later.",
    "hint.unsupported": (
        "Voice notes, stickers, locations and contacts can't be used here. "
        "Please answer with text or the buttons."
    ),
    "hint.text_at_evidence": "Please send evidence as photos or files, then tap 'Done'.",
    "hint.edited": "Edited messages don't change your answers. Please send a new message instead.",
    "hint.unknown_command": "I don't know that command. /help lists the ones you can use.",
    "hint.window_closed": (
        "Reports from {reporter_type} closed on {date}. Pick another type if that's not you."
    ),
    "hint.window_not_open": "Reports from {reporter_type} open on {date}. Please come back then.",
    "amount.empty": "Please type the amount in numbers, e.g. 350,000.",
    "amount.no_amount": "I couldn't find an amount. Please type it in numbers, e.g. 350,000.",
    "amount.zero": (
        "An amount of 0 can't be reported. If you lost no money, go /back and choose "
        "'question or opinion'."
    ),
    "amount.negative": "The loss must be more than 0. Please type only the amount you lost.",
    "amount.range": "That looks like a range. Please type the single most accurate amount.",
    "amount.several": "I see several amounts. Please add them up and type one total.",
    "amount.fraction": "Fractions of a won can't be used. Please type whole won.",
    "amount.too_large": "That is more than {cap}. Please double-check the amount.",
    "amount.unreadable": "I couldn't read that amount. Please type it like 350,000.",
    "bizno.format": "A business registration number has 10 digits, e.g. 214-86-18379.",
    "bizno.checksum": "That business registration number doesn't check out. Please check it again.",
    "bizno.trivial": "That number can't be used. Please type the one on your registration certificate.",
    "file.received": "Received: {names}",
    "file.ack": "Files so far: {count}. Send more, or tap 'Done' when finished.",
    "file.duplicate": "Already received: {name}",
    "file.bad_type": (
        "{name}: this type can't be accepted. Please send photos (JPG, PNG, HEIC), PDF, Excel, "
        "Hangul or Word files."
    ),
    "file.too_big": "{name}: too big ({size}). Please send files up to {max}.",
    "file.empty": "{name}: the file is empty. Please send a file with content.",
    "file.not_downloaded": "{name}: the file didn't come through. Please send it again.",
    "file.too_many": "At most {max} files can be attached. {name} was not added.",
    "file.quota": (
        "{name}: one person can send at most {max} of files in all. Please send only the "
        "files you need; if you must send more, staff can raise the limit."
    ),
    "limit.cases": (
        "You have already filed {count} reports, the most one person can file ({max}). "
        "See them with /status. If you need to file another, staff can raise the "
        "limit.{contact}"
    ),
    "help": (
        "This bot takes damage reports for the Kakao service outage.\n\n"
        "/start start a report\n"
        "/back previous question\n"
        "/cancel cancel the report (deletes the draft)\n"
        "/status your reports\n"
        "/lang change language (한국어 / English)\n"
        "/privacy how your data is handled\n"
        "/delete_my_data ask us to delete your data"
    ),
    "privacy": (
        "How your data is handled\n"
        "• Stored: {account}, your answers, evidence you send\n"
        "• Why: to take the report, check eligibility and tell you the result\n"
        "• Kept: one year after the support programme ends; unfinished drafts are deleted "
        "after {expire_days} days\n"
        "• We never collect resident registration numbers.\n"
        "• /delete_my_data asks us to delete your data."
    ),
    "lang.choose": "언어를 골라 주세요. / Choose a language.",
    "lang.set": "I'll continue in English.",
    "lang.name": "English",  # on its /lang button, in every language
    "status.none": "You have no submitted reports yet. Send /start to begin one.",
    "status.header": "Your reports:",
    "status.line": "• {case_number} | {tier} | {status}",
    "status.bad_number": "That case number doesn't check out. Please check it again, e.g. K7F-3QX-9MZ.",
    "status.not_found": "None of your reports has that number. Send /status alone to see all of yours.",
    "status.submitted": "Submitted",
    "status.documents_requested": "Documents requested",
    "status.documents_received": "Documents received",
    "status.approved": "Approved",
    "status.rejected": "Not eligible",
    "status.paid": "Paid",
    "supplement": (
        "Please send the documents for case {case_number} as photos or files.\n"
        "Needed: {documents}\n"
        "Tap 'Done' when finished."
    ),
    "supplement.none": "No documents received yet. Please send a photo or file.",
    "supplement.done": "{count} document(s) attached to case {case_number}. Our staff will check them.",
    "supplement.stopped": "Stopped sending documents. Tap 'Send documents' in the request to start again.",
    "supplement.not_open": "Case {case_number} is not waiting for documents.",
    # -- messages to staff about a submitted case ---------------------------------------
    "message.which_case": "Which report is this about? Please choose below.",
    "message.write": (
        "Write what you'd like to tell staff about case {case_number}. "
        "You can send photos or files too."
    ),
    "message.stop": "Don't send",
    "message.sent": "We've sent it to staff (case {case_number}). Their answer will come here.",
    "message.stopped": "Nothing was sent to staff.",
    "message.throttled": (
        "You've sent a lot of messages in a short time, so this one was not passed on. "
        "Staff will read the ones before it.\n"
        "Please write again a little later."
    ),
    "message.from_staff": "Staff answered about case {case_number}:\n\n{text}",
    "message.reply": "Reply",
    "message.ask_staff": "Questions? Tap 'Ask staff' below and write them: the answer comes here.",
    "message.button": "Ask staff",
    "status.write": "Ask staff about {case_number}",
    "review.documents_requested": (
        "Case {case_number} needs more documents for the review.\n"
        "Needed: {documents}\n"
        "{note}"
        "Please tap 'Send documents' below and send photos or files by {deadline}."
    ),
    "review.send_documents": "Send documents",
    "review.approved": (
        "Support for case {case_number} is approved.\nAmount: {amount}\n{note}We'll tell you the payment date separately."
    ),
    "review.rejected": (
        "After review, case {case_number} is not eligible for support.\nReason: {reason}{contact}"
    ),
    "review.amount_corrected": (
        "The support amount for case {case_number} has been corrected.\nNew amount: {amount}\n"
        "Reason: {reason}\nThis amount replaces the one we told you before."
    ),
    "review.paid": "The support of {amount} for case {case_number} has been paid.",
    "delete.confirm": (
        "This deletes your draft and the files you sent, and asks staff to delete reports "
        "already submitted. Go ahead?"
    ),
    "delete.yes": "Yes, delete",
    "delete.no": "No",
    "delete.done": "Your draft and its files are deleted.",
    "delete.requested": "Staff will review and delete your {count} submitted report(s) and let you know.",
    "delete.nothing": "There is nothing to delete.",
    "delete.kept": "Nothing was deleted.",
    "reminder": (
        "Your damage report isn't finished yet. To continue, answer the question below.\n"
        "Without an answer in {days} days the draft is deleted."
    ),
    "expired": (
        "Your damage report draft was deleted after {days} days without an answer.\n"
        "Send /start to report again."
    ),
    "notices.unread": "You have {count} unread notices.",
    "notices.unread.one": "You have {count} unread notice.",
    "group_chat": "Reports are taken in private chats only. Please message me directly.",
    "error.internal": (
        "Sorry, something went wrong on our side. Your answers are safe. "
        "Please send that again in a moment."
    ),
    "error.wait": (
        "Sorry, I can't save anything for a moment. Your answers so far are safe, and "
        "I'll reply to this message by myself as soon as I can. No need to send it again."
    ),
    "error.corrupt": (
        "Sorry, I couldn't load your draft. Our staff will look into it. "
        "You can start again with /start."
    ),
    # == the staff web (bot/staff/templates/words.py: word(lang, "nav.cases")) =========
    "staff.app": "Damage reports — staff",
    "staff.nav.cases": "Cases",
    "staff.nav.stats": "Statistics",
    "staff.nav.signout": "Sign out",
    "staff.nav.switch": "한국어",
    "staff.nav.signed_in": "{name}",
    "staff.signin.title": "Staff sign-in",
    "staff.signin.lead": "This page is for staff only. Enter your name and the access token.",
    "staff.signin.name": "Your name",
    "staff.signin.name_hint": "Recorded in the audit trail (e.g. Kim)",
    "staff.signin.token": "Access token",
    "staff.signin.submit": "Sign in",
    "staff.signin.wrong": "That access token is not right.",
    "staff.signin.name_missing": "Please give your name for the audit trail.",
    "staff.signin.throttled": "Too many attempts. Try again in {seconds} s.",
    "staff.signin.expired": "The sign-in form expired. Please try again.",
    "staff.signin.once_lead": "This is the one-time sign-in link from the terminal. Check your name and sign in.",
    "staff.signin.once_name_hint": "Recorded in the audit trail; left empty, it is recorded as local.",
    "staff.signin.once_refused": "This sign-in link was already used or has expired. Restart the bot for a new link in the terminal.",
    "staff.list.title": "Cases",
    "staff.list.count": "{first}–{last} of {total}",
    "staff.list.empty": "No case matches.",
    "staff.list.page": "page {page} of {pages}",
    "staff.list.prev": "Previous",
    "staff.list.next": "Next",
    "staff.list.first": "First",
    "staff.list.last": "Last",
    "staff.filter.legend": "Filter",
    "staff.filter.from": "Submitted from",
    "staff.filter.to": "Submitted to",
    "staff.filter.status": "Status",
    "staff.filter.tier": "Tier",
    "staff.filter.reporter_type": "Reporter type",
    "staff.filter.service": "Service",
    "staff.filter.flag": "Flags",
    "staff.filter.q": "Case number",
    "staff.filter.q_hint": "e.g. K7F-3QX-9MZ or part of it",
    "staff.filter.sort": "Sort",
    "staff.filter.all": "All",
    "staff.filter.flag_any": "Any flag",
    "staff.filter.flag_none": "No flag",
    "staff.filter.apply": "Search",
    "staff.filter.reset": "Reset",
    "staff.filter.none": "None · every case",
    "staff.sort.newest": "Newest first",
    "staff.sort.oldest": "Oldest first",
    "staff.sort.amount_desc": "Largest amount first",
    "staff.sort.amount_asc": "Smallest amount first",
    "staff.export.title": "Export with this filter",
    "staff.export.zip": "Evidence ZIP",
    "staff.export.preparing_title": "{format} export",
    "staff.export.preparing": "The {format} file will hold {n} cases.",
    "staff.export.progress": "After you press it, your browser's download list shows the file arriving. Many cases take some tens of seconds.",
    "staff.export.manual": "Download the {format} file",
    "telegram.staff.usage": "Usage: {usage}",
    "telegram.staff.bad_word": "I can't use '{word}'.",
    "telegram.staff.bad_date": "'{value}' is not a date: write it as YYYY-MM-DD.",
    "telegram.staff.bad_status": "'{value}' is not a status: use one of {choices}.",
    "telegram.staff.bad_filter": "This filter can't be used: {error}.",
    "telegram.staff.cases": "{count} cases",
    "telegram.staff.cases.one": "{count} case",
    "telegram.staff.too_big": "{count} cases make a file over Telegram's 50 MB upload limit. Narrow the filter, or use the staff web page or `python -m bot export`.",
    "telegram.staff.failed": "The command failed; the log has the details.",
    "staff.col.case_number": "Case number",
    "staff.col.submitted_at": "Submitted",
    "staff.col.status": "Status",
    "staff.col.reporter_type": "Reporter type",
    "staff.col.service": "Service",
    "staff.col.amount": "Amount",
    "staff.col.tier": "Tier",
    "staff.col.flags": "Flags",
    "staff.detail.back": "← Back to the list",
    "staff.detail.summary": "Case",
    "staff.detail.user": "User ({channel} id)",
    "staff.detail.lang": "User's language",
    "staff.detail.billing": "Paid or free",
    "staff.detail.monetary": "Monetary loss",
    "staff.detail.tentative": "Tentative support",
    "staff.detail.channel_cash": "Channel message cash",
    "staff.detail.final_amount": "Final amount",
    "staff.detail.business_number": "Business registration no.",
    "staff.detail.updated_at": "Last change",
    "staff.detail.description": "Description",
    "staff.detail.no_description": "No description given.",
    "staff.detail.answers": "Raw answers",
    "staff.detail.evidence": "Evidence",
    "staff.detail.no_evidence": "No files attached.",
    "staff.detail.download": "Download",
    "staff.detail.flags": "Flags",
    "staff.detail.no_flags": "No flag",
    "staff.detail.actions": "Review",
    "staff.detail.no_actions": "No review action is possible in this status.",
    "staff.detail.tell_user": "The user is told on {channel}, in {lang}.",
    "staff.detail.audit": "Audit trail",
    "staff.detail.audit_when": "When",
    "staff.detail.audit_who": "Who",
    "staff.detail.audit_what": "What",
    "staff.detail.not_found": "No case has the number {number}.",
    "staff.action.request_documents": "Request documents",
    "staff.action.approve": "Approve",
    "staff.action.reject": "Reject",
    "staff.action.pay": "Mark as paid",
    "staff.field.documents": "Documents needed",
    "staff.field.other_documents": "Other documents (type them)",
    "staff.field.note": "Note for the user (optional)",
    "staff.field.final_amount": "Final amount (KRW)",
    "staff.field.final_amount_hint": "0 means the all-user package only",
    "staff.field.reason": "Reason (the user is told)",
    "staff.done.request_documents": "Documents requested; the user was told.",
    "staff.done.approve": "Approved; the user was told.",
    "staff.done.reject": "Rejected; the user was told.",
    "staff.done.pay": "Recorded as paid; the user was told.",
    "staff.done.not_told": "Saved, but the user could not be told on {channel}; see the audit trail.",
    "staff.error.documents": "Pick or type at least one document.",
    "staff.error.amount": "Enter the final amount as a number (e.g. 50000).",
    "staff.error.reason": "Please give a reason.",
    "staff.error.not_allowed": "'{action}' is not possible while the case is {status}.",
    "staff.error.forbidden": "The request could not be verified (security token mismatch). Reload the page and try again.",
    "staff.error.not_found": "There is no such page.",
    "staff.stats.title": "Statistics",
    "staff.stats.total": "Cases",
    "staff.stats.paid_share": "Paid-service damage",
    "staff.stats.free_monetary_share": "Money lost on free services",
    "staff.stats.reporter_type": "Reporter type",
    "staff.stats.channel": "Channel",
    "staff.stats.kind": "Kind of damage (as the council counted)",
    "staff.stats.billing": "Paid or free service",
    "staff.stats.money": "Monetary loss",
    "staff.stats.tier": "Tier",
    "staff.stats.status": "Review status",
    "staff.stats.per_day": "Cases per day (KST)",
    "staff.stats.per_day_table": "Cases per day as a table",
    "staff.stats.median": "Median loss per reporter type",
    "staff.stats.median_note": "monetary cases with an amount",
    "staff.stats.paid": "Damage to a paid service",
    "staff.stats.free": "Free service",
    "staff.stats.monetary": "With monetary loss",
    "staff.stats.non_monetary": "No monetary loss (paid and free services)",
    "staff.stats.free_non_monetary": "Free service, no monetary loss",
    "staff.stats.kind_note": "Damage to a paid service counts as paid, with or without monetary loss (the council's way).",
    "staff.stats.money_note": "Only whether money was lost, on paid and free services alike.",
    "staff.stats.from": "From",
    "staff.stats.to": "To",
    "staff.stats.show_range": "Show",
    "staff.stats.range": "{first} to {last} · {n} cases",
    "staff.stats.outside": "Outside this range: {before} before, {after} after",
    "staff.stats.free_monetary": "Money lost on a free service",
    "staff.stats.none": "No cases yet.",
    "staff.stats.as_of": "As of {when} KST (recomputed every {every} s)",
    "staff.stats.day": "Day",
    "staff.stats.cases": "Cases",
    "staff.stats.n": "n = {n}",
    "staff.unit.cases": "{n}",
    "staff.yes": "yes",
    "staff.no": "no",
    "staff.paid": "paid",
    "staff.free": "free",
    "staff.audit.case.created": "Submitted",
    "staff.audit.case.updated": "Changed",
    "staff.audit.review.documents_requested": "Documents requested",
    "staff.audit.review.approved": "Approved",
    "staff.audit.review.rejected": "Rejected",
    "staff.audit.review.paid": "Paid",
    "staff.audit.review.notify_failed": "User could not be told",
    "staff.audit.status": "status",
    "staff.audit.final_amount": "final amount",
    "staff.audit.evidence_added": "evidence added",
    "staff.audit.reason": "reason",
    "staff.audit.tier": "tier",
    "staff.audit.documents": "documents",
    "staff.audit.note": "note",
    "staff.audit.deadline": "deadline",
    "staff.audit.error": "error",
    "staff.detail.confirm_first": "You will see the message the user gets before it is sent.",
    "staff.confirm.title": "{action}: check",
    "staff.confirm.back": "← Back to case {number}",
    "staff.confirm.message": "What the user will receive",
    "staff.confirm.channel": "Sent on {channel}, in {lang}, exactly as shown.",
    "staff.confirm.offline": (
        "This message does not reach the person at once. The decision is saved; the message is "
        "kept, in {lang} exactly as shown, and shown the next time they write on {channel}, or "
        "sent as soon as it can be."
    ),
    "staff.confirm.check": "{action}…",
    "staff.confirm.send.request_documents": "Request and tell the user",
    "staff.confirm.send.approve": "Approve and tell the user",
    "staff.confirm.send.correct_amount": "Correct and tell the user",
    "staff.confirm.send.reject": "Reject and tell the user",
    "staff.confirm.send.pay": "Mark as paid and tell the user",
    "staff.confirm.cancel": "Cancel",
    "staff.resend.title": "A message the user did not get",
    "staff.resend.lead": "The decision is saved, but this message did not reach the user. Sending it again sends it in {lang}, as shown.",
    "staff.notice.mailbox": "Not delivered yet, so it is kept: the person sees it once, the next time they write on {channel}, or the bot sends it as soon as it can.",
    "staff.notice.retrying": "Tried {attempts} time(s) on {channel} without reaching the person (last: {at}, {error}). The bot keeps trying by itself; 'Send again' tries now.",
    "staff.resend.button": "Send again",
    "staff.action.correct_amount": "Correct the amount",
    "staff.action.resend": "Send again",
    "staff.field.corrected_amount": "Corrected final amount (KRW)",
    "staff.field.corrected_hint": "Approved now: {amount}",
    "staff.field.correction_reason": "Reason (the user is told; kept in the audit trail)",
    "staff.field.paid_hint": "Amount to pay: {amount}",
    "staff.done.correct_amount": "Amount corrected; the user was told.",
    "staff.done.resend": "The message was sent again.",
    "staff.error.changed": "The case changed while you were checking. Look at it again and redo the action.",
    "staff.error.correction_reason": "Please give the reason for the correction.",
    # -- messages between a reporter and staff (the case list and the case page) -------
    "staff.filter.messages": "Messages",
    "staff.filter.messages_unread": "Unanswered messages",
    "staff.list.unread": "Show the {count} cases with unanswered messages",
    "staff.list.undelivered": "{count} notice(s) not yet delivered to the people they are for ({cases} case(s)).",
    "staff.list.undelivered_badge": "{count} undelivered",
    "staff.list.unread_badge": "{count} new",
    "staff.thread.title": "Messages with the reporter",
    "staff.thread.empty": "No messages yet.",
    "staff.thread.user": "Reporter",
    "staff.thread.unread": "{count} unanswered",
    "staff.thread.done": "Done",
    "staff.thread.answer": "Answer",
    "staff.thread.hint": "The reporter gets it in their {channel} chat, with a line in {lang} naming the case.",
    "staff.thread.send": "Send answer",
    "staff.thread.mark_done": "Mark done",
    "staff.done.answer": "Answer sent.",
    "staff.done.answer_waits": "Answer saved. They will see it the next time they open the chat.",
    "staff.done.thread_done": "This case's messages are marked done.",
    "staff.error.answer_empty": "Write the answer first.",
    "staff.audit.case.message": "Message",
    "staff.audit.case.thread_done": "Messages marked done",
    "staff.audit.text": "text",
    "staff.audit.files": "files",
    "staff.error.same_amount": "That is the amount approved now. Enter the corrected amount.",
    "staff.error.input": "Please check what you entered.",
    "staff.error.resend_nothing": "There is no message to send again: the user got them all.",
    "staff.audit.review.amount_corrected": "Amount corrected",
    "staff.audit.review.notice_resent": "Message sent again",
    "staff.audit.limits.lifted": "Per-person limits lifted",
    "staff.audit.user_id": "User ID",
    "staff.limits.title": "Per-person limits",
    "staff.limits.lead": "Let this person file more reports and send more files than the policy's per-person limits allow. Recorded in the audit trail.",
    "staff.limits.button": "Lift the limits",
    "staff.done.limits_lifted": "The per-person limits are lifted for this person.",
    "staff.error.limits_reason": "Say why the limits are lifted.",
    "staff.audit.previous": "previous amount",
    # == the exports (bot/staff/exports.py: CSV, XLSX, JSON lines) ======================
    "export.col.case_number": "Case number",
    "export.col.submitted_at": "Submitted at (KST)",
    "export.col.status": "Status",
    "export.col.reporter_type": "Reporter type",
    "export.col.service": "Service",
    "export.col.paid": "Paid/free",
    "export.col.monetary": "Monetary loss",
    "export.col.amount": "Amount (KRW)",
    "export.col.tier": "Tier",
    "export.col.tentative_support": "Tentative support (KRW)",
    "export.col.channel_cash": "Channel message cash",
    "export.col.final_amount": "Final amount (KRW)",
    "export.col.business_number": "Business registration no.",
    "export.col.description": "Description",
    "export.col.evidence_count": "Evidence files",
    "export.col.user_id": "User ID",
    "export.col.channel": "Channel",
    "export.col.lang": "Language",
    "export.col.flags": "Flags",
    "export.col.message_count": "Messages",
    "export.col.last_message_at": "Last message (KST)",
    "export.yes": "Yes",
    "export.no": "No",
    "export.paid": "Paid service",
    "export.free": "Free service",
    "export.lang.ko": "Korean",
    "export.lang.en": "English",
    "export.channel_cash": "Channel cash {cash}",
    "export.sheet": "Cases",
    "export.amount_format": '"KRW "#,##0',
    # == the review flags staff read (bot/staff/flags.py) ===================================
    "flags.shared_evidence": "Evidence shared with another user",
    "flags.repeat_user": "Several cases of one user",
    "flags.amount_outlier": "Amount far above typical",
    # == the statistics as plain text (bot/staff/stats.py: `bot stats`, Telegram /stats) ====
    "stats.title": "Case statistics",
    "stats.total": "Total",
    "stats.reporter_type": "Reporter type",
    "stats.channel": "Channel",
    "stats.billing": "Paid or free",
    "stats.paid_damage": "Damage to a paid service",
    "stats.paid": "Paid service",
    "stats.free": "Free service",
    "stats.other": "Free service, no monetary loss",
    "stats.kind": "Kind of damage",
    "stats.money": "Monetary loss",
    "stats.monetary": "With monetary loss",
    "stats.non_monetary": "No monetary loss (paid and free)",
    "stats.free_monetary": "Money lost on a free service",
    "stats.tier": "Tier",
    "stats.status": "Status",
    "stats.per_day": "Cases per day (KST)",
    "stats.median": "Median loss (monetary cases with an amount)",
    "stats.median_amount": "KRW {amount:,.0f}",
    "stats.cases": "{n:,}",
    "stats.none": "No cases yet.",
    # == what only the web chat page says (bot/webchat/) ====================================
    "web.name": "Web chat",
    "web.account": "a random visitor ID kept in this browser (a cookie)",
    "web.title": "Damage report",
    "web.welcome": (
        "Hello. You can report damage caused by the service outage here.\n"
        "Answer a few questions and you will see the support you can expect right away. "
        "No account is needed."
    ),
    "web.start": "Start a report",
    "web.transcript": "Conversation",
    "web.bot": "Report assistant",
    "web.you": "You",
    "web.notice": "News",
    "web.choices": "Choose an answer",
    "web.answer": "Your answer",
    "web.send": "Send",
    "web.back": "Previous question",
    "web.start_over": "Start over",
    "web.files": "Choose photos or documents",
    "web.camera": "Take a photo",
    "web.upload": "Send files",
    "web.uploading": "Sending… {percent}%",
    "web.sending": "Sending…",
    "web.sent_files": "{count} files: {names}",
    "web.sent_files.one": "{count} file: {names}",
    "web.switch": "한국어",
    "web.switch_label": "한국어로 보기",
    "web.status_link": "Check a report",
    "web.chat_link": "Back to the chat",
    "web.skip": "Skip to the answer box",
    "web.stale": "This page was out of date, so it was reloaded. Please check and press again.",
    "web.too_fast": "You are sending very fast. Please send again in {seconds} s.",
    "web.too_big": "That is more than can be sent at once. Please send the files in parts.",
    "web.failed": "That did not go through. Please check your connection and send it again.",
    "web.lookup": (
        "Lookup code: {code}\n"
        "With the case number and this code you can check the status, read messages from "
        "staff and send documents from another device too. Take a screenshot or write it down."
    ),
    "web.write": "Write to staff",
    "web.news": "Show {count} new notice(s)",
    "web.status.title": "Check a report",
    "web.status.intro": "Enter the case number and lookup code to continue with that report in this browser.",
    "web.status.case_number": "Case number",
    "web.status.code": "Lookup code",
    "web.status.open": "Check",
    "web.status.wrong": "The case number or lookup code does not match. Please check them.",
    "web.status.throttled": "Too many wrong tries. Please try again in {seconds} s.",
    "web.status.yours": "Reports in this browser",
    "web.status.messages": "Write to staff and send documents in the chat.",
    # == what only the console chat says (bot/console.py) ===================================
    "console.name": "Console",
    "console.account": "the chat record on this computer",
    "console.help": "/file PATH  send a file as evidence (e.g. /file ~/receipt.jpg)",
    "console.evidence": "Here, send a file by typing /file and its path, e.g. /file ~/receipt.jpg",
    "console.no_path": "Type the path of the file after /file, e.g. /file ~/receipt.jpg",
    "console.not_found": "File not found: {path}\nPlease check the path and send it again.",
    "console.unreadable": "Can't open {path}\nPlease check that it is a file you can read.",
    # == the Telegram command menu (bot/telegram.py) ======================================
    "telegram.menu.start": "Start a damage report",
    "telegram.menu.status": "Your reports",
    "telegram.menu.back": "Previous question",
    "telegram.menu.cancel": "Cancel the report",
    "telegram.menu.lang": "Change language",
    "telegram.menu.privacy": "How your data is handled",
    "telegram.menu.delete_my_data": "Ask to delete your data",
    "telegram.menu.help": "Help",
    # == the Telegram channel's own words: its name (staff pages), how it knows the person ==
    "telegram.name": "Telegram",
    "telegram.account": "your Telegram account ID",
    # == words a person may type instead of a slash command (flows.commands.read_words) ===
    # "|" separates the forms one command is known by; matched whole, case- and
    # width-folded, by channels without a command menu (the KakaoTalk skill).
    "words.start": "start|start over|restart|begin",
    "words.back": "back|previous|go back",
    "words.cancel": "cancel|cancel report",
    "words.status": "status|check my report|my reports",
    "words.help": "help|menu",
    "words.privacy": "privacy",
    "words.delete_my_data": "delete my data",
    "words.lang": "language|change language",
    # == the KakaoTalk skill's own words (bot/kakao.py) ==================================
    "kakao.name": "KakaoTalk",
    "kakao.account": "your KakaoTalk Channel user key",
    "kakao.more": "More ▶",
    "kakao.previous": "◀ Previous",
    "kakao.numbered": "You can also send the number or the name.",
    "kakao.continue": "Show the rest",
    "kakao.back": "◀ Back",
    "kakao.status": "My reports",
    "kakao.start": "Start over",
    "kakao.other_lang": "한국어",
    "kakao.photos": "Send photos",
    "kakao.evidence": (
        "To send photos, tap 'Send photos' below; you can pick several at once.\n"
        "A KakaoTalk chatbot cannot take document files such as PDF or Excel itself: "
        "take a photo of the document's screen and send that, or upload the file at the link below."
    ),
    "kakao.upload_link": "Upload document files (for this report only; works once, within 30 minutes):\n{url}",
    "kakao.chat_photo": (
        "A photo put straight into the chat cannot be received safely. "
        "At the evidence step, tap 'Send photos' to send it."
    ),
    "kakao.working": "Still working on it. Tap 'Show the rest' in a moment.",
    "kakao.working_callback": "Working on what you sent. One moment, please.",
    "kakao.nothing_more": "There is nothing more to show.",
    "kakao.help": (
        "On KakaoTalk you can also send these words:\n"
        "'start over' new report · 'back' previous question · 'status' your reports · "
        "'language' 한국어/English · 'cancel' delete the report in progress · 'delete my data'"
    ),
    "kakao.upload.title": "Upload evidence documents",
    "kakao.upload.intro": (
        "Choose document files such as PDF, Excel or HWP to send; you can pick several at once. "
        "This link works once."
    ),
    "kakao.upload.choose": "Files to send",
    "kakao.upload.send": "Send",
    "kakao.upload.back": "Go back to KakaoTalk and tap 'Done'.",
    "kakao.upload.invalid": (
        "This link cannot be used: it was used already or has expired. "
        "Get a new one in the KakaoTalk chat."
    ),
    "kakao.upload.passed": "This is not the step that takes files. Please go back to the KakaoTalk chat.",
    "kakao.upload.none": "Please choose the files to send.",
    "kakao.upload.too_big": "That is too big. Each file may be up to 20MB.",
    "kakao.upload.broken": "The files did not arrive. Please send them again.",
    "kakao.photos_failed": "{count} photo(s) could not be downloaded. Please send them again with 'Send photos'.",
}
