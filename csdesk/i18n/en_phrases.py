"""English text of quick phrases (issue #5): composer, F6 list, phrase editor.

Merged into ``en.MESSAGES``; ids are shared with ``zh_cn_phrases.py``. A
text shown without values keeps its braces as they are (``t`` formats only
when given values): ``phrase_editor.body_help`` names the placeholders.
"""

MESSAGES: dict[str, str] = {
    # -- keys --------------------------------------------------------------------
    "key.desk.phrases": "Phrases",
    "key.phrases.close": "Close",
    "key.phrases.edit": "My phrases",
    "key.phrases.down": "Next",
    "key.phrases.up": "Previous",
    "key.phrases.page_down": "Page down",
    "key.phrases.page_up": "Page up",
    "key.phrase_editor.close": "Back",
    "key.phrase_editor.new": "New",
    "key.phrase_editor.save": "Save",
    "key.phrase_editor.delete": "Delete",
    # -- composer ----------------------------------------------------------------
    "composer.placeholders_left": "Fill in before sending: {tokens}",
    "composer.no_phrase": "No quick phrase /{code}",
    "composer.phrases_hint": "/code Tab or {key}: quick phrases",
    "composer.fill_hint": "{count} to fill in: Tab selects the next, typing replaces it",
    # -- desk and palette ----------------------------------------------------------
    "phrases.blocked": "Not sent: fill in {tokens} first (Tab selects it).",
    "cmd.phrases": "Quick phrases",
    "cmd.phrases.help": "Pick a phrase to put into the message ({key})",
    "cmd.phrase_editor": "My quick phrases",
    "cmd.phrase_editor.help": "Add, change or delete your own phrases",
    # -- the list (F6) -------------------------------------------------------------
    "phrases.title": "Quick phrases ({count})",
    "phrases.search_placeholder": "Type to filter: code, title, text (中文 / English)",
    "phrases.hint": "{insert} insert · Up/Down choose · {edit} my phrases · {close} close",
    "phrases.hint_no_contact": "No contact in hand: for reading · {edit} my phrases · {close} close",
    "phrases.none": "No phrase matches.",
    "phrases.no_composer": "No contact in hand: there is no message to put it in.",
    "phrases.scope_personal": "mine",
    "phrases.scope_team": "team",
    # -- the editor ----------------------------------------------------------------
    "phrase_editor.title": "My quick phrases ({count})",
    "phrase_editor.list_hint": "{edit} edit · {delete} delete",
    "phrase_editor.empty": "None yet.",
    "phrase_editor.new_title": "New phrase ({save} saves)",
    "phrase_editor.edit_title": "Editing /{code} ({save} saves, {new} starts a new one)",
    "phrase_editor.field.code": "Code",
    "phrase_editor.field.category": "Category",
    "phrase_editor.field.title": "Title",
    "phrase_editor.field.body": "Text",
    "phrase_editor.code_placeholder": "e.g. lost1",
    "phrase_editor.body_help": (
        "Text. Placeholders: {agent_id} {agent_name} {customer_title} {today} {reference};"
        " {?label} is typed when inserting"
    ),
    "phrase_editor.pending": "not synced yet",
    "phrase_editor.problem.required": "{field}: required.",
    "phrase_editor.problem.too-long": "{field}: at most {max} characters.",
    "phrase_editor.problem.code-format": "Code: 1-{code_max} letters, digits, _ or -, starting with a letter or digit.",
    "phrase_editor.problem.code-taken": "Code: already used by your phrase “{detail}”.",
    "phrase_editor.problem.unknown-placeholder": "{field}: unknown placeholder {detail}.",
    "phrase_editor.problem.too-many": "At most {most} personal phrases.",
    "phrase_editor.discard_question": "Drop the changes not saved?",
    "phrase_editor.delete_question": "Delete /{code} “{title}”?",
    "phrase_editor.saved": "Saved /{code}; it syncs whenever the backend is reachable.",
    "phrase_editor.deleted": "Deleted /{code}.",
    "phrase_editor.save_failed": "Could not save: {error}",
    "phrase_editor.paste_cut": "The pasted text was cut to {max} characters.",
    "cmd.phrase_new": "New phrase",
    "cmd.phrase_save": "Save the phrase",
}
