"""The conversation core: session state, NLU, form logic, engine.turn(), Reply model, store."""
