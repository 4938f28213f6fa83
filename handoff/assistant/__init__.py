"""Rasa in-process and the NLU workers (issue #27's layout)."""
