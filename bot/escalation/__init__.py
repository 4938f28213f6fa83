"""Escalation: when a conversation goes to a person, and why.

`signals` decides from the customer's turns alone (pure, testable without Rasa), `cues` holds the
wording it looks for, `policy` adapts it to a Rasa policy, `replay` and `eval` measure it against the
labelled conversations in tests/data/escalation/.
"""
