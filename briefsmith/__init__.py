"""Briefsmith: verified content blocks in, audience-specific policy briefs (PDF and HTML) out."""

__version__ = "0.1.0"
