"""Japanese search over everything the parser extracted."""
