"""The one exception type that the CLI turns into a single line and exit code 2."""


class PoseauError(Exception):
    """Bad input or a missing resource, explained in one line that names the file."""
