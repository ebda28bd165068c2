"""Deterministic language understanding, one module per seam:

    moves         commands and conversational moves (greeting, skip, done, correction, question kinds)
    levels        levels bound to each mention, and negation
    recognitions  the catalogue's recognitions/events named in a message
    figures       money amounts with the role their own cue words give them

All word classes come from corpus/lexicon.yaml (calculators.grammar); text is normalized first.
bot.dialogue.frame.understand() is the one caller that reads a message with all of them.
"""
