"""Per-language date formats (settings.FORMAT_MODULE_PATH), read before Django's own."""
