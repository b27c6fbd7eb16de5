"""Pure Block Kit builders: (data, locale) -> blocks. Only case codes and codes of the record."""
