"""Prompt templates (text files); loaded and validated by rag.prompts."""
