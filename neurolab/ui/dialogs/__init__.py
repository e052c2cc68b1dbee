"""Dialogs: error messages, questions (unsaved changes, stop the run?) and About."""
