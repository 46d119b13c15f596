"""Every word a user or staff member reads, in Korean (the default language).

Korean is polite 해요체, short and specific: the reader is worried and on a phone.
Keys are namespaced (see ``flows/locales/__init__.py``); ``flows/locales/en.py`` has
the same keys with the same ``str.format`` placeholders (``tests/flows/test_texts.py``).
"""

from __future__ import annotations

MESSAGES: dict[str, str] = {
    # == the conversation (flows.texts.t) ===========================================
    # -- consent ------------------------------------------------------------------
    "consent": (
        "안녕하세요. 카카오 서비스 장애 피해 접수를 도와드릴게요.\n\n"
        "먼저 개인정보 수집·이용 동의가 필요해요.\n"
        "• 목적: 피해 접수, 지원 대상 확인, 결과 안내\n"
        "• 항목: {account}, 이용자 유형, 피해 서비스, 피해 금액, "
        "사업자등록번호(소상공인만), 보내 주신 증빙 자료\n"
        "• 보관 기간: 피해 지원이 끝난 날부터 1년 뒤 파기해요\n"
        "• 동의하지 않으셔도 돼요. 다만 동의하지 않으시면 접수를 할 수 없어요.\n\n"
        "주민등록번호는 묻지 않아요. 동의하시나요?"
    ),
    # How the channel knows the person ({account} above and in "privacy"): a channel
    # names its own under "<channel>.account" (telegram.account, console.account).
    "account": "메신저 계정 ID",
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
    # A tier named in one line (summaries, case lists, staff pages).
    "tier.kind.cash": "현금 {amount}",
    "tier.kind.review": "협의체 심사",
    "tier.kind.terms": "서비스 약관에 따른 보상",
    "tier.kind.package": "이용자 지원 패키지",
    "tier.with_channel_cash": "{tier} + 채널 메시지 캐시 {amount}",
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
    "value.files.one": "{count}개",
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
        "진행 상황은 /status 로 언제든 확인할 수 있어요. 접수번호를 메모해 두세요.\n"
        "궁금한 점은 여기에 적어 주시면 담당자에게 전해 드려요."
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
        "접수가 끝났어요. (접수번호: {case_number})\n"
        "궁금한 점이나 더 보낼 자료가 있으면 여기에 적거나 사진·파일로 보내 주세요. 담당자에게 전해 드려요.\n"
        "새로 접수하시려면 /start 를 눌러 주세요."
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
        "• 저장하는 정보: {account}, 접수 답변, 증빙 자료\n"
        "• 이유: 피해 접수와 지원 대상 확인, 결과 안내\n"
        "• 보관 기간: 피해 지원이 끝난 날부터 1년, 작성 중에 멈춘 접수는 {expire_days}일 뒤 삭제\n"
        "• 주민등록번호는 받지 않아요.\n"
        "• /delete_my_data 로 삭제를 요청할 수 있어요."
    ),
    "lang.choose": "언어를 골라 주세요. / Choose a language.",
    "lang.set": "이제 한국어로 안내할게요.",
    "lang.name": "한국어",  # on its /lang button, in every language
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
    # -- messages to staff about a submitted case ---------------------------------------
    "message.which_case": "어느 접수에 대한 내용인가요? 아래에서 골라 주세요.",
    "message.write": (
        "접수번호 {case_number}에 대해 담당자에게 전할 내용을 적어 주세요. 사진이나 파일도 보낼 수 있어요."
    ),
    "message.stop": "보내지 않기",
    "message.sent": "접수번호 {case_number}에 대한 내용을 담당자에게 보냈어요. 답이 오면 여기로 알려 드릴게요.",
    "message.stopped": "담당자에게 아무것도 보내지 않았어요.",
    "message.throttled": (
        "짧은 시간에 메시지를 많이 보내셔서 이번 내용은 전하지 못했어요. "
        "앞서 보내신 내용은 담당자가 모두 확인할 거예요.\n"
        "조금 뒤에 다시 보내 주세요."
    ),
    "message.from_staff": "접수번호 {case_number}에 대해 담당자가 답했어요.\n\n{text}",
    "message.reply": "답장하기",
    "message.ask_staff": "궁금한 점은 아래 '담당자에게 문의'를 누르고 적어 주세요. 여기로 답해 드릴게요.",
    "message.button": "담당자에게 문의",
    "status.write": "{case_number} 담당자에게 문의",
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
    "notices.unread": "읽지 않은 알림이 {count}개 있어요.",
    "notices.unread.one": "읽지 않은 알림이 {count}개 있어요.",
    "group_chat": "피해 접수는 1:1 대화에서만 받아요. 저에게 직접 메시지를 보내 주세요.",
    "error.internal": (
        "죄송해요. 잠시 문제가 생겼어요. 입력하신 내용은 그대로 있어요. 잠시 뒤 다시 보내 주세요."
    ),
    "error.wait": (
        "죄송해요. 잠시 저장이 안 되고 있어요. 지금까지 입력하신 내용은 그대로 있고, "
        "이 메시지에는 곧 제가 이어서 답해 드릴게요. 다시 보내지 않으셔도 돼요."
    ),
    "error.corrupt": (
        "죄송해요. 작성하던 접수를 불러오지 못했어요. 담당자가 확인할게요. "
        "/start 로 새로 시작하실 수 있어요."
    ),
    # == the staff web (bot/staff/templates/words.py: word(lang, "nav.cases")) =========
    "staff.app": "피해 접수 관리",
    "staff.nav.cases": "접수 목록",
    "staff.nav.stats": "통계",
    "staff.nav.signout": "로그아웃",
    "staff.nav.switch": "English",
    "staff.nav.signed_in": "{name} 님",
    "staff.signin.title": "담당자 로그인",
    "staff.signin.lead": "접수 관리 페이지는 담당자만 볼 수 있어요. 이름과 접속 토큰을 입력해 주세요.",
    "staff.signin.name": "이름",
    "staff.signin.name_hint": "처리 이력에 남아요 (예: 김담당)",
    "staff.signin.token": "접속 토큰",
    "staff.signin.submit": "로그인",
    "staff.signin.wrong": "접속 토큰이 맞지 않아요.",
    "staff.signin.name_missing": "처리 이력에 남을 이름을 적어 주세요.",
    "staff.signin.throttled": "로그인 시도가 너무 많아요. {seconds}초 후에 다시 시도해 주세요.",
    "staff.signin.expired": "로그인 화면이 만료되었어요. 다시 시도해 주세요.",
    "staff.signin.once_lead": "터미널에 나온, 한 번만 쓸 수 있는 로그인 링크예요. 이름을 확인하고 로그인해 주세요.",
    "staff.signin.once_name_hint": "처리 이력에 남아요. 비워 두면 local로 남아요.",
    "staff.signin.once_refused": "이 로그인 링크는 이미 쓰였거나 만료되었어요. 봇을 다시 시작하면 새 링크가 터미널에 나와요.",
    "staff.list.title": "접수 목록",
    "staff.list.count": "전체 {total}건 중 {first}–{last}",
    "staff.list.empty": "조건에 맞는 접수가 없어요.",
    "staff.list.page": "{page} / {pages} 쪽",
    "staff.list.prev": "이전",
    "staff.list.next": "다음",
    "staff.list.first": "처음",
    "staff.list.last": "마지막",
    "staff.filter.legend": "검색 조건",
    "staff.filter.from": "접수일부터",
    "staff.filter.to": "접수일까지",
    "staff.filter.status": "상태",
    "staff.filter.tier": "지원 구간",
    "staff.filter.reporter_type": "신고자 유형",
    "staff.filter.service": "서비스",
    "staff.filter.flag": "검토 표시",
    "staff.filter.q": "접수번호",
    "staff.filter.q_hint": "예: K7F-3QX-9MZ 또는 그 일부",
    "staff.filter.sort": "정렬",
    "staff.filter.all": "전체",
    "staff.filter.flag_any": "표시 있음(전체)",
    "staff.filter.flag_none": "표시 없음",
    "staff.filter.apply": "검색",
    "staff.filter.reset": "초기화",
    "staff.filter.none": "조건 없음 · 모든 접수",
    "staff.sort.newest": "최근 접수순",
    "staff.sort.oldest": "오래된 접수순",
    "staff.sort.amount_desc": "피해 금액 큰 순",
    "staff.sort.amount_asc": "피해 금액 작은 순",
    "staff.export.title": "현재 조건으로 내보내기",
    "staff.export.zip": "증빙 ZIP",
    "staff.export.preparing_title": "{format} 내보내기",
    "staff.export.preparing": "{format} 파일에 {n}건이 담겨요.",
    "staff.export.progress": "누르면 받는 중인 파일을 브라우저의 다운로드 목록에서 볼 수 있어요. 건수가 많으면 몇십 초 걸려요.",
    "telegram.staff.usage": "사용법: {usage}",
    "telegram.staff.bad_word": "'{word}'은(는) 쓸 수 없는 조건이에요.",
    "telegram.staff.bad_date": "'{value}'은(는) 날짜가 아니에요. YYYY-MM-DD로 적어 주세요.",
    "telegram.staff.bad_status": "'{value}'은(는) 상태가 아니에요. 다음 중 하나로 적어 주세요: {choices}",
    "telegram.staff.bad_filter": "이 조건은 쓸 수 없어요: {error}",
    "telegram.staff.cases": "{count}건",
    "telegram.staff.cases.one": "{count}건",
    "telegram.staff.too_big": "{count}건은 텔레그램에 올릴 수 있는 50MB를 넘어요. 조건을 좁히거나 담당자 웹 페이지 또는 `python -m bot export`를 써 주세요.",
    "telegram.staff.failed": "명령을 처리하지 못했어요. 자세한 내용은 로그에 있어요.",
    "staff.export.manual": "{format} 파일 내려받기",
    "staff.col.case_number": "접수번호",
    "staff.col.submitted_at": "접수 일시",
    "staff.col.status": "상태",
    "staff.col.reporter_type": "신고자 유형",
    "staff.col.service": "서비스",
    "staff.col.amount": "피해 금액",
    "staff.col.tier": "지원 구간",
    "staff.col.flags": "검토 표시",
    "staff.detail.back": "← 목록으로",
    "staff.detail.summary": "접수 정보",
    "staff.detail.user": "이용자({channel} ID)",
    "staff.detail.lang": "이용자 언어",
    "staff.detail.billing": "유료·무료",
    "staff.detail.monetary": "금전 피해",
    "staff.detail.tentative": "잠정 지원금",
    "staff.detail.channel_cash": "채널 메시지 캐시",
    "staff.detail.final_amount": "최종 지원금",
    "staff.detail.business_number": "사업자등록번호",
    "staff.detail.updated_at": "최근 변경",
    "staff.detail.description": "피해 내용",
    "staff.detail.no_description": "적은 내용이 없어요.",
    "staff.detail.answers": "응답 원본",
    "staff.detail.evidence": "증빙 자료",
    "staff.detail.no_evidence": "첨부된 파일이 없어요.",
    "staff.detail.download": "내려받기",
    "staff.detail.flags": "검토 표시",
    "staff.detail.no_flags": "표시 없음",
    "staff.detail.actions": "검토 처리",
    "staff.detail.no_actions": "이 상태에서는 할 수 있는 처리가 없어요.",
    "staff.detail.tell_user": "이용자에게는 {channel}에서 {lang}로 알려요.",
    "staff.detail.audit": "처리 이력",
    "staff.detail.audit_when": "일시",
    "staff.detail.audit_who": "처리자",
    "staff.detail.audit_what": "내용",
    "staff.detail.not_found": "접수번호 {number}: 찾을 수 없어요.",
    "staff.action.request_documents": "서류 보완 요청",
    "staff.action.approve": "지원 확정",
    "staff.action.reject": "지원 불가",
    "staff.action.pay": "지급 완료 처리",
    "staff.field.documents": "필요한 서류",
    "staff.field.other_documents": "그 밖의 서류 (직접 입력)",
    "staff.field.note": "이용자에게 전할 메모 (선택)",
    "staff.field.final_amount": "최종 지원금 (원)",
    "staff.field.final_amount_hint": "0은 모든 이용자 지원 패키지만 드린다는 뜻이에요",
    "staff.field.reason": "사유 (이용자에게 전달돼요)",
    "staff.done.request_documents": "서류 보완을 요청하고 이용자에게 알렸어요.",
    "staff.done.approve": "지원을 확정하고 이용자에게 알렸어요.",
    "staff.done.reject": "지원 불가로 처리하고 이용자에게 알렸어요.",
    "staff.done.pay": "지급 완료로 기록하고 이용자에게 알렸어요.",
    "staff.done.not_told": "처리는 저장했지만 이용자에게 알리지 못했어요({channel}). 처리 이력을 확인해 주세요.",
    "staff.error.documents": "필요한 서류를 하나 이상 고르거나 적어 주세요.",
    "staff.error.amount": "최종 지원금을 숫자로 적어 주세요 (예: 50000 또는 5만원).",
    "staff.error.reason": "사유를 적어 주세요.",
    "staff.error.not_allowed": "지금 상태({status})에서는 '{action}'을(를) 할 수 없어요.",
    "staff.error.forbidden": "요청을 확인할 수 없어요(보안 토큰 불일치). 페이지를 새로 고친 뒤 다시 시도해 주세요.",
    "staff.error.not_found": "찾는 페이지가 없어요.",
    "staff.stats.title": "접수 통계",
    "staff.stats.total": "전체 접수",
    "staff.stats.paid_share": "유료 서비스 피해",
    "staff.stats.free_monetary_share": "무료 서비스 금전 피해",
    "staff.stats.reporter_type": "신고자 유형",
    "staff.stats.channel": "접수 경로",
    "staff.stats.kind": "피해 구분 (협의체 기준)",
    "staff.stats.billing": "유료 · 무료 서비스",
    "staff.stats.money": "금전 피해 여부",
    "staff.stats.tier": "지원 구간",
    "staff.stats.status": "처리 상태",
    "staff.stats.per_day": "일별 접수 (KST)",
    "staff.stats.per_day_table": "일별 접수 건수 표",
    "staff.stats.median": "신고자 유형별 피해 금액 중앙값",
    "staff.stats.median_note": "금전 피해가 있고 금액을 적은 접수 기준",
    "staff.stats.paid": "유료 서비스 피해",
    "staff.stats.free": "무료 서비스",
    "staff.stats.monetary": "금전 피해 있음",
    "staff.stats.non_monetary": "금전 피해 없음 (유료·무료 서비스 모두)",
    "staff.stats.free_non_monetary": "무료 서비스 · 금전 피해 없음",
    "staff.stats.kind_note": "유료 서비스 피해는 금전 피해가 없어도 유료로 세어요 (협의체 방식).",
    "staff.stats.money_note": "유료·무료를 가리지 않고 금전 피해가 있는지만 세어요.",
    "staff.stats.from": "부터",
    "staff.stats.to": "까지",
    "staff.stats.show_range": "기간 보기",
    "staff.stats.range": "{first} ~ {last} · {n}건",
    "staff.stats.outside": "이 기간 밖의 접수: 이전 {before}건, 이후 {after}건",
    "staff.stats.free_monetary": "무료 서비스 금전 피해",
    "staff.stats.none": "아직 접수된 건이 없어요.",
    "staff.stats.as_of": "{when} 기준 ({every}초마다 새로 계산해요)",
    "staff.stats.day": "날짜",
    "staff.stats.cases": "건수",
    "staff.stats.n": "{n}건 기준",
    "staff.unit.cases": "{n}건",
    "staff.yes": "예",
    "staff.no": "아니요",
    "staff.paid": "유료",
    "staff.free": "무료",
    "staff.audit.case.created": "접수됨",
    "staff.audit.case.updated": "변경",
    "staff.audit.review.documents_requested": "서류 보완 요청",
    "staff.audit.review.approved": "지원 확정",
    "staff.audit.review.rejected": "지원 불가",
    "staff.audit.review.paid": "지급 완료",
    "staff.audit.review.notify_failed": "이용자 알림 실패",
    "staff.audit.status": "상태",
    "staff.audit.final_amount": "최종 지원금",
    "staff.audit.evidence_added": "증빙 추가",
    "staff.audit.reason": "사유",
    "staff.audit.tier": "지원 구간",
    "staff.audit.documents": "요청 서류",
    "staff.audit.note": "메모",
    "staff.audit.deadline": "기한",
    "staff.audit.error": "오류",
    "staff.detail.confirm_first": "보내기 전에 이용자가 받을 메시지를 먼저 보여 드려요.",
    "staff.confirm.title": "{action}: 확인",
    "staff.confirm.back": "← 접수 {number} 화면으로",
    "staff.confirm.message": "이용자가 받을 메시지",
    "staff.confirm.channel": "{channel} 메시지로, {lang}로 이대로 보내요.",
    "staff.confirm.offline": (
        "이 메시지는 이용자에게 바로 가지 않아요. 처리는 저장되고, 메시지는 {lang}로 이대로 보관했다가 "
        "이용자가 {channel}에서 다음에 말을 걸 때 보여 드리거나, 보낼 수 있게 되면 보내요."
    ),
    "staff.confirm.check": "{action}…",
    "staff.confirm.send.request_documents": "서류 보완 요청 보내기",
    "staff.confirm.send.approve": "지원 확정하고 알리기",
    "staff.confirm.send.correct_amount": "금액 바로잡고 알리기",
    "staff.confirm.send.reject": "지원 불가로 처리하고 알리기",
    "staff.confirm.send.pay": "지급 완료로 기록하고 알리기",
    "staff.confirm.cancel": "취소",
    "staff.resend.title": "이용자에게 보내지 못한 메시지",
    "staff.resend.lead": "처리는 저장됐지만 이 메시지가 이용자에게 가지 못했어요. 다시 보내면 {lang}로 이대로 가요.",
    "staff.notice.mailbox": "이 메시지는 아직 이용자에게 가지 않아 보관하고 있어요. 이용자가 {channel}에서 다음에 말을 걸 때 한 번 보여 드리고, 보낼 수 있게 되면 봇이 보내요.",
    "staff.notice.retrying": "{channel} 알림을 {attempts}번 보내 봤지만 전하지 못했어요(마지막 시도: {at}, {error}). 봇이 알아서 다시 보내요. 바로 보내려면 '다시 보내기'를 눌러 주세요.",
    "staff.resend.button": "다시 보내기",
    "staff.action.correct_amount": "지원금 정정",
    "staff.action.resend": "다시 보내기",
    "staff.field.corrected_amount": "바로잡을 최종 지원금 (원)",
    "staff.field.corrected_hint": "지금 확정된 금액: {amount}",
    "staff.field.correction_reason": "정정 사유 (이용자에게 전달되고 처리 이력에 남아요)",
    "staff.field.paid_hint": "지급할 금액: {amount}",
    "staff.done.correct_amount": "지원금을 바로잡고 이용자에게 알렸어요.",
    "staff.done.resend": "메시지를 다시 보냈어요.",
    "staff.error.changed": "확인하는 사이에 이 접수가 바뀌었어요. 지금 내용을 보고 다시 처리해 주세요.",
    "staff.error.correction_reason": "정정 사유를 적어 주세요.",
    # -- messages between a reporter and staff (the case list and the case page) -------
    "staff.filter.messages": "메시지",
    "staff.filter.messages_unread": "답하지 않은 메시지",
    "staff.list.unread": "답하지 않은 메시지가 있는 접수 {count}건 보기",
    "staff.list.undelivered": "이용자에게 아직 전하지 못한 알림이 {count}개 있어요(접수 {cases}건).",
    "staff.list.undelivered_badge": "알림 미전달 {count}",
    "staff.list.unread_badge": "메시지 {count}",
    "staff.thread.title": "이용자와 주고받은 메시지",
    "staff.thread.empty": "아직 주고받은 메시지가 없어요.",
    "staff.thread.user": "이용자",
    "staff.thread.unread": "답하지 않은 메시지 {count}개",
    "staff.thread.done": "처리 완료",
    "staff.thread.answer": "답장",
    "staff.thread.hint": "이용자의 {channel} 대화로 {lang} 안내와 함께 전해져요.",
    "staff.thread.send": "답장 보내기",
    "staff.thread.mark_done": "처리 완료로 표시",
    "staff.done.answer": "답장을 보냈어요.",
    "staff.done.answer_waits": "답장을 남겼어요. 이용자가 다음에 대화를 열면 볼 수 있어요.",
    "staff.done.thread_done": "이 접수의 메시지를 처리 완료로 표시했어요.",
    "staff.error.answer_empty": "보낼 내용을 적어 주세요.",
    "staff.audit.case.message": "메시지",
    "staff.audit.case.thread_done": "메시지 처리 완료",
    "staff.audit.text": "내용",
    "staff.audit.files": "파일",
    "staff.error.same_amount": "지금 확정된 금액과 같아요. 바꿀 금액을 적어 주세요.",
    "staff.error.input": "입력한 내용을 확인해 주세요.",
    "staff.error.resend_nothing": "다시 보낼 메시지가 없어요. 모두 이용자에게 전달됐어요.",
    "staff.audit.review.amount_corrected": "지원금 정정",
    "staff.audit.review.notice_resent": "메시지 다시 보냄",
    "staff.audit.limits.lifted": "1인 한도 해제",
    "staff.audit.user_id": "이용자 ID",
    "staff.limits.title": "1인 접수 한도",
    "staff.limits.lead": "이 이용자가 정책의 1인 한도(접수 건수, 파일 용량)를 넘어 더 접수하고 파일을 더 보낼 수 있게 해요. 처리 이력에 남아요.",
    "staff.limits.button": "한도 풀기",
    "staff.done.limits_lifted": "이 이용자의 1인 한도를 풀었어요.",
    "staff.error.limits_reason": "한도를 푸는 사유를 적어 주세요.",
    "staff.audit.previous": "이전 금액",
    # == the exports (bot/staff/exports.py: CSV, XLSX, JSON lines) ======================
    "export.col.case_number": "접수번호",
    "export.col.submitted_at": "접수 일시(KST)",
    "export.col.status": "상태",
    "export.col.reporter_type": "신고자 유형",
    "export.col.service": "서비스",
    "export.col.paid": "유료/무료",
    "export.col.monetary": "금전 피해",
    "export.col.amount": "피해 금액(원)",
    "export.col.tier": "지원 구간",
    "export.col.tentative_support": "잠정 지원금(원)",
    "export.col.channel_cash": "채널 메시지 캐시",
    "export.col.final_amount": "최종 지원금(원)",
    "export.col.business_number": "사업자등록번호",
    "export.col.description": "피해 내용",
    "export.col.evidence_count": "증빙 파일 수",
    "export.col.user_id": "이용자 ID",
    "export.col.channel": "접수 경로",
    "export.col.lang": "언어",
    "export.col.flags": "검토 표시",
    "export.col.message_count": "메시지 수",
    "export.col.last_message_at": "마지막 메시지 일시(KST)",
    "export.yes": "예",
    "export.no": "아니요",
    "export.paid": "유료",
    "export.free": "무료",
    "export.lang.ko": "한국어",
    "export.lang.en": "영어",
    "export.channel_cash": "채널 메시지 캐시 {cash}",
    "export.sheet": "접수 목록",
    "export.amount_format": '#,##0"원"',
    # == the review flags staff read (bot/staff/flags.py) ===================================
    "flags.shared_evidence": "증빙 중복(다른 이용자)",
    "flags.repeat_user": "동일 이용자 다건",
    "flags.amount_outlier": "금액 이상치",
    # == the statistics as plain text (bot/staff/stats.py: `bot stats`, Telegram /stats) ====
    "stats.title": "접수 통계",
    "stats.total": "전체",
    "stats.reporter_type": "신고자 유형",
    "stats.channel": "접수 경로",
    "stats.billing": "유료·무료",
    "stats.paid_damage": "유료 서비스 피해",
    "stats.paid": "유료 서비스",
    "stats.free": "무료 서비스",
    "stats.other": "무료 서비스 · 금전 피해 없음",
    "stats.kind": "피해 구분",
    "stats.money": "금전 피해",
    "stats.monetary": "금전 피해 있음",
    "stats.non_monetary": "금전 피해 없음 (유료·무료 모두)",
    "stats.free_monetary": "무료 서비스 금전 피해",
    "stats.tier": "지원 구간",
    "stats.status": "상태",
    "stats.per_day": "일별 접수(KST)",
    "stats.median": "피해 금액 중앙값(금전 피해, 금액 있는 건)",
    "stats.median_amount": "{amount:,.0f}원",
    "stats.cases": "{n:,}건",
    "stats.none": "접수된 건이 없어요.",
    # == what only the web chat page says (bot/webchat/) ====================================
    "web.name": "웹 채팅",
    "web.account": "이 브라우저에 저장된 무작위 접속 ID(쿠키)",
    "web.title": "피해 접수",
    "web.welcome": (
        "안녕하세요. 서비스 장애로 입은 피해를 여기서 접수할 수 있어요.\n"
        "몇 가지 질문에 답해 주시면 예상 지원 내용을 바로 알려 드려요. 회원 가입은 필요 없어요."
    ),
    "web.start": "접수 시작하기",
    "web.transcript": "대화 내용",
    "web.bot": "접수 도우미",
    "web.you": "나",
    "web.notice": "새 소식",
    "web.choices": "답을 고르세요",
    "web.answer": "답변 입력",
    "web.send": "보내기",
    "web.back": "이전 질문",
    "web.start_over": "처음부터",
    "web.files": "사진이나 서류 고르기",
    "web.camera": "카메라로 찍기",
    "web.upload": "파일 보내기",
    "web.uploading": "보내는 중… {percent}%",
    "web.sending": "보내는 중…",
    "web.sent_files": "파일 {count}개: {names}",
    "web.sent_files.one": "파일 {count}개: {names}",
    "web.switch": "English",
    "web.switch_label": "Switch to English",
    "web.status_link": "접수 조회",
    "web.chat_link": "채팅으로 돌아가기",
    "web.skip": "입력란으로 건너뛰기",
    "web.stale": "화면이 오래되어 다시 불러왔어요. 확인하고 다시 눌러 주세요.",
    "web.too_fast": "너무 빨리 보내고 있어요. {seconds}초 뒤에 다시 보내 주세요.",
    "web.too_big": "한 번에 보낼 수 있는 양을 넘었어요. 파일을 나눠서 보내 주세요.",
    "web.failed": "보내지 못했어요. 연결을 확인하고 다시 보내 주세요.",
    "web.lookup": (
        "조회 코드: {code}\n"
        "다른 기기에서도 접수번호와 이 코드로 처리 상태를 보고, 담당자 메시지를 읽고, "
        "서류를 보낼 수 있어요. 화면을 캡처하거나 적어 두세요."
    ),
    "web.write": "담당자에게 문의",
    "web.news": "새 소식 {count}개 보기",
    "web.status.title": "접수 조회",
    "web.status.intro": "접수번호와 조회 코드를 입력하면 이 브라우저에서 그 접수를 이어서 볼 수 있어요.",
    "web.status.case_number": "접수번호",
    "web.status.code": "조회 코드",
    "web.status.open": "조회하기",
    "web.status.wrong": "접수번호나 조회 코드가 맞지 않아요. 다시 확인해 주세요.",
    "web.status.throttled": "여러 번 틀려서 잠시 막아 두었어요. {seconds}초 뒤에 다시 해 주세요.",
    "web.status.yours": "이 브라우저의 접수",
    "web.status.messages": "메시지와 서류 보내기는 채팅에서 할 수 있어요.",
    # == what only the console chat says (bot/console.py) ===================================
    "console.name": "콘솔",
    "console.account": "이 컴퓨터에서 나눈 대화 기록",
    "console.help": "/file 경로  파일을 증빙 자료로 보내기 (예: /file ~/영수증.jpg)",
    "console.evidence": "여기서는 /file 다음에 파일 경로를 적어 보내 주세요. 예: /file ~/영수증.jpg",
    "console.no_path": "/file 다음에 보낼 파일의 경로를 적어 주세요. 예: /file ~/영수증.jpg",
    "console.not_found": "파일을 찾을 수 없어요: {path}\n경로를 확인해서 다시 보내 주세요.",
    "console.unreadable": "파일을 열 수 없어요: {path}\n파일인지, 읽을 수 있는지 확인해 주세요.",
    # == the Telegram command menu (bot/telegram.py) ======================================
    "telegram.menu.start": "피해 접수 시작",
    "telegram.menu.status": "내 접수 현황",
    "telegram.menu.back": "이전 질문으로",
    "telegram.menu.cancel": "접수 취소",
    "telegram.menu.lang": "언어 바꾸기",
    "telegram.menu.privacy": "개인정보 처리 안내",
    "telegram.menu.delete_my_data": "내 정보 삭제 요청",
    "telegram.menu.help": "도움말",
    # == the Telegram channel's own words: its name (staff pages), how it knows the person ==
    "telegram.name": "텔레그램",
    "telegram.account": "텔레그램 계정 ID",
    # == words a person may type instead of a slash command (flows.commands.read_words) ===
    # "|" separates the forms one command is known by; matched whole, case- and
    # width-folded, by channels without a command menu (the KakaoTalk skill).
    "words.start": "처음부터|처음으로|처음부터 다시|다시 시작|시작|접수 시작",
    "words.back": "뒤로|이전|이전 질문|이전으로",
    "words.cancel": "접수 취소|취소",
    "words.status": "접수 확인|접수 현황|내 접수|진행 상황",
    "words.help": "도움말|도움|메뉴",
    "words.privacy": "개인정보|개인정보 처리 안내",
    "words.delete_my_data": "내 정보 삭제|내 정보 삭제 요청",
    "words.lang": "언어|언어 바꾸기|언어 변경",
    # == the KakaoTalk skill's own words (bot/kakao.py) ==================================
    "kakao.name": "카카오톡",
    "kakao.account": "카카오톡 채널 이용자 식별키",
    "kakao.more": "다음 목록 ▶",
    "kakao.previous": "◀ 이전 목록",
    "kakao.numbered": "번호나 이름을 적어 보내셔도 돼요.",
    "kakao.continue": "이어서 보기",
    "kakao.back": "◀ 뒤로",
    "kakao.status": "접수 확인",
    "kakao.start": "처음부터",
    "kakao.other_lang": "English",
    "kakao.photos": "사진 보내기",
    "kakao.evidence": (
        "사진은 아래 '사진 보내기'를 눌러 보내 주세요. 한 번에 여러 장 보낼 수 있어요.\n"
        "PDF나 엑셀 같은 문서 파일은 카카오톡 챗봇으로 직접 받을 수 없어요. "
        "문서 화면을 사진으로 찍어 보내시거나, 아래 링크에서 파일로 올려 주세요."
    ),
    "kakao.upload_link": "서류 파일 올리기(이 접수 전용, 30분 안에 한 번 쓸 수 있어요):\n{url}",
    "kakao.chat_photo": (
        "대화창에 바로 올린 사진은 안전하게 받을 수 없어요. "
        "증빙 자료를 보내는 단계에서 '사진 보내기'를 눌러 보내 주세요."
    ),
    "kakao.working": "처리하고 있어요. 잠시 뒤 '이어서 보기'를 눌러 주세요.",
    "kakao.working_callback": "보내 주신 내용을 처리하고 있어요. 잠시만 기다려 주세요.",
    "kakao.nothing_more": "더 보여 드릴 내용이 없어요.",
    "kakao.help": (
        "카카오톡에서는 아래 말을 적어 보내셔도 돼요.\n"
        "'처음부터' 접수 새로 시작 · '뒤로' 이전 질문 · '접수 확인' 내 접수 현황 · "
        "'언어' 한국어/English · '취소' 작성 중인 접수 삭제 · '내 정보 삭제'"
    ),
    "kakao.upload.title": "증빙 서류 올리기",
    "kakao.upload.intro": (
        "PDF, 엑셀, 한글 같은 서류 파일을 골라 보내 주세요. 여러 개를 한 번에 고를 수 있어요. "
        "이 링크는 한 번만 쓸 수 있어요."
    ),
    "kakao.upload.choose": "보낼 파일",
    "kakao.upload.send": "보내기",
    "kakao.upload.back": "카카오톡으로 돌아가서 '다 보냈어요'를 눌러 주세요.",
    "kakao.upload.invalid": (
        "이 링크는 쓸 수 없어요. 이미 썼거나 시간이 지났을 수 있어요. "
        "카카오톡 대화에서 새 링크를 받아 주세요."
    ),
    "kakao.upload.passed": ("지금은 자료를 받는 단계가 아니에요. 카카오톡 대화로 돌아가 주세요."),
    "kakao.upload.none": "보낼 파일을 골라 주세요.",
    "kakao.upload.too_big": "파일이 너무 커요. 한 파일에 20MB까지 보낼 수 있어요.",
    "kakao.upload.broken": "파일을 받지 못했어요. 다시 보내 주세요.",
    "kakao.photos_failed": "사진 {count}장을 내려받지 못했어요. 다시 '사진 보내기'로 보내 주세요.",
}
