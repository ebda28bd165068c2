"""Scripted fake servers for end-to-end tests (real HTTP on 127.0.0.1)."""
