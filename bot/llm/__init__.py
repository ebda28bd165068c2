"""LLM mode: an OpenAI-compatible model words the guided conversation through the core's tools,
behind an output guard; the deterministic engine's reply is the fallback for every fault.

    assistant.py   LLMAssistant (the Assistant protocol), the turn, build_llm_assistant(settings)
    tools.py       the model's tools: typed functions over bot.dialogue.toolkit.CoreTools
    guard.py       the output guard (pure): amounts, rates, article/clause refs, quotes, leaks
    client.py      ChatOpenAI (langchain-openai, imported on first use) and error classification
    limits.py      per-session turns per minute, daily token budget
    faults.py      why a turn fell back (the error tree), LLMConfigError
    prompts.py     prompts/llm.yaml: system prompt with its canary, tool errors, fallback notes
    evaluation.py  `policybot eval --llm`

Importing this package does not import langchain or openai (tests/test_layering.py checks it).
"""
