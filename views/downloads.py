"""A printed document (``services.documents_pdf``) sent as a download: never rendered in the
back-office's origin, never kept by a browser or a proxy (it holds personal data)."""

from __future__ import annotations

from flask import Response

from backoffice.services.documents_pdf import Document


def pdf_download(document: Document) -> Response:
    response = Response(document.content, mimetype=document.mimetype)
    # The name is the service's: ASCII letters, digits and "-" only.
    response.headers["Content-Disposition"] = f'attachment; filename="{document.filename}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "no-store"
    return response
