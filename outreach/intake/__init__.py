"""Request intake: validation, locating, letters, message parsing, dedupe."""
