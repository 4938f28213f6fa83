"""Escalation: when a conversation goes to a person, and why.

`kinds` names the reasons; `signals` decides from the customer's turns alone (pure, testable without Rasa); `cues` holds the
wording it looks for and `tone` how a message is written and at whom; `acts` is the dialogue-act head
(`component` puts it in the parse data); `policy` adapts the decision to a Rasa policy; `replay`, `eval`
and `tune` measure it against the labelled conversations (docs/escalation.md).
"""
