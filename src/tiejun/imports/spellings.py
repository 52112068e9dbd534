"""The other spellings an import file may use: Chinese header names for every kind's columns,
and extra spellings of choice values (beyond each choice's value and its English and Chinese
labels, which ``Cells.choice`` reads from the choices themselves).

Each ``*_HEADERS`` maps a header spelling to the column it names; a kind hands its table to
``Kind(headers=...)``. Headers are compared normalised (NFKC, stripped, English lower-cased), so
``金额（元）`` and ``金额(元)`` are one spelling. The first spelling of a column is the one the
Chinese template shows. One word may name different columns in different kinds (``名称``,
``客户名称``); within a kind every spelling names one column.

Domain-free: plain strings only, so the import core and every app may read it.
"""

from __future__ import annotations

UNITS_HEADERS = {
    "编码": "code",
    "单元编码": "code",
    "名称": "name",
    "单元名称": "name",
    "类型": "kind",
    "单元类型": "kind",
    "上级编码": "parent_code",
    "上级单元编码": "parent_code",
}

PEOPLE_HEADERS = {
    "工号": "employee_no",
    "姓名": "name",
    "所属单元": "unit_code",
    "单元编码": "unit_code",
    "角色": "role",
    "入职日期": "start_date",
    "邮箱": "email",
    "电子邮箱": "email",
    "手机": "phone",
    "手机号": "phone",
    "手机号码": "phone",
}

# The people import's optional columns of the platforms' user ids (the accounts app reads them).
PLATFORM_ID_HEADERS = {
    "企业微信账号": "wecom_userid",
    "企业微信UserID": "wecom_userid",
    "企业微信userid": "wecom_userid",
    "企业微信ID": "wecom_userid",
    "钉钉账号": "dingtalk_userid",
    "钉钉UserID": "dingtalk_userid",
    "钉钉userid": "dingtalk_userid",
    "钉钉ID": "dingtalk_userid",
    "飞书账号": "feishu_user_id",
    "飞书UserID": "feishu_user_id",
    "飞书user_id": "feishu_user_id",
    "飞书用户ID": "feishu_user_id",
}

MOVES_HEADERS = {
    "工号": "employee_no",
    "所属单元": "unit_code",
    "单元编码": "unit_code",
    "新单元编码": "unit_code",
    "角色": "role",
    "新角色": "role",
    "生效日期": "effective_date",
}

TARGETS_HEADERS = {
    "月份": "month",
    "范围": "scope",
    "编码": "code",
    "单元编码或工号": "code",
    "指标": "metric",
    "目标值": "value",
    "目标": "value",
}

CALENDAR_HEADERS = {
    "日期": "date",
    "类型": "kind",
    "名称": "name",
}

ACTIVITIES_HEADERS = {
    "活动编号": "activity_id",
    "工号": "employee_no",
    "客户编号": "customer_code",
    "模式": "model",
    "销售模式": "model",
    "日期": "date",
    "时长": "hours",
    "时长(小时)": "hours",
    "成本": "cost",
    "成本(元)": "cost",
}

EVENTS_HEADERS = {
    "场次编号": "event_id",
    "模式": "model",
    "销售模式": "model",
    "所属单元": "unit_code",
    "单元编码": "unit_code",
    "日期": "date",
    "标题": "title",
    "时长": "hours",
    "时长(小时)": "hours",
    "成本": "cost",
    "成本(元)": "cost",
}

ATTENDEES_HEADERS = {
    "场次编号": "event_id",
    "客户编号": "customer_code",
}

SUBSCRIPTIONS_HEADERS = {
    "单元编码": "unit_code",
    "所属单元": "unit_code",
    "报告": "report",
    "渠道": "channel",
    "地址": "address",
    "接收地址": "address",
}

# Part B's kinds (crm.imports, field.imports) read these.
DEALS_HEADERS = {
    "成交编号": "deal_no",
    "工号": "employee_no",
    "销售工号": "employee_no",
    "客户编号": "customer_code",
    "客户名称": "customer_name",
    "金额": "amount",
    "金额(元)": "amount",
    "成交金额": "amount",
    "成交日期": "won_date",
    "渠道": "channel",
}

CUSTOMERS_HEADERS = {
    "客户编号": "customer_code",
    "客户名称": "name",
    "名称": "name",
    "行业": "industry",
    "地址": "address",
    "纬度": "lat",
    "经度": "lon",
    "负责人工号": "owner_employee_no",
    "电话": "phone",
    "联系电话": "phone",
    "优先级": "priority",
}

VISITS_HEADERS = {
    "拜访编号": "visit_id",
    "工号": "employee_no",
    "客户编号": "customer_code",
    "签到时间": "checkin_at",
    "纬度": "lat",
    "经度": "lon",
    "结果": "outcome",
    "拜访结果": "outcome",
    "渠道": "channel",
}

# Extra spellings of choice values (spelling → value) for ``Cells.choice(labels=...)``: the
# glossary's longer names and what other systems export.
ROLE_LABELS = {
    "销售代表": "rep",
    "销售员": "rep",
    "协调": "coordinator",
}

UNIT_KIND_LABELS = {
    "区域": "branch",
    "主管组": "team",
}

SCOPE_LABELS = {
    "单元": "unit",
    "个人": "person",
}

METRIC_LABELS = {
    "销售额": "revenue",
    "新客户": "new_customers",
    "拜访": "visits",
    "拜访量": "visits",
}

CHANNEL_LABELS = {
    "一对一拜访": "visit",
    "会销": "salon",
    "网络营销": "online",
    "生态伙伴": "partner",
}

OUTCOME_LABELS = {
    "无": "none",
    "低意向": "low",
    "中意向": "medium",
    "高意向": "high",
}
