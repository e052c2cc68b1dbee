"""Errors a user can cause, each with a message written for that user.

The CLI and the GUI each catch `NeuroLabError` in one place and show its message as it is.
"""


class NeuroLabError(Exception):
    """Base of every error whose message is meant for the user, not the developer."""


class SpecError(NeuroLabError):
    """The experiment spec is invalid."""


class DataError(NeuroLabError):
    """The dataset cannot be loaded or used."""


class ProjectFileError(NeuroLabError):
    """The project file cannot be opened, read or written."""


class ExportError(NeuroLabError):
    """A model or report cannot be exported as asked (no such candidate, weights not kept, ...)."""


class ClusterError(NeuroLabError):
    """The Ray cluster cannot be reached or cannot run the experiment (or Ray is missing)."""
