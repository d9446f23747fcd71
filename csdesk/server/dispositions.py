"""The wrap-up disposition list: category → code, in Chinese and English (issue #4, guide §3.3).

``GET /dispositions`` serves :data:`DISPOSITIONS`. A code is
``<category>.<item>`` (``inquiry.balance``); each entry of a category's
``codes`` is ``{"code", "zh-CN", "en"}``; a category's ``label`` is
``{"zh-CN", "en"}``. A wrap-up must name one of the codes
(:func:`is_disposition`).
"""

from __future__ import annotations

from typing import Final

from csdesk.domain.contact_schemas import DispositionCategory

# category code, zh-CN, en, [(item, zh-CN, en)]
_RAW: Final = [
    ("inquiry", "咨询", "Inquiry", [
        ("balance", "余额查询", "Balance"),
        ("transactions", "交易明细", "Transactions"),
        ("product", "产品咨询", "Product information"),
        ("fees", "费用与利率", "Fees and rates"),
        ("branch", "网点与营业时间", "Branches and hours"),
        ("self_service", "手机银行/网银指导", "Mobile/online banking guidance"),
    ]),
    ("transaction", "业务办理", "Transaction", [
        ("transfer", "转账汇款", "Transfer"),
        ("wealth", "理财购买", "Wealth product purchase"),
        ("phone_change", "修改预留手机号", "Reserved phone change"),
        ("sms_alerts", "短信通知开关", "SMS alerts"),
        ("unfreeze", "解冻/解除限制", "Unfreeze"),
        ("installment", "信用卡分期", "Card installment"),
    ]),
    ("lost_card", "挂失", "Lost card", [
        ("card_freeze", "银行卡挂失冻结", "Card reported lost and frozen"),
        ("passbook", "存折挂失", "Passbook lost"),
        ("reissue", "补卡咨询", "Card reissue"),
    ]),
    ("complaint", "投诉", "Complaint", [
        ("service", "服务态度", "Service attitude"),
        ("fee_dispute", "收费争议", "Fee dispute"),
        ("transaction_dispute", "交易争议", "Transaction dispute"),
        ("system", "系统故障", "System failure"),
        ("escalated", "已升级处理", "Escalated"),
    ]),
    ("fraud", "反诈与风险", "Fraud and risk", [
        ("suspected_fraud", "疑似电信诈骗", "Suspected telecom fraud"),
        ("verification_failed", "身份核实未通过", "Identity verification failed"),
    ]),
    ("other", "其他", "Other", [
        ("callback", "需回访", "Callback needed"),
        ("transferred", "已转接", "Transferred"),
        ("dropped", "客户挂断/断线", "Customer disconnected"),
        ("no_need", "无实际诉求", "No actual need"),
    ]),
]

#: The two-level list (operating guide §3.3 records), in display order.
DISPOSITIONS: Final[list[DispositionCategory]] = [
    DispositionCategory(
        code=code,
        label={"zh-CN": zh, "en": en},
        codes=[
            {"code": f"{code}.{item}", "zh-CN": item_zh, "en": item_en}
            for item, item_zh, item_en in items
        ],
    )
    for code, zh, en, items in _RAW
]

#: Every valid disposition code.
DISPOSITION_CODES: Final[frozenset[str]] = frozenset(
    entry["code"] for category in DISPOSITIONS for entry in category.codes
)


def is_disposition(code: str) -> bool:
    """Whether ``code`` (``category.item``) is in :data:`DISPOSITIONS`."""
    return code in DISPOSITION_CODES
