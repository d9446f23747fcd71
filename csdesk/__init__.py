"""csdesk: a keyboard-driven terminal desktop for bank contact-centre agents."""

__version__ = "0.1.0"
