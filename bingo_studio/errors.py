"""One exception type for mistakes a user can fix; the CLI and GUI show its message as is."""


class UserError(Exception):
    """Bad input (file, setting, port...) described in one plain sentence, no traceback needed."""
