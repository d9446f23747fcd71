"""快捷短语的中文文本（issue #5）：输入框、F6 短语列表、短语编辑。

合并进 ``zh_cn.MESSAGES``；编号与 ``en_phrases.py`` 相同。不带参数显示的文本中
花括号原样保留（``t`` 只在给出参数时格式化）：``phrase_editor.body_help`` 列出占位符。
"""

MESSAGES: dict[str, str] = {
    # -- 按键 ----------------------------------------------------------------------
    "key.desk.phrases": "快捷短语",
    "key.phrases.close": "关闭",
    "key.phrases.edit": "我的短语",
    "key.phrases.down": "下一条",
    "key.phrases.up": "上一条",
    "key.phrases.page_down": "下一页",
    "key.phrases.page_up": "上一页",
    "key.phrase_editor.close": "返回",
    "key.phrase_editor.new": "新建",
    "key.phrase_editor.save": "保存",
    "key.phrase_editor.delete": "删除",
    # -- 输入框 --------------------------------------------------------------------
    "composer.placeholders_left": "发送前请填写：{tokens}",
    "composer.no_phrase": "没有快捷短语 /{code}",
    "composer.phrases_hint": "/代码 Tab 或 {key}：快捷短语",
    "composer.fill_hint": "有 {count} 处待填写：Tab 选中下一处，直接输入即可替换",
    # -- 工作台与命令面板 ------------------------------------------------------------
    "phrases.blocked": "未发送：请先填写 {tokens}（按 Tab 选中）。",
    "cmd.phrases": "快捷短语",
    "cmd.phrases.help": "选择短语放入消息（{key}）",
    "cmd.phrase_editor": "我的快捷短语",
    "cmd.phrase_editor.help": "新建、修改或删除个人短语",
    # -- 短语列表（F6） ----------------------------------------------------------------
    "phrases.title": "快捷短语（{count}）",
    "phrases.search_placeholder": "输入以筛选：代码、标题、内容（中文 / English）",
    "phrases.hint": "{insert} 插入 · 上/下 选择 · {edit} 我的短语 · {close} 关闭",
    "phrases.hint_no_contact": "当前没有会话：仅供查看 · {edit} 我的短语 · {close} 关闭",
    "phrases.none": "没有匹配的短语。",
    "phrases.no_composer": "当前没有会话，没有可放入的消息。",
    "phrases.scope_personal": "个人",
    "phrases.scope_team": "团队",
    # -- 短语编辑 --------------------------------------------------------------------
    "phrase_editor.title": "我的快捷短语（{count}）",
    "phrase_editor.list_hint": "{edit} 编辑 · {delete} 删除",
    "phrase_editor.empty": "还没有个人短语。",
    "phrase_editor.new_title": "新建短语（{save} 保存）",
    "phrase_editor.edit_title": "正在编辑 /{code}（{save} 保存，{new} 新建）",
    "phrase_editor.field.code": "代码",
    "phrase_editor.field.category": "分类",
    "phrase_editor.field.title": "标题",
    "phrase_editor.field.body": "内容",
    "phrase_editor.code_placeholder": "如 lost1",
    "phrase_editor.body_help": (
        "内容。占位符：{agent_id} {agent_name} {customer_title} {today} {reference}；"
        "{?名称} 在插入时填写"
    ),
    "phrase_editor.pending": "待同步",
    "phrase_editor.problem.required": "{field}：必填。",
    "phrase_editor.problem.too-long": "{field}：最多 {max} 个字符。",
    "phrase_editor.problem.code-format": "代码：1-{code_max} 个英文字母、数字、_ 或 -，以字母或数字开头。",
    "phrase_editor.problem.code-taken": "代码：已被您的短语“{detail}”使用。",
    "phrase_editor.problem.unknown-placeholder": "{field}：未知的占位符 {detail}。",
    "phrase_editor.problem.too-many": "个人短语最多 {most} 条。",
    "phrase_editor.discard_question": "放弃尚未保存的修改？",
    "phrase_editor.delete_question": "删除 /{code}“{title}”？",
    "phrase_editor.saved": "已保存 /{code}，连上后台后自动同步。",
    "phrase_editor.deleted": "已删除 /{code}。",
    "phrase_editor.save_failed": "保存失败：{error}",
    "phrase_editor.paste_cut": "粘贴的内容已截断为 {max} 个字符。",
    "cmd.phrase_new": "新建短语",
    "cmd.phrase_save": "保存短语",
}
