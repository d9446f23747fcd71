"""Document import for the knowledge base (issue #5, operating guide §3.1): Markdown, HTML,
DOCX and plain text split at their headings; the operations guide in ``../shared/seeds/``
as one article per numbered section without the site's boilerplate; bad input."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

from csdesk.domain import knowledge as kb
from csdesk.kb_import import (
    MAX_FILE_BYTES,
    KnowledgeImportError,
    article_id,
    decode_text,
    read_document,
)
from csdesk.kb_import.markdown_split import (
    escape_markdown,
    parser,
    sanitize_markdown,
    summarize,
)
from csdesk.kb_import.plaintext import chinese_number, text_to_markdown
from tests.shared_seeds import operations_guide

GUIDE_SECTIONS = ["1.1", "1.2", "1.3", "2.1", "2.2", "2.3", "2.4", "3.1", "3.2", "3.3", "3.4"]


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def by_title(doc) -> dict[str, object]:
    return {s.title: s for s in doc.sections}


# -- the operations guide (real input) ------------------------------------------------


@pytest.fixture(scope="module")
def guide():
    return read_document(operations_guide())


def test_the_guide_gives_one_article_per_numbered_section(guide) -> None:
    numbers = [s.title.split(" ", 1)[0] for s in guide.sections]
    assert numbers == GUIDE_SECTIONS
    titles = {s.title.split(" ", 1)[0]: s for s in guide.sections}
    assert titles["1.2"].title == "1.2 系统登录步骤"
    assert titles["2.1"].title == "2.1 客户接入与身份核实"
    assert titles["3.2"].title == "3.2 工单系统与任务管理"
    assert titles["3.3"].title == "3.3 通话/会话记录与录音回放(如适用)"
    # Category = the heading path above the section (the chapter line).
    assert titles["1.3"].category == ("一、前置准备与系统登录",)
    assert titles["2.1"].category == ("二、客户交互与业务受理核心流程",)
    assert titles["3.4"].category == ("三、辅助功能与效率提升技巧",)
    # What the search test will look for is in the right article.
    assert "身份核实" in titles["2.1"].body and "预留手机号" in titles["2.1"].body
    assert "工单" in titles["3.2"].body
    assert "密码" in titles["1.3"].body and "复杂度" in titles["1.3"].body
    # Steps became an ordered list; the text is whole.
    assert titles["1.2"].body.startswith("1. 打开指定的客服系统客户端程序")
    assert "4. 成功登录后" in titles["1.2"].body
    assert all(s.summary and len(s.summary) <= 160 for s in guide.sections)
    # The text stops inside section 4 ("4.1系"): no article, a warning instead.
    assert any("4.1" in w for w in guide.warnings)
    ids = [article_id("guide.txt", s.key) for s in guide.sections]
    assert len(set(ids)) == len(ids) and all(kb.ID_PATTERN.match(i) for i in ids)


def test_the_guides_boilerplate_is_left_out(guide) -> None:
    lines = [line.strip() for line in operations_guide().read_text(encoding="utf-8").split("\n")]
    first = next(n for n, line in enumerate(lines) if line.startswith("1.1"))
    cut = next(n for n, line in enumerate(lines) if line.startswith("4.1"))
    # Lines outside the numbered sections: before the first chapter line, and from the
    # cut-off section 4 on (its chapter line goes in no article either).
    chapter = max(n for n in range(first) if lines[n].startswith("一、"))
    outside = {line for line in lines[:chapter] + lines[cut:] if len(line) >= 2}
    assert {"文档评论(0)", "相关文档", "查看更多", "引言"} <= outside
    for section in guide.sections:
        texts = [section.title, section.body, section.summary, *section.category]
        for line in outside:
            assert all(line not in text for text in texts), (section.title, line)
    everything = "\n".join(s.body for s in guide.sections)
    for junk in ("原创力文档", "VIP", "book118", "400-050-0827", "小财神", "银行客服系统操作流程指南"):
        assert junk not in everything


def test_numbered_headings_need_a_sequence_and_a_title_shape() -> None:
    text = "\n".join([
        "首页 | 2.0版本 | 登录",  # not a heading line
        "2.0版本说明",  # a candidate, but out of sequence with the document
        "广告",
        "1.1 开户",
        "开户需要本人身份证件。",
        "2.5万元以内免手续费。",  # a sentence, not a heading
        "1.2 销户",
        "3.14%的利率不是标题",
        "销户前请结清欠款。",
        "备案号 12345",
    ])
    markdown, title = text_to_markdown(text)
    assert title == ""
    headings = [t.content for t in parser().parse(markdown) if t.type == "inline" and t.map and
                markdown.split("\n")[t.map[0]].startswith("#")]
    assert headings == ["1.1 开户", "1.2 销户"]
    assert "2.0版本" not in markdown and "广告" not in markdown and "备案号" not in markdown
    assert "2.5万元以内免手续费。" in markdown.replace("\\", "")


def test_plain_text_without_headings_is_one_article(tmp_path: Path) -> None:
    doc = read_document(write(tmp_path, "note.txt", "挂失须知\n\n客户来电挂失时，先核实身份。\n然后冻结卡片。\n"))
    [section] = doc.sections
    assert section.title == "挂失须知" and section.category == ()
    assert section.body == "客户来电挂失时，先核实身份。\n然后冻结卡片。"


def test_chinese_numbers() -> None:
    assert [chinese_number(x) for x in ("一", "四", "十", "十二", "二十", "九十九", "7", "零", "百")] == [
        1, 4, 10, 12, 20, 99, 7, None, None]


def test_text_encodings(tmp_path: Path) -> None:
    text = "1.1 开户\n开户须知。\n1.2 销户\n销户须知。\n"
    for name, raw in (("gb.txt", text.encode("gb18030")), ("u16.txt", text.encode("utf-16")),
                      ("bom.txt", b"\xef\xbb\xbf" + text.encode())):
        doc = read_document(write(tmp_path, name, raw))
        assert [s.title for s in doc.sections] == ["1.1 开户", "1.2 销户"], name


# -- Markdown ---------------------------------------------------------------------


MARKDOWN = """\
Intro text before any heading.

# 信用卡手册

手册说明。

## 挂失

### 电话挂失

拨打 95500 挂失。

```
# not a heading
```

#### 注意

细节留在正文里。

### 网点挂失

带上身份证。

## 分期

分期手续费按期收取。
"""


def test_markdown_is_split_at_headings_with_the_heading_path(tmp_path: Path) -> None:
    doc = read_document(write(tmp_path, "cards.md", MARKDOWN))
    assert [(s.title, s.category) for s in doc.sections] == [
        ("cards", ()),
        ("信用卡手册", ()),
        ("电话挂失", ("信用卡手册", "挂失")),
        ("网点挂失", ("信用卡手册", "挂失")),
        ("分期", ("信用卡手册",)),
    ]
    phone = by_title(doc)["电话挂失"]
    assert "# not a heading" in phone.body and "#### 注意" in phone.body and "细节留在正文里" in phone.body
    assert phone.summary.startswith("拨打 95500 挂失。")
    assert doc.warnings == []
    # depth=1: only the top level splits.
    shallow = read_document(write(tmp_path, "cards2.md", MARKDOWN), depth=1)
    assert [s.title for s in shallow.sections] == ["cards2", "信用卡手册"]
    assert "### 网点挂失" in shallow.sections[1].body


def test_reimport_keys_are_stable_and_repeated_headings_distinct(tmp_path: Path) -> None:
    text = "# A\n\n## FAQ\n\none\n\n## FAQ\n\ntwo\n"
    first = read_document(write(tmp_path, "x.md", text))
    again = read_document(write(tmp_path, "x.md", text))
    assert [s.key for s in first.sections] == [s.key for s in again.sections]
    assert len({s.key for s in first.sections}) == 2


def test_markdown_with_raw_html_and_escape_sequences_is_made_safe(tmp_path: Path) -> None:
    text = (
        "# 标题 \x1b[31m红\x1b[0m\n\n"
        "正文 <b>粗体</b> 和 <span style='color:red'>红字</span>\x07。\n\n"
        "<script>alert('x')</script>\n\n"
        "<div onclick=\"steal()\">\n<p>块里的字</p>\n</div>\n\n"
        "链接 [点我](javascript:alert(1)) 和 [官网](https://bank.example)\n\n"
        "\x1b]8;;https://evil.example\x07终端链接\x1b]8;;\x07 \x9b2J\n\n"
        "`<b>代码</b>`\n"
    )
    [section] = read_document(write(tmp_path, "evil.md", text)).sections
    body = section.body
    assert section.title == "标题 红"
    assert "\x1b" not in body and "\x07" not in body and "\x9b" not in body
    assert "<script" not in body and "alert('x')" not in body and "onclick" not in body
    assert "<b>粗体</b>" not in body and "粗体" in body and "红字" in body and "<span" not in body
    assert "块里的字" in body and "<div" not in body
    assert "javascript:" not in body and "(https://bank.example)" in body and "链接 点我 和" in body
    assert "终端链接" in body and "evil.example" not in body
    tokens = parser().parse(body)
    assert not [t for t in tokens if t.type == "html_block"]
    assert not [c for t in tokens if t.children for c in t.children if c.type == "html_inline"]


def test_escape_markdown_keeps_text_as_text() -> None:
    for line in ("# not a heading", "- not a list", "1. not a list", "<b>x</b>", "a *b* _c_ [d](e)", "> quote"):
        tokens = parser().parse(escape_markdown(line))
        assert [t.type for t in tokens] == ["paragraph_open", "inline", "paragraph_close"], line
        assert "".join(c.content for c in tokens[1].children if c.type == "text") == line
    assert escape_markdown("开户须知") == "开户须知"


def test_summary_is_short_and_cut_at_a_sentence() -> None:
    long = "第一句话说明情况。" * 30
    assert summarize(long).endswith("。") and len(summarize(long)) <= 160
    assert summarize("x" * 400).endswith("…") and len(summarize("x" * 400)) == 160
    assert summarize("") == ""


def test_sanitize_leaves_plain_markdown_alone() -> None:
    text = "## 标题\n\n- 一\n- 二\n\n| a | b |\n| --- | --- |\n| 1 | 2 |\n"
    assert sanitize_markdown(text) == text


# -- HTML ---------------------------------------------------------------------


HTML = """<!doctype html>
<html><head><title>转账 FAQ</title><style>body{color:red}</style>
<script>track()</script></head>
<body>
<header><a href="/">网银首页</a> | <a href="/login">登录</a></header>
<nav><ul><li>首页</li><li>产品</li></ul></nav>
<main>
  <h1>转账常见问题</h1>
  <p>本页回答转账问题。</p>
  <h2>到账时间</h2>
  <p>行内转账<strong>实时</strong>到账；跨行转账一般 2 小时内。</p>
  <img src="x.png" alt="到账示意图">
  <h2>转账限额</h2>
  <ul><li>手机银行单笔 5 万元</li><li>柜台不限</li></ul>
  <p>详见 <a href="javascript:void(0)">这里</a> 与 <a href="https://bank.example/limits">限额表</a>。</p>
  <p>&lt;script&gt; 是文字</p>
</main>
<aside>相关推荐</aside>
<footer>版权所有 © 某银行 备案号 123</footer>
</body></html>"""


def test_html_is_converted_without_page_chrome(tmp_path: Path) -> None:
    doc = read_document(write(tmp_path, "faq.html", HTML))
    assert doc.kind == "html"
    assert [(s.title, s.category) for s in doc.sections] == [
        ("转账常见问题", ()), ("到账时间", ("转账常见问题",)), ("转账限额", ("转账常见问题",))]
    sections = by_title(doc)
    assert "**实时**" in sections["到账时间"].body and "到账示意图" in sections["到账时间"].body
    assert "- 手机银行单笔 5 万元" in sections["转账限额"].body
    assert "[限额表](https://bank.example/limits)" in sections["转账限额"].body
    assert "javascript" not in sections["转账限额"].body
    assert "\\<script\\>" in sections["转账限额"].body  # text that looked like a tag stays text
    everything = "\n".join(s.body + s.title for s in doc.sections)
    for junk in ("网银首页", "首页", "相关推荐", "版权所有", "track()", "color:red"):
        assert junk not in everything


def test_html_without_headings_takes_the_page_title(tmp_path: Path) -> None:
    doc = read_document(write(tmp_path, "a.htm", "<html><head><title>营业时间</title></head><body><p>9:00-17:00</p></body></html>"))
    assert [(s.title, s.body) for s in doc.sections] == [("营业时间", "9:00-17:00")]


# -- DOCX ---------------------------------------------------------------------


def make_docx(path: Path) -> Path:
    import docx

    document = docx.Document()
    document.core_properties.title = "借记卡业务手册"
    document.add_paragraph("借记卡业务手册", style="Title")
    document.add_paragraph("本手册供坐席使用。")
    document.add_heading("挂失", level=1)
    document.add_heading("电话挂失", level=2)
    para = document.add_paragraph("拨打 ")
    para.add_run("95500").bold = True
    para.add_run(" 即可挂失。")
    document.add_paragraph("核实身份", style="List Number")
    document.add_paragraph("冻结卡片", style="List Number")
    document.add_heading("补卡", level=2)
    document.add_paragraph("# 不是标题 <b>也不是 HTML</b>")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "方式", "费用"
    table.cell(1, 0).text, table.cell(1, 1).text = "网点|柜台", "10 元"
    document.add_heading("销户", level=1)
    document.add_paragraph("销户需本人办理。", style="List Bullet")
    document.save(str(path))
    return path


def test_docx_is_split_at_heading_styles(tmp_path: Path) -> None:
    doc = read_document(make_docx(tmp_path / "manual.docx"))
    assert doc.kind == "docx"
    assert [(s.title, s.category) for s in doc.sections] == [
        ("借记卡业务手册", ()),
        ("电话挂失", ("借记卡业务手册", "挂失")),
        ("补卡", ("借记卡业务手册", "挂失")),
        ("销户", ("借记卡业务手册",)),
    ]
    sections = by_title(doc)
    phone = sections["电话挂失"].body
    assert "**95500**" in phone and "1. 核实身份" in phone and "1. 冻结卡片" in phone
    replace = sections["补卡"].body
    tokens = parser().parse(replace)
    assert not [t for t in tokens if t.type in ("heading_open", "html_block")]
    assert "| 方式 | 费用 |" in replace and "网点\\|柜台" in replace
    assert sections["销户"].body == "- 销户需本人办理。"
    assert sections["借记卡业务手册"].body == "本手册供坐席使用。"


# -- bad input ------------------------------------------------------------------


def error_of(path: Path, **kwargs) -> str:
    with pytest.raises(KnowledgeImportError) as info:
        read_document(path, **kwargs)
    message = str(info.value)
    assert "\n" not in message and message
    return message


def test_bad_input_gives_one_clear_line(tmp_path: Path) -> None:
    assert "not a DOCX" in error_of(write(tmp_path, "fake.docx", "just text, renamed"))
    other_zip = tmp_path / "other.docx"
    with zipfile.ZipFile(other_zip, "w") as z:
        z.writestr("hello.txt", "hi")
    assert "word/document.xml" in error_of(other_zip)
    broken = tmp_path / "broken.docx"
    with zipfile.ZipFile(broken, "w") as z:
        z.writestr("[Content_Types].xml", "<nope")
        z.writestr("word/document.xml", "<not xml")
    assert "not a readable DOCX" in error_of(broken)
    assert error_of(write(tmp_path, "empty.md", "")) == "empty file"
    assert error_of(write(tmp_path, "blank.txt", " \n\t\n")) == "empty file"
    junk = bytes(range(256)) * 64
    assert "binary" in error_of(write(tmp_path, "junk.txt", junk))
    assert "binary" in error_of(write(tmp_path, "junk.md", b"\x01\x02\x03\x04" * 500 + b"abc"))
    huge = tmp_path / "huge.txt"
    with huge.open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)  # sparse: costs nothing
    assert "too large" in error_of(huge)
    assert "unsupported file type .pdf" in error_of(write(tmp_path, "a.pdf", "%PDF-1.4"))
    assert error_of(tmp_path / "missing.md") == "no such file"
    assert "folder" in error_of(tmp_path)
    assert "no text" in error_of(write(tmp_path, "chrome.html", "<nav>menu</nav><script>x()</script>"))


def test_a_section_over_the_body_limit_is_refused(tmp_path: Path) -> None:
    text = "# big\n\n" + ("很长的段落。" * 40 + "\n\n") * 900
    message = error_of(write(tmp_path, "big.md", text))
    assert "big" in message and "200,000" in message


def test_decode_text_rejects_control_heavy_text() -> None:
    assert decode_text("正常文字\n".encode()) == "正常文字\n"
    with pytest.raises(KnowledgeImportError):
        decode_text(b"\x01\x1f" * 50 + b"x" * 100)
    assert decode_text(b"\x1b[31mred\x1b[0m " * 20) .startswith("\x1b[31m")


def test_titles_are_one_line_and_within_the_limit(tmp_path: Path) -> None:
    long_title = "标" * 300
    [section] = read_document(write(tmp_path, "t.md", f"# {long_title}\n\ntext\n")).sections
    assert len(section.title) == kb.TITLE_MAX and section.title.endswith("…")
    assert not re.search(r"[\x00-\x1f]", section.title)
