"""The Slack side's view of the catalogs; the loader and the TOML files live in `models.text`."""

from models.text import LOCALES, catalog, locale_from_slack, t, words

__all__ = ["LOCALES", "catalog", "locale_from_slack", "t", "words"]
