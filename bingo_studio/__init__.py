"""BINGO Studio: train, prune with BINGO significance scores, and deploy to microcontrollers.

The engine (everything here but ``gui/``) imports no Qt: the GUI and the CLI are two faces on it.
"""

__version__ = "0.1.0"
