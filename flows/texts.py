"""Every sentence the bot says, in Korean (the default) and English.

Korean is polite 해요체, short and specific: the reader is worried and on a phone.
Placeholders use ``str.format`` names; ``tests/flows/test_texts.py`` checks that both
languages have the same keys and placeholders.
"""

from __future__ import annotations

LANGS = ("ko", "en")
DEFAULT_LANG = "ko"

KO: dict[str, str] = {
    # -- consent ------------------------------------------------------------------
    "consent": (
        "안녕하세요. 카카오 서비스 장애 피해 접수를 도와드릴게요.\n\n"
        "먼저 개인정보 수집·이용 동의가 필요해요.\n"
        "• 목적: 피해 접수, 지원 대상 확인, 결과 안내\n"
        "• 항목: 텔레그램 계정 ID, 이용자 유형, 피해 서비스, 피해 금액, "
        "사업자등록번호(소상공인만), 보내 주신 증빙 자료\n"
        "• 보관 기간: 피해 지원이 끝난 날부터 1년 뒤 파기해요\n"
        "• 동의하지 않으셔도 돼요. 다만 동의하지 않으시면 접수를 할 수 없어요.\n\n"
        "주민등록번호는 묻지 않아요. 동의하시나요?"
    ),
    "consent.yes": "동의해요",
    "consent.no": "동의하지 않아요",
    "declined": (
        "알겠어요. 아무 정보도 저장하지 않았어요.\n다시 접수하시려면 언제든 /start 를 눌러 주세요."
    ),
    # -- questions ----------------------------------------------------------------
    "reporter_type": "어떤 분이신가요?",
    "service": "어떤 서비스에서 피해를 입으셨나요?",
    "service_other": "피해를 입은 서비스 이름을 적어 주세요. (예: 카카오웹툰)",
    "paid": "{service} 이용 형태를 알려 주세요.",
    "paid.yes": "유료로 이용했어요",
    "paid.no": "무료로 이용했어요",
    "monetary": "장애 때문에 금전 피해(매출 감소, 결제 손실 등)가 있었나요?",
    "monetary.yes": "네, 금전 피해가 있어요",
    "monetary.no": "아니요, 문의·의견이에요",
    "description": "문의나 의견을 자유롭게 적어 주세요. ({max}자까지)",
    "description.loss": (
        "장애 때문에 무슨 일이 있었는지 짧게 적어 주세요. ({max}자까지)\n"
        "예: 예약 문의를 받지 못해 손님을 놓쳤어요.\n"
        "적을 내용이 없으면 '건너뛰기'를 눌러 주세요."
    ),
    "description.skip": "건너뛰기",
    "amount": "피해 금액을 적어 주세요.\n예: 35만 원, 350,000원",
    "amount_confirm": "{amount} 맞으신가요?",
    "amount_confirm.yes": "네, 맞아요",
    "amount_confirm.no": "다시 입력할게요",
    "business_number": "사업자등록번호 10자리를 적어 주세요.\n예: 214-86-18379",
    "channel": "카카오톡 채널을 운영하고 계신가요?",
    "channel.yes": "네, 운영해요",
    "channel.no": "아니요",
    "evidence.optional": (
        "증빙 자료가 있으면 보내 주세요. (영수증, 매출 내역, 화면 캡처 등)\n"
        "사진이나 파일을 여러 개 보내셔도 돼요. 다 보내셨으면 '다 보냈어요'를, "
        "자료가 없으면 '건너뛰기'를 눌러 주세요."
    ),
    "evidence.required": (
        "심사를 위해 아래 자료가 필요해요.\n"
        "{documents}\n"
        "지금 있는 자료를 사진이나 파일로 보내 주세요. 다 보내셨으면 '다 보냈어요'를 눌러 주세요.\n"
        "지금 없으시면 '나중에 보낼게요'를 누르고 접수부터 하셔도 돼요. "
        "접수 뒤에 '서류 보내기' 버튼으로 보내실 수 있어요."
    ),
    "evidence.count": "지금까지 받은 자료: {count}개",
    "evidence.done": "다 보냈어요",
    "evidence.skip": "건너뛰기",
    "evidence.later": "나중에 보낼게요",
    "current_answer": "지금 답: {answer}",
    "current_answer.keep": "바꾸시려면 새로 적어 주시고, 그대로 두시려면 아래 버튼을 눌러 주세요.",
    "keep": "그대로 둘게요",
    # -- tier ---------------------------------------------------------------------
    "tier.header": "잠정 지원 내용을 알려 드려요.",
    "tier.package": "함께 받는 지원: {package}",
    "tier.substitutes": "참고: 이 서비스는 대체 서비스({substitutes})가 있어 심사 때 함께 고려돼요.",
    "tier.footer": "최종 지원 내용은 심사 후 확정돼요.",
    # -- summary and edits ----------------------------------------------------------
    "summary": "접수 내용을 확인해 주세요.\n\n{lines}\n\n이대로 접수할까요?",
    "summary.submit": "접수하기",
    "summary.edit": "고치기",
    "summary.cancel": "취소하기",
    "field.reporter_type": "이용자 유형",
    "field.service": "서비스",
    "field.service_other": "서비스 이름",
    "field.paid": "이용 형태",
    "field.monetary": "금전 피해",
    "field.description": "문의·의견",
    "field.description_loss": "피해 내용",
    "field.amount": "피해 금액",
    "field.business_number": "사업자등록번호",
    "field.channel": "카카오톡 채널",
    "field.evidence": "증빙 자료",
    "field.tier": "잠정 지원",
    "value.paid": "유료",
    "value.free": "무료",
    "value.yes_loss": "있어요",
    "value.no_loss": "없어요(문의·의견)",
    "value.runs_channel": "운영해요",
    "value.no_channel": "운영하지 않아요",
    "value.files": "{count}개",
    "value.no_files": "없어요",
    "value.files_later": "접수 뒤에 보낼게요",
    "value.no_description": "적지 않았어요",
    "edit_menu": "어떤 항목을 고칠까요?",
    "edit_menu.back": "← 확인 화면으로",
    # -- submitted ------------------------------------------------------------------
    "submitted": (
        "접수가 끝났어요. 고생 많으셨어요.\n\n"
        "접수번호: {case_number}\n"
        "잠정 지원: {tier}\n"
        "{package}\n\n"
        "진행 상황은 /status 로 언제든 확인할 수 있어요. 접수번호를 메모해 두세요."
    ),
    "submitted.documents": (
        "심사 서류를 기다리고 있어요. 준비되면 아래 '서류 보내기'를 누르고 사진이나 파일로 보내 주세요.\n"
        "{documents}\n"
        "3일 동안 서류가 오지 않으면 한 번 더 알려 드릴게요."
    ),
    "documents.reminder": (
        "접수번호 {case_number}의 심사 서류를 아직 받지 못했어요.\n"
        "필요한 서류: {documents}\n"
        "준비되면 아래 '서류 보내기'를 누르고 사진이나 파일로 보내 주세요."
    ),
    "already_submitted": (
        "이 접수는 이미 끝났어요. (접수번호: {case_number})\n새로 접수하시려면 /start 를 눌러 주세요."
    ),
    # -- resume / cancel / back -------------------------------------------------------
    "resume": "작성하던 접수가 있어요. 이어서 할까요, 처음부터 다시 할까요?",
    "resume.continue": "이어서 하기",
    "resume.restart": "처음부터 다시",
    "cancelled": "접수를 취소하고 작성하던 내용을 지웠어요.\n다시 접수하시려면 /start 를 눌러 주세요.",
    "back.first": "첫 질문이에요. 더 돌아갈 곳이 없어요.",
    # -- hints for invalid input ----------------------------------------------------------
    "hint.use_buttons": "아래 버튼 중에서 골라 주세요.",
    "hint.stale_button": "이미 지나간 질문의 버튼이에요. 지금 질문에 답해 주세요.",
    "hint.empty": "내용을 적어 주세요.",
    "hint.too_long": "{max}자까지 적을 수 있어요. 조금 줄여 주세요.",
    "hint.no_files_here": "지금은 파일을 받지 않아요. 증빙 자료는 뒤에서 따로 여쭤볼게요.",
    "hint.unsupported": "음성, 스티커, 위치, 연락처는 받을 수 없어요. 글이나 버튼으로 답해 주세요.",
    "hint.text_at_evidence": (
        "증빙 자료는 사진이나 파일로 보내 주세요. 다 보내셨으면 '다 보냈어요'를 눌러 주세요."
    ),
    "hint.edited": "고친 메시지는 답으로 반영되지 않아요. 새 메시지로 다시 보내 주세요.",
    "hint.unknown_command": "모르는 명령이에요. /help 로 쓸 수 있는 명령을 볼 수 있어요.",
    "hint.window_closed": "{reporter_type} 접수는 {date}에 마감됐어요. 다른 유형이면 다시 골라 주세요.",
    "hint.window_not_open": "{reporter_type} 접수는 {date}부터 받아요. 그때 다시 찾아 주세요.",
    "amount.empty": "금액을 숫자로 적어 주세요. 예: 35만 원",
    "amount.no_amount": "금액을 찾지 못했어요. 숫자로 적어 주세요. 예: 350,000원 또는 35만 원",
    "amount.zero": (
        "0원은 접수할 수 없어요. 금전 피해가 없으시면 /back 으로 돌아가 '문의·의견'을 골라 주세요."
    ),
    "amount.negative": "피해 금액은 0원보다 커야 해요. 잃은 금액만 적어 주세요.",
    "amount.range": "금액을 범위로 적으셨어요. 가장 정확한 금액 하나만 적어 주세요. 예: 40만 원",
    "amount.several": "금액이 여러 개 보여요. 피해 금액을 모두 더해서 하나만 적어 주세요.",
    "amount.fraction": "원 단위 아래(소수점)는 적을 수 없어요. 원 단위로 적어 주세요.",
    "amount.too_large": "{cap}을 넘는 금액이에요. 금액을 다시 확인해서 적어 주세요.",
    "amount.unreadable": "금액을 정확히 읽지 못했어요. 350,000원 또는 35만 원처럼 적어 주세요.",
    "bizno.format": "사업자등록번호는 숫자 10자리예요. 예: 214-86-18379",
    "bizno.checksum": "사업자등록번호가 맞지 않아요. 사업자등록증의 번호를 다시 확인해 주세요.",
    "bizno.trivial": "쓸 수 없는 번호예요. 사업자등록증에 적힌 번호를 적어 주세요.",
    # -- evidence ---------------------------------------------------------------------------
    "file.received": "받았어요: {names}",
    "file.ack": "지금까지 {count}개예요. 더 보내셔도 되고, 다 보내셨으면 '다 보냈어요'를 눌러 주세요.",
    "file.duplicate": "이미 받은 파일이에요: {name}",
    "file.bad_type": (
        "{name}: 받을 수 없는 형식이에요. 사진(JPG, PNG, HEIC), PDF, 엑셀, 한글, "
        "워드 파일을 보내 주세요."
    ),
    "file.too_big": "{name}: 파일이 너무 커요({size}). {max} 이하로 보내 주세요.",
    "file.empty": "{name}: 빈 파일이에요. 내용이 있는 파일을 보내 주세요.",
    "file.not_downloaded": "{name}: 파일을 받지 못했어요. 한 번 더 보내 주세요.",
    "file.too_many": "자료는 최대 {max}개까지 받을 수 있어요. {name}은(는) 받지 않았어요.",
    "file.quota": (
        "{name}: 한 분이 보낼 수 있는 파일은 모두 {max}까지예요. 꼭 필요한 파일만 보내 주세요. "
        "더 보내야 한다면 담당자가 한도를 늘려 드릴 수 있어요."
    ),
    "limit.cases": (
        "이미 {count}건을 접수하셨어요. 한 분이 접수할 수 있는 건수는 {max}건까지예요. "
        "접수한 건은 /status 로 확인할 수 있어요. 더 접수해야 한다면 담당자가 한도를 "
        "늘려 드릴 수 있어요.{contact}"
    ),
    # -- commands ---------------------------------------------------------------------------
    "help": (
        "카카오 서비스 장애 피해를 접수하는 챗봇이에요.\n\n"
        "/start 접수 시작하기\n"
        "/back 이전 질문으로\n"
        "/cancel 접수 취소(작성 내용 삭제)\n"
        "/status 내 접수 진행 상황\n"
        "/lang 언어 바꾸기 (한국어 / English)\n"
        "/privacy 개인정보 처리 안내\n"
        "/delete_my_data 내 정보 삭제 요청"
    ),
    "privacy": (
        "개인정보 처리 안내\n"
        "• 저장하는 정보: 텔레그램 계정 ID, 접수 답변, 증빙 자료\n"
        "• 이유: 피해 접수와 지원 대상 확인, 결과 안내\n"
        "• 보관 기간: 피해 지원이 끝난 날부터 1년, 작성 중에 멈춘 접수는 {expire_days}일 뒤 삭제\n"
        "• 주민등록번호는 받지 않아요.\n"
        "• /delete_my_data 로 삭제를 요청할 수 있어요."
    ),
    "lang.choose": "언어를 골라 주세요. / Choose a language.",
    "lang.set": "이제 한국어로 안내할게요.",
    "status.none": "아직 접수된 건이 없어요. /start 로 접수를 시작할 수 있어요.",
    "status.header": "내 접수 현황이에요.",
    "status.line": "• {case_number} | {tier} | {status}",
    "status.bad_number": "접수번호가 맞지 않아요. 받으신 번호를 다시 확인해 주세요. 예: K7F-3QX-9MZ",
    "status.not_found": "그 번호로 된 내 접수를 찾지 못했어요. /status 만 보내시면 내 접수를 모두 볼 수 있어요.",
    "status.submitted": "접수됨",
    "status.documents_requested": "서류 보완 요청",
    "status.documents_received": "보완 서류 접수됨",
    "status.approved": "지원 확정",
    "status.rejected": "지원 불가",
    "status.paid": "지급 완료",
    "supplement": (
        "접수번호 {case_number}에 붙일 서류를 사진이나 파일로 보내 주세요.\n"
        "필요한 서류: {documents}\n"
        "다 보내셨으면 '다 보냈어요'를 눌러 주세요."
    ),
    "supplement.none": "아직 받은 서류가 없어요. 사진이나 파일을 보내 주세요.",
    "supplement.done": "보완 서류 {count}개를 접수번호 {case_number}에 붙였어요. 담당자가 확인할게요.",
    "supplement.stopped": "서류 보내기를 멈췄어요. 요청 메시지의 '서류 보내기'로 언제든 다시 할 수 있어요.",
    "supplement.not_open": "이 접수(접수번호 {case_number})는 지금 서류를 받지 않아요.",
    "review.documents_requested": (
        "접수번호 {case_number}의 심사에 서류 보완이 필요해요.\n"
        "필요한 서류: {documents}\n"
        "{note}"
        "{deadline}까지 아래 '서류 보내기'를 누르고 사진이나 파일을 보내 주세요."
    ),
    "review.send_documents": "서류 보내기",
    "review.approved": (
        "접수번호 {case_number}의 지원이 확정됐어요.\n지원 금액: {amount}\n{note}지급 일정은 따로 안내해 드릴게요."
    ),
    "review.rejected": (
        "검토 결과, 이 접수(접수번호 {case_number})는 지원 대상에 해당하지 않아요.\n사유: {reason}{contact}"
    ),
    "review.amount_corrected": (
        "접수번호 {case_number}의 지원 금액을 바로잡았어요.\n바뀐 지원 금액: {amount}\n사유: {reason}\n"
        "먼저 알려 드린 금액 대신 이 금액으로 지급해요."
    ),
    "review.paid": "접수번호 {case_number}의 지원금 {amount}을 보내 드렸어요.",
    "delete.confirm": (
        "작성 중인 접수와 보내신 파일을 지우고, 이미 접수된 건은 담당자에게 삭제를 요청할게요. 진행할까요?"
    ),
    "delete.yes": "네, 지워 주세요",
    "delete.no": "아니요",
    "delete.done": "작성 중이던 접수와 파일을 지웠어요.",
    "delete.requested": "이미 접수된 {count}건은 담당자가 확인한 뒤 삭제하고 알려 드릴게요.",
    "delete.nothing": "지울 정보가 없어요.",
    "delete.kept": "아무것도 지우지 않았어요.",
    "reminder": (
        "작성하던 피해 접수가 아직 끝나지 않았어요. 이어서 하시려면 아래 질문에 답해 주세요.\n"
        "{days}일 동안 답이 없으면 작성 내용이 지워져요."
    ),
    "expired": (
        "작성하던 피해 접수가 {days}일 동안 멈춰 있어서 지웠어요.\n"
        "다시 접수하시려면 /start 를 눌러 주세요."
    ),
    "group_chat": "피해 접수는 1:1 대화에서만 받아요. 저에게 직접 메시지를 보내 주세요.",
    "error.internal": (
        "죄송해요. 잠시 문제가 생겼어요. 입력하신 내용은 그대로 있어요. 잠시 뒤 다시 보내 주세요."
    ),
    "error.corrupt": (
        "죄송해요. 작성하던 접수를 불러오지 못했어요. 담당자가 확인할게요. "
        "/start 로 새로 시작하실 수 있어요."
    ),
}

EN: dict[str, str] = {
    "consent": (
        "Hello. I'll help you report damage from the Kakao service outage.\n\n"
        "First we need your consent to collect and use personal data.\n"
        "• Purpose: taking your report, checking support eligibility, telling you the result\n"
        "• Items: your Telegram account ID, reporter type, affected service, loss amount, "
        "business registration number (small businesses only), evidence you send\n"
        "• Retention: deleted one year after the support programme ends\n"
        "• You may refuse. Without consent, though, we cannot take your report.\n\n"
        "We never ask for your resident registration number. Do you agree?"
    ),
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
    "value.files": "{count} file(s)",
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
        "Check progress any time with /status. Please note the case number."
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
        "This report is already submitted (case number {case_number}).\n"
        "Send /start to file a new one."
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
        "• Stored: your Telegram account ID, your answers, evidence you send\n"
        "• Why: to take the report, check eligibility and tell you the result\n"
        "• Kept: one year after the support programme ends; unfinished drafts are deleted "
        "after {expire_days} days\n"
        "• We never collect resident registration numbers.\n"
        "• /delete_my_data asks us to delete your data."
    ),
    "lang.choose": "언어를 골라 주세요. / Choose a language.",
    "lang.set": "I'll continue in English.",
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
    "group_chat": "Reports are taken in private chats only. Please message me directly.",
    "error.internal": (
        "Sorry, something went wrong on our side. Your answers are safe. "
        "Please send that again in a moment."
    ),
    "error.corrupt": (
        "Sorry, I couldn't load your draft. Our staff will look into it. "
        "You can start again with /start."
    ),
}

CATALOG: dict[str, dict[str, str]] = {"ko": KO, "en": EN}


def t(lang: str, key: str, **values: object) -> str:
    """Return the text ``key`` in ``lang`` (Korean when unknown), filled with ``values``."""
    catalog = CATALOG.get(lang, KO)
    return catalog[key].format(**values) if values else catalog[key]


def pick_lang(language_code: str | None, default: str = DEFAULT_LANG) -> str:
    """Choose a language from a client's IETF tag (``ko``, ``en-US``…)."""
    if language_code:
        base = language_code.split("-")[0].lower()
        if base in CATALOG:
            return base
    return default if default in CATALOG else DEFAULT_LANG
