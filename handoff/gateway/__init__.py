"""Sockets and HTTP: the Rasa channel, customer and agent websockets, the desk's operations, routes."""
