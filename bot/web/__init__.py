"""The web front end: `create_app(assistant, settings)` (see app.py for the layout)."""

from __future__ import annotations


def create_app(assistant, settings, **options):
    from bot.web.app import create_app as _create_app

    return _create_app(assistant, settings, **options)


__all__ = ["create_app"]
