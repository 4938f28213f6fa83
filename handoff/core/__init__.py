"""The desk's logic with no I/O at all: wire protocol, conversation state machine, signed contexts, errors."""
