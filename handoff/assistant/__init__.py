"""Rasa in-process: the bot bridge and the NLU worker processes."""
