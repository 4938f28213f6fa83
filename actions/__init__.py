"""Tandem's custom Rasa actions, served by rasa-sdk's action server: `python -m rasa_sdk --actions actions`.

session.py starts sessions from the website's customer context (checked by customer.py); cards.py,
transfers.py, payments.py, exchange.py and topups.py are the five multi-turn flows and flow.py is what
they share; amounts.py, currencies.py, dates.py and rates.py turn customers' words into money, dates and
quotes; bank_simulator.py stands in for the bank's card system; handoff.py hands over to people.
"""
