"""The error tree. The CLI maps each class to one clear line and an exit code."""


class EtomKgError(Exception):
    """Base class of every error etom-kg raises on purpose."""

    exit_code = 1


class InputError(EtomKgError):
    """Bad user input: an unreadable or malformed file, an unknown format."""

    exit_code = 2


class QueryError(EtomKgError):
    """An unknown stored query, a bad parameter or a malformed query file."""

    exit_code = 2


class ReasoningError(EtomKgError):
    """The graph is inconsistent (for example an individual in two disjoint classes)."""

    exit_code = 3


class RemoteError(EtomKgError):
    """A remote SPARQL endpoint failed or could not be reached."""

    exit_code = 4
