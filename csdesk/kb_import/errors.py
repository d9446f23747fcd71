"""The one error of ``csdesk.kb_import``."""

from __future__ import annotations


class KnowledgeImportError(ValueError):
    """A file that cannot be imported; ``str()`` is one line saying why, for a person.

    Raised for a missing or unreadable file, an unsupported type, an empty,
    binary or oversized file, a DOCX that is not one, a document with no
    text, or a section over the article limits.
    """
