"""The handlers of the rule table (bot/dialogue/rules.py), one module per part of the dialogue:

    commands   empty, reset, help, the article list and one article, small talk
    form       the guided check: organisation type, recognitions, figures, report
    pending    a pending confirmation or level question answered
    answers    free questions: eligibility, follow-ups, corrections, policy answers, not covered

A handler reads a Turn and returns a Decision (facts + state events); it never writes text or
changes state.
"""
