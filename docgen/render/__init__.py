"""Rendering documents: DOCX from templates, PDF renditions and marks."""
