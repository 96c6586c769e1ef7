"""Payments' domain errors."""

from marketplace.exceptions import InvalidInput


class InsufficientFunds(InvalidInput):
    """A posting would take a must-not-go-negative account below zero; nothing was posted."""

    code = "insufficient_funds"
    status_code = 402
    default_message = "The account does not hold enough money."
