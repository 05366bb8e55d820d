"""Cleaning submitted content: an HTML allow-list (nh3) and Unicode NFC for every text."""

from __future__ import annotations

from shared.sanitize import clean_html, clean_text
from shared.schemas import ArticleSubmission

__all__ = ["clean_html", "clean_submission", "clean_text"]


def clean_submission(submission: ArticleSubmission) -> ArticleSubmission:
    """The submission as it will be stored: sanitised body, NFC text everywhere."""
    return submission.model_copy(
        update={
            "guid": clean_text(submission.guid),
            "source": clean_text(submission.source),
            "headline": clean_text(submission.headline),
            "subhead": None if submission.subhead is None else clean_text(submission.subhead),
            "byline": None if submission.byline is None else clean_text(submission.byline),
            "body_html": clean_html(submission.body_html),
            "tags": list(dict.fromkeys(clean_text(t) for t in submission.tags)),
            "images": [
                image.model_copy(
                    update={
                        "alt": clean_text(image.alt),
                        "caption": None if image.caption is None else clean_text(image.caption),
                    }
                )
                for image in submission.images
            ],
        }
    )
